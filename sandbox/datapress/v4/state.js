/**
 * State of the DataPress 4 sandbox: site, teams, users, datasets and where their files are on disk, with
 * the rules every route shares: ids, rights, and the dataset as it is served.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { SITE, USERS, TEAMS, seedDatasets, generatedBlock } = require('./seed');
const { PART_SIZE, etagOfParts } = require('./etag');

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** The order in which the live site serves a dataset's keys (datapress-v4.md section 2). */
const DATASET_KEYS = [
	'id',
	'site',
	'team',
	'title',
	'canonical',
	'description',
	'descriptionIframe',
	'masthead',
	'sharing',
	'collaborators',
	'readusers',
	'readteams',
	'tags',
	'topics',
	'resources',
	'links',
	'nextReviewDate',
	'licence',
	'contact',
	'createdAt',
	'updatedAt',
	'archivedAt',
	'custom',
];
const RESOURCE_KEYS = [
	'hash',
	'size',
	'order',
	'title',
	'format',
	'origin',
	'timeframe',
	'description',
	'url',
];

/** Generic kinds, as the live site detects them (`csv`, `txt`, `image` seen; the rest by their names). */
const FORMATS = {
	csv: 'csv',
	txt: 'txt',
	json: 'json',
	geojson: 'json',
	xls: 'spreadsheet',
	xlsx: 'spreadsheet',
	ods: 'spreadsheet',
	pdf: 'document',
	doc: 'document',
	docx: 'document',
	odt: 'document',
	zip: 'zip',
	gz: 'zip',
	jpg: 'image',
	jpeg: 'image',
	png: 'image',
	gif: 'image',
	svg: 'image',
};

function formatOf(fileName) {
	const parts = String(fileName).toLowerCase().split('.');
	return (parts.length > 1 && FORMATS[parts.pop()]) || 'other';
}

function randomId(length) {
	let id = '';
	for (const byte of crypto.randomBytes(length)) id += ID_ALPHABET[byte % ID_ALPHABET.length];
	return id;
}

function clone(value) {
	return JSON.parse(JSON.stringify(value));
}

function slugOf(title) {
	return (
		String(title)
			.toLowerCase()
			.normalize('NFKD')
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-+|-+$/g, '') || 'dataset'
	);
}

/** The storage key of an upload: `<site>/dataset/<id>/<UTC time to the second>/<file name>`. */
function originOf(datasetId, fileName, at = new Date()) {
	return `${SITE.id}/dataset/${datasetId}/${at.toISOString().slice(0, 19)}/${fileName}`;
}

function ordered(object, keys) {
	const result = {};
	for (const key of keys) if (key in object) result[key] = object[key];
	for (const key of Object.keys(object)) if (!(key in result)) result[key] = object[key];
	return result;
}

/** Writes a seed file once per start (the recorded dataset has a 28 MiB file) and hashes it on the way. */
function writeSeedFile(seedDir, datasetId, resourceId, file) {
	const filePath = path.join(seedDir, datasetId, resourceId, file.fileName);
	fs.mkdirSync(path.dirname(filePath), { recursive: true });
	const content = file.content !== undefined ? Buffer.from(file.content) : undefined;
	const size = content ? content.length : file.size;
	const whole = crypto.createHash('md5');
	const partMd5s = [];
	const fd = fs.openSync(filePath, 'w');
	try {
		for (let offset = 0, index = 0; offset < size || index === 0; offset += PART_SIZE, index++) {
			const block = content
				? content.subarray(offset, offset + PART_SIZE)
				: generatedBlock(index, Math.min(PART_SIZE, size - offset));
			fs.writeSync(fd, block);
			whole.update(block);
			partMd5s.push(crypto.createHash('md5').update(block).digest());
		}
	} finally {
		fs.closeSync(fd);
	}
	return {
		path: filePath,
		fileName: file.fileName,
		size,
		hash: file.hashForm === 'md5' ? whole.digest('hex') : etagOfParts(partMd5s),
	};
}

