/**
 * Legacy DataPress sandbox (the API of the seed and api-facts.md, served by data.london.gov.uk before DataPress 4)
 * with the storage sandbox it presigns uploads for.
 * Datasets are JSON documents changed by RFC 6902 patches applied atomically (fast-json-patch, on a copy
 * committed only when every operation succeeded); files arrive as multipart/form-data streamed to disk with
 * their MD5 computed on the way, or through the storage host and a patch that adds them by `origin`.
 *
 * Not part of the real API: the control API under `/_sandbox/` (users, faults, logs, presign expiry).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const jsonpatch = require('fast-json-patch');

const { presignPost } = require('../../storage/sigv4');
const { startStorageSandbox } = require('../../storage');
const { createFaults } = require('../../faults');
const { receiveFile } = require('../shared/multipart');
const { patchShapeError } = require('../shared/patchShape');
const {
	sendJson,
	readBody,
	sendFile,
	createRequestLog,
	startApiServer,
} = require('../shared/server');
const { TEAMS, USERS, TOPICS, LICENCES, seedDatasets } = require('./seed');

/** Multipart uploads larger than this are refused with 413: they must go through the presigned path. */
const MAX_MULTIPART_BYTES = 104857600;
const PRESIGN_MAX_BYTES = 5 * 1024 * 1024 * 1024;
const STORAGE_CREDENTIALS = {
	accessKeyId: 'AKIASANDBOXDATAPRESS',
	secretAccessKey: 'sandbox-secret-for-presigned-posts',
};
const SLUG_PATTERN = /^[a-z0-9]+[a-z0-9-]*$/;

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

