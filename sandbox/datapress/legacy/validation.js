/**
 * What the legacy DataPress API refuses in a dataset: a new dataset's body (POST /api/dataset, every
 * problem listed) and a patched dataset (PATCH, the first problem), and the shape of a patch itself.
 */
'use strict';

const { patchShapeError } = require('../shared/patchShape');

const SLUG_PATTERN = /^[a-z0-9]+[a-z0-9-]*$/;
const IMMUTABLE = [/^\/id(\/|$)/, /^\/readonly(\/|$)/];

/** Checks a patch's shape; returns an error message naming the operation, or undefined. */
function patchError(patch) {
	return patchShapeError(patch, (operation, index) => {
		for (const pointer of [operation.path, operation.from]) {
			if (pointer !== undefined && IMMUTABLE.some((pattern) => pattern.test(pointer))) {
				return `Operation ${index} (${operation.op} ${pointer}): "id" and "readonly" cannot be changed`;
			}
		}
		return undefined;
	});
}

/** The problems of a create body (already known to be a JSON object), in the order they are listed. */
function createErrors(body, state) {
	const errors = [];
	if (typeof body.title !== 'string' || !body.title.trim()) errors.push('title is required');
	if (typeof body.slug !== 'string' || !body.slug) errors.push('slug is required');
	else if (!SLUG_PATTERN.test(body.slug))
		errors.push('slug must be lower-case letters, digits and hyphens');
	else if (state.findDataset(body.slug)) errors.push(`slug "${body.slug}" is taken`);
	if (!body.parent) errors.push('parent (a team id, see /api/orgs) is required');
	else if (!state.teamById(body.parent))
		errors.push(`parent "${body.parent}" is not a team (see /api/orgs)`);
	if (body.sharing !== undefined && !['public', 'private'].includes(body.sharing))
		errors.push('sharing must be "public" or "private"');
	if (body.id !== undefined || body.readonly !== undefined)
		errors.push('id and readonly are set by the server');
	return errors;
}

/** The first problem of `working` (the patched copy of `original`), or undefined. */
function patchedDatasetError(working, original, state) {
	if (typeof working.title !== 'string' || !working.title.trim()) return 'title must not be empty';
	if (typeof working.slug !== 'string' || !SLUG_PATTERN.test(working.slug))
		return 'slug must be lower-case letters, digits and hyphens';
	for (const other of state.datasets.values()) {
		if (other.id !== working.id && other.slug === working.slug)
			return `slug "${working.slug}" is taken`;
	}
	if (working.id !== original.id) return '"id" cannot be changed';
	return undefined;
}

module.exports = { patchError, createErrors, patchedDatasetError, SLUG_PATTERN };
