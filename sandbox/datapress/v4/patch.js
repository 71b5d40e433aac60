/**
 * JSON Patch (RFC 6902) on DataPress 4 documents (datasets, teams, the site): applied atomically to a copy
 * that is committed only when every operation applied and the result is valid. Edits to immutable fields
 * are ignored, not refused (datapress-v4.md: "edits to immutable fields will be ignored"): operations on
 * them are skipped and left out of `updates`, and what other operations did to them (replacing a whole
 * file entry, say) is put back.
 */
'use strict';

const jsonpatch = require('fast-json-patch');

const { patchShapeError, operationRefusal } = require('../shared/patchShape');
const { clone, DATASET_KEYS } = require('./state');

const ISO_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PERIOD = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** Dataset fields the server owns; for resources, what the stored file determines. */
const DATASET_IMMUTABLE = ['id', 'site', 'canonical', 'createdAt', 'readonly'];
const RESOURCE_IMMUTABLE = ['hash', 'size', 'format', 'origin', 'url'];

/**
 * Applies `patch` to a copy of `original`. `immutable(pointer)` says whether an operation's target is
 * server-owned; `restore(working, original)` puts the server-owned values back; `validate(working)` lists
 * field errors. Returns `{ document, updates }`, or `{ status, message | errors }` with nothing applied.
 */
function applyPatch(original, patch, { immutable, restore, validate }) {
	const shapeError = patchShapeError(patch);
	if (shapeError) return { status: 400, message: shapeError };
	const working = clone(original);
	const updates = [];
	for (let index = 0; index < patch.length; index++) {
		const operation = patch[index];
		// Dropped before it runs: a server-owned value may not even be stored (a file's `url` is computed).
		if (
			operation.op !== 'test' &&
			(immutable(operation.path) || (operation.op === 'move' && immutable(operation.from)))
		)
			continue;
		const refused = (error) => {
			const { status, text } = operationRefusal(
				error,
				operation,
				index,
				'the document has changed',
			);
			return { status, message: text };
		};
		const error = jsonpatch.validate([operation], working);
		if (error) return refused(error);
		try {
			jsonpatch.applyOperation(working, clone(operation), false, true);
		} catch (applyError) {
			return refused(applyError);
		}
		updates.push(clone(operation));
	}
	const refusal = restore(working, original);
	if (refusal) return { status: 400, message: refusal };
	const errors = validate(working);
	if (errors.length) return { status: 400, errors };
	return { document: working, updates };
}

// ---- Datasets ----

function datasetPointerImmutable(pointer) {
	const parts = String(pointer).split('/');
	if (parts.length >= 2 && DATASET_IMMUTABLE.includes(parts[1])) return true;
	return parts.length >= 4 && parts[1] === 'resources' && RESOURCE_IMMUTABLE.includes(parts[3]);
}

/** Puts back what the server owns; refuses resources that a patch would create (files come by upload). */
function restoreDataset(working, original) {
	for (const key of DATASET_IMMUTABLE) {
		if (key in original) working[key] = clone(original[key]);
		else delete working[key];
	}
	if (
		!working.resources ||
		typeof working.resources !== 'object' ||
		Array.isArray(working.resources)
	)
		return 'resources must be an object of files';
	for (const [resourceId, resource] of Object.entries(working.resources)) {
		const before = original.resources[resourceId];
		if (!before)
			return `resources/${resourceId}: files are added with the upload API, not by a patch`;
		if (!resource || typeof resource !== 'object' || Array.isArray(resource))
			return `resources/${resourceId} must be an object`;
		for (const key of RESOURCE_IMMUTABLE) {
			if (key in before) resource[key] = before[key];
			else delete resource[key];
		}
	}
	return undefined;
}

const isStringArray = (value) =>
	Array.isArray(value) && value.every((item) => typeof item === 'string');
const isIntArray = (value) => Array.isArray(value) && value.every((item) => Number.isInteger(item));
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const isPair = (value, a, b) =>
	isObject(value) && typeof value[a] === 'string' && typeof value[b] === 'string';

/** The keys a DataPress 4 dataset has (the same list as the order the site serves them in). */
const KNOWN_DATASET_KEYS = new Set(DATASET_KEYS);

