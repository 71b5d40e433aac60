/**
 * The routes of DataPress 4 (datapress-v4.md section 1, E1-E15). Paths answer under `/api/v3/...` and
 * `/api/...` alike, except whoami and the chunked upload, which only ever appear under `/api/v3`, and the
 * teams list, which is `/api/v3/teams` or (old crawl) `/api/team`. Wrappers per endpoint: GET and the
 * one-request uploads answer the bare dataset, PATCH and create `{"dataset": ...}`, completing a chunked
 * upload `{"dataset", "resource_id", "new_key"}`.
 */
'use strict';

const answers = require('./answers');
const { readBody, sendFile } = require('../shared/server');
const { patchDataset, patchTeam, patchSite, datasetErrors } = require('./patch');
const { canonicalOf, clone } = require('./state');

/** A path segment decoded, or null when its %-escapes are malformed (then nothing matches). */
function decoded(segment) {
	try {
		return decodeURIComponent(segment);
	} catch {
		return null;
	}
}

/** A file's upload time from its storage key `<site>/dataset/<id>/<UTC time to the second>/<name>`. */
function uploadTime(origin) {
	const stamp = /\/(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\//.exec(String(origin || ''));
	return stamp ? `${stamp[1]}.000Z` : null;
}

/** `conditional`: validators and 304s for the GETs a watcher polls (../shared/conditional.js). */
function createRouter(state, uploads, conditional) {
	async function jsonBody(request, response) {
		try {
			return { value: JSON.parse(await readBody(request)) };
		} catch (error) {
			if (error.status === 413) answers.refused(response, 413, 'The JSON body is too large');
			else answers.badRequest(response, 'The body must be well-formed JSON');
			return undefined;
		}
	}

	/** The dataset, if this caller may read it; otherwise answers 404 or 403 and gives undefined. */
	function readable(request, response, id, user) {
		const dataset = state.datasets.get(id);
		if (dataset && state.canRead(user, dataset)) return dataset;
		request.resume();
		if (!dataset) answers.notFound(response, 'Dataset', id);
		else
			answers.forbidden(
				response,
				user
					? 'This dataset is not shared with your account'
					: 'This dataset is private: an API key with read access is needed',
			);
		return undefined;
	}

	function editable(request, response, id, user) {
		const dataset = readable(request, response, id, user);
		if (!dataset) return undefined;
		if (state.canEdit(user, dataset)) return dataset;
		request.resume();
		answers.forbidden(
			response,
			user
				? `Your account cannot edit datasets of the team "${dataset.team}"`
				: 'An API key is needed to edit datasets',
		);
		return undefined;
	}

	function whoami(user) {
		return user
			? {
					id: user.id,
					title: user.title,
					email: user.email,
					admin: user.admin,
					memberships: state.membershipsOf(user),
				}
			: null;
	}

	/**
	 * Export: each readable dataset, with team, masthead and topics as `{id, title}`, files and links as
	 * lists, each file with the `timestamp` of its upload (from its storage key, to the second) and its
	 * timeframe flattened. A fault's `keepFirst` serves only the first datasets (a partial export).
	 */
	function exported(user, baseUrl, fault) {
		const titleOf = (map, id) => ({ id, title: map[id] ? map[id].title : id });
		const list = [...state.datasets.values()]
			.filter((dataset) => state.canRead(user, dataset))
			.map((dataset) => {
				const body = state.present(dataset, baseUrl);
				const team = state.teams.get(dataset.team);
				body.team = { id: dataset.team, title: team ? team.title : dataset.team };
				body.masthead = titleOf(state.site.mastheads, dataset.masthead);
				body.topics = dataset.topics.map((topic) => titleOf(state.site.topics, topic));
				body.resources = Object.entries(body.resources)
					.sort(([, a], [, b]) => a.order - b.order)
					.map(([id, { timeframe, ...resource }]) => ({
						id,
						...resource,
						timeframeFrom: timeframe ? timeframe.from : null,
						timeframeTo: timeframe ? timeframe.to : null,
						timestamp: uploadTime(resource.origin),
					}));
				body.links = Object.entries(body.links).map(([id, link]) => ({ id, ...link }));
				return body;
			});
		return fault && Number.isInteger(fault.keepFirst) ? list.slice(0, fault.keepFirst) : list;
	}

	async function createDataset(request, response, user, baseUrl) {
		if (!user) {
			request.resume();
			return answers.forbidden(response, 'An API key is needed to create datasets');
		}
		const body = await jsonBody(request, response);
		if (!body) return undefined;
		if (!body.value || typeof body.value !== 'object' || Array.isArray(body.value))
			return answers.badRequest(response, 'The body must be a JSON object: a partial dataset');
		// Server-owned fields in the body are ignored, as on PATCH; files come through the upload API.
		const {
			id: _id,
			site: _site,
			canonical: _canonical,
			createdAt: _createdAt,
			updatedAt: _updatedAt,
			readonly: _readonly,
			resources: _resources,
			...given
		} = body.value;
		const now = new Date().toISOString();
		const dataset = {
			id: state.newDatasetId(),
			site: state.site.id,
			description: '',
			sharing: 'public',
			collaborators: [],
			readusers: [],
			readteams: [],
			tags: [],
			topics: [],
			links: {},
			nextReviewDate: null,
			licence: null,
			contact: null,
			archivedAt: null,
			custom: {},
			...given,
			resources: {},
			createdAt: now,
			updatedAt: now,
		};
		const errors = datasetErrors(dataset, state);
		if (errors.length) return answers.invalid(response, errors);
		if (!user.admin && !state.membershipsOf(user).includes(dataset.team))
			return answers.forbidden(
				response,
				`Your account is not a member of the team "${dataset.team}"`,
			);
		dataset.canonical = canonicalOf(dataset);
		state.datasets.set(dataset.id, dataset);
		return answers.ok(response, { dataset: state.present(dataset, baseUrl) });
	}

	async function patchOne(request, response, dataset, baseUrl) {
		const body = await jsonBody(request, response);
		if (!body) return undefined;
		const result = patchDataset(state, state.datasets.get(dataset.id), body.value);
		if (result.errors) return answers.invalid(response, result.errors);
		if (result.status) return answers.refused(response, result.status, result.message);
		const updated = result.document;
		updated.canonical = canonicalOf(updated);
		// Files of removed resources go with them.
		for (const resourceId of Object.keys(dataset.resources))
			if (!(resourceId in updated.resources)) state.removeFile(dataset.id, resourceId);
		state.datasets.set(dataset.id, updated);
		return answers.ok(response, {
			dataset: { ...state.present(updated, baseUrl), readonly: { updates: result.updates } },
		});
	}

	async function patchTeamRoute(request, response, id, user) {
		const team = state.teams.get(id);
		if (!team) {
			request.resume();
			return answers.notFound(response, 'Team', id);
		}
		const manager =
			user && (user.admin || team.users.some((member) => member.id === user.id && member.manager));
		if (!manager) {
			request.resume();
			return answers.forbidden(response, 'Only an admin or a manager of the team may edit it');
		}
		const body = await jsonBody(request, response);
		if (!body) return undefined;
		const result = patchTeam(state, team, body.value);
		if (result.errors) return answers.invalid(response, result.errors);
		if (result.status) return answers.refused(response, result.status, result.message);
		state.teams.set(id, result.document);
		return answers.ok(response, result.document);
	}

	async function patchSiteRoute(request, response, user) {
		if (!user || !user.admin) {
			request.resume();
			return answers.forbidden(response, 'Only an admin may edit the site');
		}
		const body = await jsonBody(request, response);
		if (!body) return undefined;
		const result = patchSite(state.site, body.value);
		if (result.errors) return answers.invalid(response, result.errors);
		if (result.status) return answers.refused(response, result.status, result.message);
		state.site = result.document;
		return answers.ok(response, state.site);
	}

	function users(user) {
		const sees = user && (user.admin || state.membershipsOf(user).length > 0);
		return [...state.users.values()].map((entry) => {
			const teams = state.membershipsOf(entry);
			return sees
				? { id: entry.id, title: entry.title, email: entry.email, admin: entry.admin, teams }
				: { id: entry.id, teams };
		});
	}

	/** `[method, pattern, handler, v3 only]`; a handler gets `(request, response, match, user, baseUrl)`. */
	const ROUTES = [
		[
			'GET',
			/^\/whoami$/,
			(request, response, match, user) => answers.ok(response, whoami(user)),
			true,
		],
		[
			'GET',
			/^\/(?:teams|team)$/,
			(request, response) =>
				answers.ok(
					response,
					Object.fromEntries([...state.teams.values()].map((team) => [team.id, clone(team)])),
				),
		],
		[
			'PATCH',
			/^\/team\/([^/]+)$/,
			(request, response, match, user) => patchTeamRoute(request, response, match[1], user),
		],
		['GET', /^\/site$/, (request, response) => answers.ok(response, state.site)],
		[
			'PATCH',
			/^\/site$/,
			(request, response, match, user) => patchSiteRoute(request, response, user),
		],
		['GET', /^\/users$/, (request, response, match, user) => answers.ok(response, users(user))],
		[
			'GET',
			/^\/datasets\/export\.json$/,
			(request, response, match, user, baseUrl) =>
				conditional.answer(request, response, exported(user, baseUrl, request.sandboxFault)),
		],
		[
			'POST',
			/^\/dataset$/,
			(request, response, match, user, baseUrl) => createDataset(request, response, user, baseUrl),
		],
		[
			'GET',
			/^\/dataset\/([^/]+)$/,
			(request, response, match, user, baseUrl) => {
				const dataset = readable(request, response, match[1], user);
				if (dataset) conditional.answer(request, response, state.present(dataset, baseUrl));
			},
		],
		[
			'PATCH',
			/^\/dataset\/([^/]+)$/,
			(request, response, match, user, baseUrl) => {
				const dataset = editable(request, response, match[1], user);
				return dataset && patchOne(request, response, dataset, baseUrl);
			},
		],
		[
			'POST',
			/^\/dataset\/([^/]+)\/resources(?:\/([^/]+))?$/,
			(request, response, match, user, baseUrl) => {
				const dataset = editable(request, response, match[1], user);
				if (!dataset) return undefined;
				if (match[2] !== undefined && !(match[2] in dataset.resources)) {
					request.resume();
					return answers.notFound(response, 'Resource', match[2]);
				}
				return uploads.formUpload(request, response, { dataset, resourceId: match[2], baseUrl });
			},
		],
		[
			'POST',
			/^\/dataset\/([^/]+)\/upload$/,
			async (request, response, match, user, baseUrl) => {
				const dataset = editable(request, response, match[1], user);
				if (!dataset) return undefined;
				const body = await jsonBody(request, response);
				return body && uploads.createUpload(response, { dataset, user, body: body.value, baseUrl });
			},
			true,
		],
		[
			'POST',
			/^\/upload\/([^/]+)\/chunk$/,
			(request, response, match, user) =>
				uploads.chunk(request, response, { uploadId: match[1], user }),
			true,
		],
		[
			'POST',
			/^\/upload\/([^/]+)\/complete$/,
			(request, response, match, user, baseUrl) =>
				uploads.complete(request, response, { uploadId: match[1], user, baseUrl }),
			true,
		],
	];

	/** Which prefixes a path is served under: the teams list is `/api/v3/teams` or the old `/api/team`. */
	function served(rest, v3, v3Only) {
		if (v3Only && !v3) return false;
		if (rest === '/teams') return v3;
		if (rest === '/team') return !v3;
		return true;
	}

	function download(request, response, url, user) {
		const match = /^\/download\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
		if (!match) return answers.notFound(response, 'File', url.pathname);
		const [datasetId, resourceId, fileName] = match.slice(1).map(decoded);
		if (fileName === null || datasetId === null || resourceId === null)
			return answers.notFound(response, 'File', url.pathname);
		const dataset = readable(request, response, datasetId, user);
		if (!dataset) return undefined;
		const file = state.files.get(`${datasetId}/${resourceId}`);
		if (!(resourceId in dataset.resources) || !file || file.fileName !== fileName)
			return answers.notFound(response, 'File', `${datasetId}/${resourceId}/${fileName}`);
		return sendFile(response, file, 'application/octet-stream');
	}

	return async function handle(request, response, url, baseUrl) {
		const user = state.userOf(request);
		if (url.pathname.startsWith('/download/') && request.method === 'GET')
			return download(request, response, url, user);
		const prefix = /^\/api(\/v3)?(\/.*)$/.exec(url.pathname);
		if (prefix) {
			const v3 = prefix[1] !== undefined;
			const rest = prefix[2];
			let pathKnown = false;
			for (const [method, pattern, handler, v3Only] of ROUTES) {
				const match = pattern.exec(rest);
				if (!match || !served(rest, v3, v3Only)) continue;
				pathKnown = true;
				if (method !== request.method) continue;
				const parts = match.map((part, index) =>
					index && part !== undefined ? decoded(part) : part,
				);
				if (parts.includes(null)) {
					request.resume();
					return answers.notFound(response, 'Route', url.pathname);
				}
				return handler(request, response, parts, user, baseUrl);
			}
			if (pathKnown) {
				request.resume();
				return answers.refused(
					response,
					405,
					`${request.method} is not supported on ${url.pathname}`,
				);
			}
		}
		request.resume();
		return answers.notFound(response, 'Route', url.pathname);
	};
}

module.exports = { createRouter };
