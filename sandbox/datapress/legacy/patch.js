/**
 * RFC 6902 patches on legacy DataPress datasets (fast-json-patch), applied atomically: on a copy that is
 * committed only when every operation succeeded and the result is valid. An `add` of `/resources/<any>`
 * whose value has an `origin` attaches a file uploaded to the storage host under that key.
 */
'use strict';

const jsonpatch = require('fast-json-patch');

const { operationRefusal } = require('../shared/patchShape');
const { clone, formatOf, uuid } = require('./state');
const { patchError, patchedDatasetError } = require('./validation');

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

/**
 * The file stored under `operation.value.origin` as a new resource of `working` (at the top when `order`
 * is -1, else at the bottom); gives the update to report, or `{ status, error }`.
 */
function attachStoredFile(state, working, operation, index) {
	const object = state.storage.object(operation.value.origin);
	if (!object)
		return {
			status: 400,
			error: `Operation ${index}: no uploaded file has the origin "${operation.value.origin}"`,
		};
	const resourceId = uuid();
	const others = Object.values(working.resources);
	const top = operation.value.order === -1;
	if (top) for (const resource of others) resource.order = (Number(resource.order) || 0) + 1;
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
	return {
		update: {
			op: 'add',
			path: `/resources/${resourceId}`,
			value: clone(working.resources[resourceId]),
		},
	};
}

/** Gives `{ dataset, updates, user }` (nothing stored yet: see commitPatch), or `{ status, error }`. */
function applyPatch(state, dataset, patch, user) {
	const shapeError = patchError(patch);
	if (shapeError) return { status: 400, error: shapeError };
	const working = clone(dataset);
	if (!working.resources) working.resources = {};
	const updates = [];
	try {
		for (let index = 0; index < patch.length; index++) {
			const operation = patch[index];
			if (resourcePlaceholder(operation)) {
				const attached = attachStoredFile(state, working, operation, index);
				if (attached.error) return attached;
				updates.push(attached.update);
				continue;
			}
			const error = jsonpatch.validate([operation], working);
			if (error) {
				const { status, text } = operationRefusal(error, operation, index, 'the dataset changed');
				return { status, error: text };
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
	const invalid = patchedDatasetError(working, dataset, state);
	if (invalid) return { status: 400, error: invalid };
	return { dataset: working, updates, user };
}

/** Stores a patch's result: the files it attached kept, those of removed resources deleted. */
function commitPatch(state, original, result) {
	for (const [key, file] of state.pendingFiles) {
		if (key.startsWith(`${original.id}/`)) state.files.set(key, file);
	}
	state.pendingFiles.clear();
	// Files of removed resources go with them.
	for (const resourceId of Object.keys(original.resources || {})) {
		if (!(resourceId in (result.dataset.resources || {}))) {
			state.removeFile(state.files.get(`${original.id}/${resourceId}`));
			state.files.delete(`${original.id}/${resourceId}`);
		}
	}
	state.datasets.set(original.id, result.dataset);
}

module.exports = { applyPatch, commitPatch };