/** Field errors of a dataset, worded `field: message` as the live site's validation answer is. */
function datasetErrors(dataset, state) {
	const errors = [];
	const check = (ok, message) => {
		if (!ok) errors.push(message);
	};
	check(
		typeof dataset.title === 'string' && dataset.title.trim() !== '',
		'title: This field is required',
	);
	check(
		typeof dataset.team === 'string' && state.teams.has(dataset.team),
		'team: must be the id of a team (see /api/v3/teams)',
	);
	check(
		typeof dataset.masthead === 'string' && dataset.masthead in state.site.mastheads,
		"masthead: must be one of the site's mastheads (see /api/v3/site)",
	);
	check(
		['public', 'private', 'draft'].includes(dataset.sharing),
		'sharing: must be "public", "private" or "draft"',
	);
	check(typeof dataset.description === 'string', 'description: must be a string (HTML)');
	check(
		dataset.descriptionIframe === undefined || typeof dataset.descriptionIframe === 'string',
		'descriptionIframe: must be a URL string',
	);
	check(isIntArray(dataset.collaborators), 'collaborators: must be a list of user ids (integers)');
	check(isIntArray(dataset.readusers), 'readusers: must be a list of user ids (integers)');
	check(
		isStringArray(dataset.readteams) && dataset.readteams.every((team) => state.teams.has(team)),
		'readteams: must be a list of team ids',
	);
	check(isStringArray(dataset.tags), 'tags: must be a list of strings');
	check(
		isStringArray(dataset.topics) && dataset.topics.every((topic) => topic in state.site.topics),
		"topics: must be a list of the site's topics (see /api/v3/site)",
	);
	check(
		isObject(dataset.links) &&
			Object.values(dataset.links).every(
				(link) =>
					isObject(link) &&
					typeof link.url === 'string' &&
					link.url !== '' &&
					(link.title === undefined || typeof link.title === 'string'),
			),
		'links: each link needs a url and a title',
	);
	check(
		dataset.nextReviewDate === null ||
			(typeof dataset.nextReviewDate === 'string' && DAY.test(dataset.nextReviewDate)),
		'nextReviewDate: must be YYYY-MM-DD or null',
	);
	check(
		dataset.licence === null || isPair(dataset.licence, 'url', 'title'),
		'licence: must be {"url", "title"} or null',
	);
	check(
		dataset.contact === null || isPair(dataset.contact, 'email', 'title'),
		'contact: must be {"email", "title"} or null',
	);
	check(
		typeof dataset.updatedAt === 'string' &&
			ISO_STAMP.test(dataset.updatedAt) &&
			Number.isFinite(Date.parse(dataset.updatedAt)),
		'updatedAt: must be an ISO 8601 time',
	);
	check(
		dataset.archivedAt === null ||
			(typeof dataset.archivedAt === 'string' && Number.isFinite(Date.parse(dataset.archivedAt))),
		'archivedAt: must be an ISO 8601 time or null',
	);
	check(
		isObject(dataset.custom) &&
			Object.values(dataset.custom).every(
				(value) => typeof value === 'string' || isStringArray(value),
			),
		'custom: values must be strings or lists of strings',
	);
	for (const [resourceId, resource] of Object.entries(
		isObject(dataset.resources) ? dataset.resources : {},
	)) {
		check(
			typeof resource.title === 'string' && resource.title.trim() !== '',
			`resources/${resourceId}/title: This field is required`,
		);
		check(
			typeof resource.description === 'string',
			`resources/${resourceId}/description: must be a string`,
		);
		check(
			Number.isInteger(resource.order) && resource.order >= 0,
			`resources/${resourceId}/order: must be a whole number from 0`,
		);
		check(
			resource.timeframe === null || timeframeValid(resource.timeframe),
			`resources/${resourceId}/timeframe: must be {"from", "to"} (YYYY-MM) or null`,
		);
	}
	for (const key of Object.keys(dataset))
		check(
			KNOWN_DATASET_KEYS.has(key),
			`${key}: not a dataset field (site-defined fields go in "custom")`,
		);
	return errors;
}

function timeframeValid(timeframe) {
	return (
		isObject(timeframe) &&
		['from', 'to'].every((end) => typeof timeframe[end] === 'string' && PERIOD.test(timeframe[end]))
	);
}

function patchDataset(state, dataset, patch) {
	return applyPatch(dataset, patch, {
		immutable: datasetPointerImmutable,
		restore: restoreDataset,
		validate: (working) => datasetErrors(working, state),
	});
}

// ---- Teams and the site ----

function topLevelImmutable(keys) {
	return (pointer) => keys.includes(String(pointer).split('/')[1]);
}

function restoreKeys(keys) {
	return (working, original) => {
		for (const key of keys) working[key] = clone(original[key]);
		return undefined;
	};
}

function patchTeam(state, team, patch) {
	return applyPatch(team, patch, {
		immutable: topLevelImmutable(['id', 'site']),
		restore: restoreKeys(['id', 'site']),
		validate: (working) => {
			const errors = [];
			if (typeof working.title !== 'string' || !working.title.trim())
				errors.push('title: This field is required');
			const usersValid =
				Array.isArray(working.users) &&
				working.users.every(
					(member) =>
						isObject(member) &&
						Number.isInteger(member.id) &&
						state.userById(member.id) &&
						typeof member.manager === 'boolean',
				);
			if (!usersValid)
				errors.push('users: must be a list of {"id": <user id>, "manager": true|false}');
			return errors;
		},
	});
}

function patchSite(site, patch) {
	const titled = (value) =>
		isObject(value) &&
		Object.values(value).every(
			(entry) => isObject(entry) && typeof entry.title === 'string' && entry.title !== '',
		);
	return applyPatch(site, patch, {
		immutable: topLevelImmutable(['id']),
		restore: restoreKeys(['id']),
		validate: (working) => {
			const errors = [];
			if (typeof working.title !== 'string' || !working.title.trim())
				errors.push('title: This field is required');
			if (!titled(working.mastheads)) errors.push('mastheads: each masthead needs a title');
			if (!titled(working.topics)) errors.push('topics: each topic needs a title');
			return errors;
		},
	});
}

module.exports = { patchDataset, patchTeam, patchSite, datasetErrors, timeframeValid };