function createState({ root }) {
	const filesDir = path.join(root, 'files');
	const uploadsDir = path.join(root, 'uploads');
	const seedDir = path.join(root, 'seed');
	const seeds = seedDatasets();
	const seedFiles = new Map();
	fs.rmSync(seedDir, { recursive: true, force: true });
	for (const dataset of seeds) {
		for (const [resourceId, resource] of Object.entries(dataset.resources)) {
			seedFiles.set(
				`${dataset.id}/${resourceId}`,
				writeSeedFile(seedDir, dataset.id, resourceId, resource.file),
			);
		}
	}

	const state = {
		filesDir,
		uploadsDir,
		site: undefined,
		users: undefined,
		teams: undefined,
		datasets: undefined,
		/** `<dataset id>/<resource id>` -> `{ path, fileName }` */
		files: undefined,
		/** upload uuid -> the chunked upload (upload.js) */
		uploads: undefined,
		nextUserId: 0,

		reset() {
			fs.rmSync(filesDir, { recursive: true, force: true });
			fs.rmSync(uploadsDir, { recursive: true, force: true });
			fs.mkdirSync(filesDir, { recursive: true });
			fs.mkdirSync(uploadsDir, { recursive: true });
			state.site = clone(SITE);
			state.users = new Map(USERS.map((user) => [user.key, clone(user)]));
			state.nextUserId = Math.max(...USERS.map((user) => user.id)) + 1;
			state.teams = new Map(TEAMS.map((team) => [team.id, clone(team)]));
			state.datasets = new Map();
			state.files = new Map();
			state.uploads = new Map();
			for (const seed of seeds) {
				const dataset = clone(seed);
				dataset.site = SITE.id;
				dataset.canonical = canonicalOf(dataset);
				for (const [resourceId, resource] of Object.entries(dataset.resources)) {
					const file = seedFiles.get(`${dataset.id}/${resourceId}`);
					delete resource.file;
					Object.assign(resource, {
						hash: file.hash,
						size: file.size,
						format: formatOf(file.fileName),
					});
					state.files.set(`${dataset.id}/${resourceId}`, {
						path: file.path,
						fileName: file.fileName,
					});
				}
				state.datasets.set(dataset.id, dataset);
			}
		},

		userOf(request) {
			const key = request.headers.authorization;
			return key ? state.users.get(key) || null : null;
		},
		userById(id) {
			for (const user of state.users.values()) if (user.id === id) return user;
			return undefined;
		},
		membershipsOf(user) {
			return [...state.teams.values()]
				.filter((team) => team.users.some((member) => member.id === user.id))
				.map((team) => team.id);
		},

		/** Members of the owning team edit, and collaborators; admins edit everything. */
		canEdit(user, dataset) {
			if (!user) return false;
			if (user.admin) return true;
			return (
				state.membershipsOf(user).includes(dataset.team) || dataset.collaborators.includes(user.id)
			);
		},
		/** Public datasets are open to all; others to editors, `readusers` and members of `readteams`. */
		canRead(user, dataset) {
			if (dataset.sharing === 'public') return true;
			if (!user) return false;
			if (state.canEdit(user, dataset) || dataset.readusers.includes(user.id)) return true;
			const memberships = state.membershipsOf(user);
			return dataset.readteams.some((team) => memberships.includes(team));
		},

		newDatasetId() {
			let id;
			do id = randomId(5);
			while (state.datasets.has(id));
			return id;
		},
		newResourceId(dataset) {
			let id;
			do id = randomId(3);
			while (id in dataset.resources);
			return id;
		},

		/** The dataset as served: keys in the live order, each resource's `url` from its stored file. */
		present(dataset, origin) {
			const body = ordered(clone(dataset), DATASET_KEYS);
			for (const [resourceId, resource] of Object.entries(body.resources))
				body.resources[resourceId] = state.presentResource(
					dataset.id,
					resourceId,
					resource,
					origin,
				);
			return body;
		},
		presentResource(datasetId, resourceId, resource, origin) {
			const file = state.files.get(`${datasetId}/${resourceId}`);
			const url = file
				? `${origin}/download/${datasetId}/${resourceId}/${encodeURIComponent(file.fileName)}`
				: '';
			return ordered({ ...clone(resource), url }, RESOURCE_KEYS);
		},

		/** Points a resource at a new file, removing the file it replaces. */
		setFile(datasetId, resourceId, file) {
			state.removeFile(datasetId, resourceId);
			state.files.set(`${datasetId}/${resourceId}`, file);
		},
		removeFile(datasetId, resourceId) {
			const previous = state.files.get(`${datasetId}/${resourceId}`);
			// Seed files are shared by every reset and stay.
			if (previous && previous.path.startsWith(filesDir))
				fs.rmSync(path.dirname(previous.path), { recursive: true, force: true });
			state.files.delete(`${datasetId}/${resourceId}`);
		},
		/** A fresh folder for one stored file under the files root. */
		fileDirectory(datasetId) {
			return path.join(filesDir, datasetId, crypto.randomBytes(6).toString('hex'));
		},
	};
	return state;
}

function canonicalOf(dataset) {
	return `/dataset/${slugOf(dataset.title)}-${dataset.id}`;
}

/**
 * Puts a resource at `order` (0 = top) and renumbers the others 0..n-1 in their existing order, so that
 * the list stays gap-free as the live site's is.
 */
function placeResource(resources, resourceId, order) {
	const others = Object.entries(resources)
		.filter(([id]) => id !== resourceId)
		.sort(([, a], [, b]) => a.order - b.order)
		.map(([id]) => id);
	const at = Math.max(0, Math.min(Number.isInteger(order) ? order : 0, others.length));
	others.splice(at, 0, resourceId);
	others.forEach((id, index) => {
		resources[id].order = index;
	});
}

/** An `updatedAt` later than the current one, even within the same millisecond. */
function bumpedStamp(previous) {
	const now = Date.now();
	const last = Date.parse(previous);
	return new Date(Number.isFinite(last) && last >= now ? last + 1 : now).toISOString();
}

module.exports = {
	DATASET_KEYS,
	createState,
	canonicalOf,
	placeResource,
	bumpedStamp,
	formatOf,
	originOf,
	clone,
};