async function startDatastoreSandboxes({
	port = 0,
	storagePort = 0,
	host = '127.0.0.1',
	dataDir,
	seed = 1,
} = {}) {
	const root = dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'datapress-sandbox-'));
	const ownsDataDir = !dataDir;
	fs.mkdirSync(root, { recursive: true });
	const filesDir = path.join(root, 'resources');
	const faults = createFaults({ server: 'datapress' });
	const requestLog = createRequestLog();
	const storage = await startStorageSandbox({
		port: storagePort,
		host,
		dataDir: root,
		secrets: { [STORAGE_CREDENTIALS.accessKeyId]: STORAGE_CREDENTIALS.secretAccessKey },
		faults,
	});

	const state = {};
	let origin = '';

	function reset() {
		fs.rmSync(filesDir, { recursive: true, force: true });
		fs.mkdirSync(filesDir, { recursive: true });
		storage.reset();
		state.users = new Map(USERS.map((user) => [user.key, clone(user)]));
		state.teams = clone(TEAMS);
		state.datasets = new Map();
		state.files = new Map();
		requestLog.clear();
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
	}

	function userOf(request) {
		const key = request.headers.authorization;
		return key ? state.users.get(key) || null : null;
	}

	function teamById(id) {
		return state.teams.find((team) => team.id === id);
	}

	function canEdit(user, dataset) {
		if (!user) return false;
		if (user.admin) return true;
		const team = teamById(dataset.parent);
		return Boolean(team && user.editorOf.includes(team.slug));
	}

	function canRead(user, dataset) {
		if (dataset.sharing !== 'private') return true;
		if (!user) return false;
		if (user.admin) return true;
		const team = teamById(dataset.parent);
		return Boolean(
			team && (user.memberOf.includes(team.slug) || user.editorOf.includes(team.slug)),
		);
	}

	function findDataset(idOrSlug) {
		if (state.datasets.has(idOrSlug)) return state.datasets.get(idOrSlug);
		for (const dataset of state.datasets.values()) if (dataset.slug === idOrSlug) return dataset;
		return undefined;
	}

	function withUrls(dataset) {
		const copy = clone(dataset);
		for (const [resourceId, resource] of Object.entries(copy.resources || {})) {
			const file = state.files.get(`${dataset.id}/${resourceId}`);
			if (file)
				resource.url = `${origin}/download/${dataset.slug}/${resourceId}/${encodeURIComponent(file.fileName)}`;
		}
		return copy;
	}

	/** The dataset as the API returns it: the stored JSON plus the computed `readonly` block. */
	function present(dataset, user, updates) {
		const body = withUrls(dataset);
		const team = teamById(dataset.parent);
		body.readonly = {
			auth: { package_update: canEdit(user, dataset) },
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
	}

	function forbidden(response, dataset, user) {
		const team = teamById(dataset.parent);
		const message = user
			? `Your account is not an editor of the team "${team ? team.slug : dataset.parent}" that owns this dataset`
			: 'An API key in the Authorization header is required to edit datasets';
		return sendJson(response, 403, { error: message });
	}

	// ---- Patches ----

	const IMMUTABLE = [/^\/id(\/|$)/, /^\/readonly(\/|$)/];

	/** Checks a patch's shape; returns an error message naming the operation, or undefined. */
	function checkPatchShape(patch) {
		return patchShapeError(patch, (operation, index) => {
			for (const pointer of [operation.path, operation.from]) {
				if (pointer !== undefined && IMMUTABLE.some((pattern) => pattern.test(pointer))) {
					return `Operation ${index} (${operation.op} ${pointer}): "id" and "readonly" cannot be changed`;
				}
			}
			return undefined;
		});
	}

	function resourcePlaceholder(operation) {
		const match = /^\/resources\/([^/]+)$/.exec(operation.path);
		return operation.op === 'add' &&
			match &&
			operation.value &&
			typeof operation.value === 'object' &&
			operation.value.origin
			? match[1]
			: undefined;
	}

	function applyPatch(dataset, patch, user) {
		const shapeError = checkPatchShape(patch);
		if (shapeError) return { status: 400, error: shapeError };
		const working = clone(dataset);
		if (!working.resources) working.resources = {};
		const updates = [];
		try {
			for (let index = 0; index < patch.length; index++) {
				const operation = patch[index];
				const placeholder = resourcePlaceholder(operation);
				if (placeholder) {
					const object = storage.object(operation.value.origin);
					if (!object)
						return {
							status: 400,
							error: `Operation ${index}: no uploaded file has the origin "${operation.value.origin}"`,
						};
					const resourceId = uuid();
					const others = Object.values(working.resources);
					const top = operation.value.order === -1;
					if (top)
						for (const resource of others) resource.order = (Number(resource.order) || 0) + 1;
					const order = top
						? 0
						: others.reduce((max, resource) => Math.max(max, Number(resource.order) || 0), -1) + 1;
					const fileName = object.fileName || operation.value.origin.split('/').pop();
					const { origin: storageKey, order: _order, ...rest } = operation.value;
					working.resources[resourceId] = {
						url: '',
						order,
						title: rest.title || fileName,
						format: rest.format || formatOf(fileName),
						description: rest.description || '',
						...rest,
						origin: storageKey,
						check_hash: object.md5,
						check_size: object.size,
						check_mimetype: object.contentType,
						check_timestamp: new Date().toISOString(),
						check_http_status: 200,
					};
					state.pendingFiles.set(`${working.id}/${resourceId}`, { path: object.path, fileName });
					updates.push({
						op: 'add',
						path: `/resources/${resourceId}`,
						value: clone(working.resources[resourceId]),
					});
					continue;
				}
				const error = jsonpatch.validate([operation], working);
				if (error) {
					if (error.name === 'TEST_OPERATION_FAILED')
						return {
							status: 409,
							error: `Operation ${index} (test ${operation.path}) failed: the dataset changed`,
						};
					return {
						status: 400,
						error: `Operation ${index} (${operation.op} ${operation.path}): ${error.message.split('\n')[0]}`,
					};
				}
				jsonpatch.applyOperation(working, clone(operation), false, true);
				updates.push(clone(operation));
			}
		} catch (error) {
			if (error && error.name === 'TEST_OPERATION_FAILED')
				return { status: 409, error: 'A test operation failed: the dataset changed' };
			return {
				status: 400,
				error: `The patch cannot be applied: ${String(error && error.message).split('\n')[0]}`,
			};
		}
		if (typeof working.title !== 'string' || !working.title.trim())
			return { status: 400, error: 'title must not be empty' };
		if (typeof working.slug !== 'string' || !SLUG_PATTERN.test(working.slug))
			return { status: 400, error: 'slug must be lower-case letters, digits and hyphens' };
		for (const other of state.datasets.values()) {
			if (other.id !== working.id && other.slug === working.slug)
				return { status: 400, error: `slug "${working.slug}" is taken` };
		}
		if (working.id !== dataset.id) return { status: 400, error: '"id" cannot be changed' };
		return { dataset: working, updates, user };
	}

	function commitPatch(original, result) {
		for (const [key, file] of state.pendingFiles) {
			if (key.startsWith(`${original.id}/`)) state.files.set(key, file);
		}
		state.pendingFiles.clear();
		// Files of removed resources go with them.
		for (const resourceId of Object.keys(original.resources || {})) {
			if (!(resourceId in (result.dataset.resources || {}))) {
				const file = state.files.get(`${original.id}/${resourceId}`);
				if (file && file.path.startsWith(filesDir))
					fs.rmSync(path.dirname(file.path), { recursive: true, force: true });
				state.files.delete(`${original.id}/${resourceId}`);
			}
		}
		state.datasets.set(original.id, result.dataset);
	}

	// ---- Multipart uploads ----

	const FORM_ERRORS = {
		'not-multipart': 'Uploads are multipart/form-data with a field named "file"',
		malformed: 'The body is not well-formed multipart/form-data',
		'too-large': `File too large: multipart uploads are limited to ${MAX_MULTIPART_BYTES} bytes; larger files go through /presign`,
	};

	async function handleResourceUpload(request, response, dataset, user, resourceId) {
		if (!canEdit(user, dataset)) {
			request.resume();
			return forbidden(response, dataset, user);
		}
		if (resourceId && !(dataset.resources || {})[resourceId]) {
			request.resume();
			return sendJson(response, 404, {
				error: `Resource ${resourceId} not found in dataset ${dataset.slug}`,
			});
		}
		const targetId = resourceId || uuid();
		let form;
		try {
			form = await receiveFile(request, {
				directory: path.join(
					filesDir,
					dataset.id,
					`${targetId}.${crypto.randomBytes(4).toString('hex')}`,
				),
				maxBytes: MAX_MULTIPART_BYTES,
			});
		} catch (error) {
			if (error.code === 'dropped') return undefined;
			return sendJson(response, error.status, { error: FORM_ERRORS[error.code] || error.message });
		}
		const { fields, file: upload } = form;
		if (!upload) return sendJson(response, 400, { error: 'The upload has no field named "file"' });
		const current = findDataset(dataset.id);
		const working = clone(current);
		working.resources = working.resources || {};
		const existing = working.resources[targetId];
		const now = new Date().toISOString();
		const updates = [];
		if (!existing) {
			for (const resource of Object.values(working.resources))
				resource.order = (Number(resource.order) || 0) + 1;
			working.resources[targetId] = {
				url: '',
				order: 0,
				title: fields.title || upload.fileName,
				format: formatOf(upload.fileName),
				description: fields.description || '',
			};
			updates.push({ op: 'add', path: `/resources/${targetId}`, value: {} });
		}
		const resource = working.resources[targetId];
		if (existing && fields.title) resource.title = fields.title;
		if (existing && fields.description !== undefined) resource.description = fields.description;
		Object.assign(resource, {
			check_hash: upload.md5,
			check_size: upload.size,
			check_mimetype: upload.mimeType || 'application/octet-stream',
			check_timestamp: now,
			check_http_status: 200,
		});
		const previous = state.files.get(`${dataset.id}/${targetId}`);
		if (previous && previous.path.startsWith(filesDir))
			fs.rmSync(path.dirname(previous.path), { recursive: true, force: true });
		state.files.set(`${dataset.id}/${targetId}`, { path: upload.path, fileName: upload.fileName });
		state.datasets.set(dataset.id, working);
		const url = `${origin}/download/${working.slug}/${targetId}/${encodeURIComponent(upload.fileName)}`;
		for (const [field, value] of [
			['url', url],
			['check_hash', upload.md5],
			['check_size', upload.size],
			['check_timestamp', now],
			['title', resource.title],
		]) {
			updates.push({ op: 'replace', path: `/resources/${targetId}/${field}`, value });
		}
		return sendJson(response, 200, present(working, user, updates));
	}

	// ---- Routes ----

	async function handleApi(request, response, url, user) {
		const route = url.pathname;
		if (route === '/api/whoami' && request.method === 'GET') {
			if (!user) return sendJson(response, 200, null);
			const memberships = state.teams
				.filter((team) => user.memberOf.includes(team.slug) || user.editorOf.includes(team.slug))
				.map((team) => ({
					org: team.id,
					slug: team.slug,
					editor: user.admin || user.editorOf.includes(team.slug),
				}));
			return sendJson(response, 200, {
				id: user.id,
				title: user.title,
				email: user.email,
				admin: user.admin,
				memberships,
			});
		}
		if (route === '/api/orgs' && request.method === 'GET') {
			return sendJson(
				response,
				200,
				state.teams.map((team) => ({ ...team })),
			);
		}
		if (route === '/api/dataset' && request.method === 'POST') {
			if (!user)
				return sendJson(response, 403, {
					error: 'An API key in the Authorization header is required to create datasets',
				});
			let body;
			try {
				body = JSON.parse(await readBody(request));
			} catch {
				return sendJson(response, 400, { errors: ['The body must be a JSON object'] });
			}
			if (!body || typeof body !== 'object' || Array.isArray(body))
				return sendJson(response, 400, { errors: ['The body must be a JSON object'] });
			const errors = [];
			if (typeof body.title !== 'string' || !body.title.trim()) errors.push('title is required');
			if (typeof body.slug !== 'string' || !body.slug) errors.push('slug is required');
			else if (!SLUG_PATTERN.test(body.slug))
				errors.push('slug must be lower-case letters, digits and hyphens');
			else if (findDataset(body.slug)) errors.push(`slug "${body.slug}" is taken`);
			if (!body.parent) errors.push('parent (a team id, see /api/orgs) is required');
			else if (!teamById(body.parent))
				errors.push(`parent "${body.parent}" is not a team (see /api/orgs)`);
			if (body.sharing !== undefined && !['public', 'private'].includes(body.sharing))
				errors.push('sharing must be "public" or "private"');
			if (body.id !== undefined || body.readonly !== undefined)
				errors.push('id and readonly are set by the server');
			if (errors.length) return sendJson(response, 400, { errors });
			const team = teamById(body.parent);
			if (!user.admin && !user.editorOf.includes(team.slug)) {
				return sendJson(response, 403, {
					error: `Your account is not an editor of the team "${team.slug}"`,
				});
			}
			const now = new Date().toISOString();
			const dataset = {
				tags: [],
				topics: [],
				licence: 'ogl-v3',
				author: '',
				maintainer: '',
				...body,
				id: uuid(),
				state: 'active',
				sharing: body.sharing || 'private',
				description: body.description || '',
				createdAt: now,
				updatedAt: now,
				shares: { users: {}, orgs: {} },
				resources: {},
			};
			state.datasets.set(dataset.id, dataset);
			return sendJson(response, 200, present(dataset, user));
		}

		const match = /^\/api\/dataset\/([^/]+)(?:\/(resources|presign)(?:\/([^/]+))?)?$/.exec(route);
		if (!match) return sendJson(response, 404, { error: 'Not found' });
		const [, idOrSlug, sub, subId] = match;
		const dataset = findDataset(decodeURIComponent(idOrSlug));
		if (!dataset || !canRead(user, dataset)) {
			request.resume();
			if (dataset && user)
				return sendJson(response, 403, { error: 'This dataset is private to its team' });
			return sendJson(response, 404, { error: 'Dataset not found' });
		}
		if (!sub && request.method === 'GET') return sendJson(response, 200, present(dataset, user));
		if (!sub && request.method === 'PATCH') {
			if (!canEdit(user, dataset)) {
				request.resume();
				return forbidden(response, dataset, user);
			}
			let patch;
			try {
				patch = JSON.parse(await readBody(request));
			} catch {
				return sendJson(response, 400, { error: 'Request body must be a well-formed JSON patch' });
			}
			state.pendingFiles = new Map();
			const result = applyPatch(dataset, patch, user);
			if (result.error) {
				state.pendingFiles.clear();
				return sendJson(response, result.status, { error: result.error });
			}
			commitPatch(dataset, result);
			return sendJson(response, 200, present(result.dataset, user, result.updates));
		}
		if (sub === 'resources' && request.method === 'POST') {
			return handleResourceUpload(
				request,
				response,
				dataset,
				user,
				subId ? decodeURIComponent(subId) : undefined,
			);
		}
		if (sub === 'presign' && request.method === 'POST' && subId) {
			request.resume();
			if (!canEdit(user, dataset)) return forbidden(response, dataset, user);
			const fileName = decodeURIComponent(subId);
			if (!fileName || fileName.includes('/'))
				return sendJson(response, 400, { error: 'A file name is required' });
			const key = `datasets/${dataset.id}/${uuid()}/${fileName}`;
			return sendJson(
				response,
				200,
				presignPost({
					url: storage.url,
					bucket: storage.bucket,
					key,
					region: storage.region,
					accessKeyId: STORAGE_CREDENTIALS.accessKeyId,
					secretAccessKey: STORAGE_CREDENTIALS.secretAccessKey,
					nowMs: Date.now(),
					expiresInSeconds: state.presignExpirySeconds,
					maxBytes: PRESIGN_MAX_BYTES,
				}),
			);
		}
		request.resume();
		return sendJson(response, 405, { error: `${request.method} is not supported here` });
	}

	function handleDownload(request, response, url, user) {
		const match = /^\/download\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
		const dataset = match ? findDataset(decodeURIComponent(match[1])) : undefined;
		if (!dataset || !canRead(user, dataset))
			return sendJson(response, 404, { error: 'File not found' });
		const file = state.files.get(`${dataset.id}/${decodeURIComponent(match[2])}`);
		if (!file || !fs.existsSync(file.path))
			return sendJson(response, 404, { error: 'File not found' });
		const resource = dataset.resources[decodeURIComponent(match[2])] || {};
		sendFile(response, file, resource.check_mimetype);
		return undefined;
	}

	// ---- Control ----

	const control = {
		reset: () => reset(),
		addUser: ({
			key,
			title = 'Sandbox user',
			email = 'user@example.org',
			editorOf = [],
			memberOf,
			admin = false,
		}) => {
			const user = {
				key,
				id: uuid(),
				title,
				email,
				admin,
				editorOf,
				memberOf: memberOf || editorOf,
			};
			state.users.set(key, user);
			return { ...user };
		},
		injectFault: (fault) => faults.add(fault),
		clearFaults: () => faults.clear(),
		setPresignExpirySeconds: (seconds) => {
			state.presignExpirySeconds = Number(seconds);
		},
		storageLog: () => storage.log(),
		storageObjects: () => storage.objects(),
		requests: () => requestLog.entries(),
		clearLogs: () => {
			requestLog.clear();
			storage.clearLog();
		},
		dataset: (idOrSlug) => {
			const dataset = findDataset(idOrSlug);
			return dataset ? withUrls(dataset) : undefined;
		},
		storedObjectPath: (key) => (storage.object(key) ? storage.object(key).path : undefined),
		resourceFilePath: (idOrSlug, resourceId) => {
			const dataset = findDataset(idOrSlug);
			const file = dataset ? state.files.get(`${dataset.id}/${resourceId}`) : undefined;
			return file ? file.path : undefined;
		},
	};

	reset();
	state.pendingFiles = new Map();

	const server = await startApiServer({
		port,
		host,
		faults,
		requestLog,
		control,
		controlRoutes: {
			'POST /_sandbox/presign-expiry': (body) => (
				control.setPresignExpirySeconds(body.seconds),
				{ ok: true }
			),
			'GET /_sandbox/storage-log': () => control.storageLog(),
		},
		async handle(request, response, url) {
			const user = userOf(request);
			if (url.pathname.startsWith('/download/') && request.method === 'GET')
				return handleDownload(request, response, url, user);
			if (url.pathname.startsWith('/api/')) return handleApi(request, response, url, user);
			request.resume();
			return sendJson(response, 404, { error: 'Not found' });
		},
	});
	origin = server.origin;

	return {
		url: origin,
		storageUrl: storage.origin,
		dataDir: root,
		control,
		async close() {
			await server.close();
			await storage.close();
			if (ownsDataDir) fs.rmSync(root, { recursive: true, force: true });
		},
	};
}

module.exports = { startDatastoreSandboxes, MAX_MULTIPART_BYTES, STORAGE_CREDENTIALS };
