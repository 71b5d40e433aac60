/**
 * State of the legacy DataPress sandbox: users, teams, datasets and where their files are on disk, with
 * the rules every route shares: who may read and edit, finding a dataset by id or slug, and the dataset as
 * the API serves it (download URLs and the computed `readonly` block).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { TEAMS, USERS, TOPICS, LICENCES, seedDatasets } = require('./seed');

/** The storage host's key pair, with which the API presigns uploads for it. */
const STORAGE_CREDENTIALS = {
	accessKeyId: 'AKIASANDBOXDATAPRESS',
	secretAccessKey: 'sandbox-secret-for-presigned-posts',
};

const FORMATS = {
	csv: 'csv',
	xlsx: 'spreadsheet',
	xls: 'spreadsheet',
	json: 'json',
	geojson: 'geojson',
	zip: 'zip',
	pdf: 'pdf',
	txt: 'text',
};

function formatOf(fileName) {
	const extension = String(fileName).split('.').pop().toLowerCase();
	return FORMATS[extension] || extension || 'file';
}

function uuid() {
	return crypto.randomUUID();
}

function clone(value) {
	return JSON.parse(JSON.stringify(value));
}

function md5OfFile(filePath) {
	return crypto.createHash('md5').update(fs.readFileSync(filePath)).digest('hex');
}

/**
 * The sandbox's data under `root` (files in `root/resources`) and the storage sandbox beside it. `origin`
 * is the API's own address, set once its server listens (download URLs are built from it).
 */
function createState({ root, storage, seed }) {
	const filesDir = path.join(root, 'resources');

	const state = {
		filesDir,
		storage,
		origin: '',
		users: new Map(),
		teams: [],
		datasets: new Map(),
		/** `<dataset id>/<resource id>` to `{ path, fileName }`. */
		files: new Map(),
		/** Files a patch being applied adds by `origin`; kept only when the patch commits. */
		pendingFiles: new Map(),
		presignExpirySeconds: 3600,
		seed,

		reset() {
			fs.rmSync(filesDir, { recursive: true, force: true });
			fs.mkdirSync(filesDir, { recursive: true });
			storage.reset();
			state.users = new Map(USERS.map((user) => [user.key, clone(user)]));
			state.teams = clone(TEAMS);
			state.datasets = new Map();
			state.files = new Map();
			state.presignExpirySeconds = 3600;
			state.seed = seed;
			for (const { dataset, files } of seedDatasets()) {
				const stored = clone(dataset);
				for (const file of files) {
					const filePath = path.join(filesDir, stored.id, file.id, file.fileName);
					fs.mkdirSync(path.dirname(filePath), { recursive: true });
					fs.writeFileSync(filePath, file.content);
					state.files.set(`${stored.id}/${file.id}`, { path: filePath, fileName: file.fileName });
					stored.resources[file.id] = {
						url: '',
						order: file.order,
						title: file.title,
						format: file.format,
						description: file.description,
						check_hash: md5OfFile(filePath),
						check_size: fs.statSync(filePath).size,
						check_mimetype: file.mimeType,
						check_timestamp: file.timestamp,
						check_http_status: 200,
					};
				}
				state.datasets.set(stored.id, stored);
			}
		},

		userOf(request) {
			const key = request.headers.authorization;
			return key ? state.users.get(key) || null : null;
		},

		teamById(id) {
			return state.teams.find((team) => team.id === id);
		},

		canEdit(user, dataset) {
			if (!user) return false;
			if (user.admin) return true;
			const team = state.teamById(dataset.parent);
			return Boolean(team && user.editorOf.includes(team.slug));
		},

		canRead(user, dataset) {
			if (dataset.sharing !== 'private') return true;
			if (!user) return false;
			if (user.admin) return true;
			const team = state.teamById(dataset.parent);
			return Boolean(
				team && (user.memberOf.includes(team.slug) || user.editorOf.includes(team.slug)),
			);
		},

		findDataset(idOrSlug) {
			if (state.datasets.has(idOrSlug)) return state.datasets.get(idOrSlug);
			for (const dataset of state.datasets.values()) if (dataset.slug === idOrSlug) return dataset;
			return undefined;
		},

		/** Removes a stored file's folder, if the file is one of ours (not the storage host's). */
		removeFile(file) {
			if (file && file.path.startsWith(filesDir))
				fs.rmSync(path.dirname(file.path), { recursive: true, force: true });
		},

		downloadUrl(dataset, resourceId, fileName) {
			return `${state.origin}/download/${dataset.slug}/${resourceId}/${encodeURIComponent(fileName)}`;
		},

		withUrls(dataset) {
			const copy = clone(dataset);
			for (const [resourceId, resource] of Object.entries(copy.resources || {})) {
				const file = state.files.get(`${dataset.id}/${resourceId}`);
				if (file) resource.url = state.downloadUrl(dataset, resourceId, file.fileName);
			}
			return copy;
		},

		/** The dataset as the API returns it: the stored JSON plus the computed `readonly` block. */
		present(dataset, user, updates) {
			const body = state.withUrls(dataset);
			const team = state.teamById(dataset.parent);
			body.readonly = {
				auth: { package_update: state.canEdit(user, dataset) },
				shares: clone(dataset.shares || { users: {}, orgs: {} }),
				licence: LICENCES[dataset.licence] || {
					title: dataset.licence || '',
					url: '',
					is_okd_compliant: false,
				},
				parent: team ? { id: team.id, slug: team.slug, title: team.title } : null,
				rootOrg: team ? { id: team.id, slug: team.slug, title: team.title } : null,
				topics: Object.fromEntries(
					(dataset.topics || []).filter((id) => TOPICS[id]).map((id) => [id, TOPICS[id]]),
				),
			};
			if (updates) body.readonly.updates = updates;
			return body;
		},
	};
	return state;
}

module.exports = { createState, STORAGE_CREDENTIALS, formatOf, uuid, clone };
