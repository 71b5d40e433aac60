/**
 * The routes of the legacy DataPress API (api-facts.md): whoami, the teams (`/api/orgs`), creating,
 * reading and patching datasets, uploads in one request, presigned uploads through the storage host, and
 * downloads. Errors are `{"error"}` (create: `{"errors": [...]}`).
 */
'use strict';

const fs = require('node:fs');

const { presignPost } = require('../../storage/sigv4');
const { sendJson, readBody, sendFile } = require('../shared/server');
const { applyPatch, commitPatch } = require('./patch');
const { STORAGE_CREDENTIALS, uuid } = require('./state');
const { uploadResource } = require('./upload');
const { createErrors } = require('./validation');

const PRESIGN_MAX_BYTES = 5 * 1024 * 1024 * 1024;

function createRouter(state) {
	function forbidden(response, dataset, user) {
		const team = state.teamById(dataset.parent);
		const message = user
			? `Your account is not an editor of the team "${team ? team.slug : dataset.parent}" that owns this dataset`
			: 'An API key in the Authorization header is required to edit datasets';
		return sendJson(response, 403, { error: message });
	}

	function whoami(response, user) {
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

	async function createDataset(request, response, user) {
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
		const errors = createErrors(body, state);
		if (errors.length) return sendJson(response, 400, { errors });
		const team = state.teamById(body.parent);
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
		return sendJson(response, 200, state.present(dataset, user));
	}

	async function patchDataset(request, response, dataset, user) {
		if (!state.canEdit(user, dataset)) {
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
		const result = applyPatch(state, dataset, patch, user);
		if (result.error) {
			state.pendingFiles.clear();
			return sendJson(response, result.status, { error: result.error });
		}
		commitPatch(state, dataset, result);
		return sendJson(response, 200, state.present(result.dataset, user, result.updates));
	}

	function upload(request, response, dataset, user, resourceId) {
		if (!state.canEdit(user, dataset)) {
			request.resume();
			return forbidden(response, dataset, user);
		}
		return uploadResource(state, request, response, dataset, user, resourceId);
	}

	function presign(request, response, dataset, user, encodedFileName) {
		request.resume();
		if (!state.canEdit(user, dataset)) return forbidden(response, dataset, user);
		const fileName = decodeURIComponent(encodedFileName);
		if (!fileName || fileName.includes('/'))
			return sendJson(response, 400, { error: 'A file name is required' });
		const { storage } = state;
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

	async function handleApi(request, response, url, user) {
		const route = url.pathname;
		if (route === '/api/whoami' && request.method === 'GET') return whoami(response, user);
		if (route === '/api/orgs' && request.method === 'GET') {
			return sendJson(
				response,
				200,
				state.teams.map((team) => ({ ...team })),
			);
		}
		if (route === '/api/dataset' && request.method === 'POST')
			return createDataset(request, response, user);

		const match = /^\/api\/dataset\/([^/]+)(?:\/(resources|presign)(?:\/([^/]+))?)?$/.exec(route);
		if (!match) return sendJson(response, 404, { error: 'Not found' });
		const [, idOrSlug, sub, subId] = match;
		const dataset = state.findDataset(decodeURIComponent(idOrSlug));
		if (!dataset || !state.canRead(user, dataset)) {
			request.resume();
			if (dataset && user)
				return sendJson(response, 403, { error: 'This dataset is private to its team' });
			return sendJson(response, 404, { error: 'Dataset not found' });
		}
		if (!sub && request.method === 'GET')
			return sendJson(response, 200, state.present(dataset, user));
		if (!sub && request.method === 'PATCH') return patchDataset(request, response, dataset, user);
		if (sub === 'resources' && request.method === 'POST')
			return upload(
				request,
				response,
				dataset,
				user,
				subId ? decodeURIComponent(subId) : undefined,
			);
		if (sub === 'presign' && request.method === 'POST' && subId)
			return presign(request, response, dataset, user, subId);
		request.resume();
		return sendJson(response, 405, { error: `${request.method} is not supported here` });
	}

	function download(request, response, url, user) {
		const match = /^\/download\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
		const dataset = match ? state.findDataset(decodeURIComponent(match[1])) : undefined;
		if (!dataset || !state.canRead(user, dataset))
			return sendJson(response, 404, { error: 'File not found' });
		const file = state.files.get(`${dataset.id}/${decodeURIComponent(match[2])}`);
		if (!file || !fs.existsSync(file.path))
			return sendJson(response, 404, { error: 'File not found' });
		const resource = dataset.resources[decodeURIComponent(match[2])] || {};
		sendFile(response, file, resource.check_mimetype);
		return undefined;
	}

	return async function handle(request, response, url) {
		const user = state.userOf(request);
		if (url.pathname.startsWith('/download/') && request.method === 'GET')
			return download(request, response, url, user);
		if (url.pathname.startsWith('/api/')) return handleApi(request, response, url, user);
		request.resume();
		return sendJson(response, 404, { error: 'Not found' });
	};
}

module.exports = { createRouter };
