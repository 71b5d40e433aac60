/**
 * The shape of an RFC 6902 JSON Patch, checked before anything is applied, by both DataPress generations:
 * an array of objects with a known `op`, a JSON pointer `path`, `from` for move and copy, `value` for add,
 * replace and test. `checkOperation(operation, index)` adds a generation's own refusal (run after `path`).
 * And the refusal of an operation that does not apply.
 */
'use strict';

const OPERATIONS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** The first problem, as a message naming the operation, or undefined. */
function patchShapeError(patch, checkOperation = () => undefined) {
	if (!Array.isArray(patch))
		return 'Request body must be a well-formed JSON patch: an array of operations';
	for (let index = 0; index < patch.length; index++) {
		const operation = patch[index];
		if (!operation || typeof operation !== 'object' || Array.isArray(operation))
			return `Operation ${index} is not an object`;
		if (!OPERATIONS.has(operation.op)) return `Operation ${index}: unknown op "${operation.op}"`;
		if (typeof operation.path !== 'string' || !operation.path.startsWith('/'))
			return `Operation ${index}: path must be a JSON pointer such as "/title"`;
		const refusal = checkOperation(operation, index);
		if (refusal) return refusal;
		if ((operation.op === 'move' || operation.op === 'copy') && typeof operation.from !== 'string')
			return `Operation ${index}: ${operation.op} needs "from"`;
		if (['add', 'replace', 'test'].includes(operation.op) && !('value' in operation))
			return `Operation ${index}: ${operation.op} needs "value"`;
	}
	return undefined;
}

/**
 * Why fast-json-patch rejected an operation, as `{ status, text }`: 409 for a failed `test` (the document
 * changed since it was read: `changed` words it), 400 naming the operation otherwise.
 */
function operationRefusal(error, operation, index, changed) {
	if (error && error.name === 'TEST_OPERATION_FAILED')
		return { status: 409, text: `Operation ${index} (test ${operation.path}) failed: ${changed}` };
	return {
		status: 400,
		text: `Operation ${index} (${operation.op} ${operation.path}): ${String(error && error.message).split('\n')[0]}`,
	};
}

module.exports = { patchShapeError, operationRefusal };
