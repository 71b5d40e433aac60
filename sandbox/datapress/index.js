/**
 * DataPress sandboxes behind one start function: `api: 'legacy'`, the API of the seed and api-facts.md,
 * with the storage host it presigns large uploads for (legacy/). The HTTP shell, faults, control API and
 * multipart reading are in shared/.
 */
'use strict';

const legacy = require('./legacy');

const API_GENERATIONS = ['legacy'];
const DEFAULT_API = 'legacy';

async function startDatastoreSandboxes({ api = DEFAULT_API, ...options } = {}) {
	if (api === 'legacy') return legacy.startDatastoreSandboxes(options);
	throw new Error(`Unknown DataPress API "${api}": one of ${API_GENERATIONS.join(', ')}`);
}

module.exports = {
	startDatastoreSandboxes,
	API_GENERATIONS,
	DEFAULT_API,
	MAX_MULTIPART_BYTES: legacy.MAX_MULTIPART_BYTES,
	STORAGE_CREDENTIALS: legacy.STORAGE_CREDENTIALS,
};
