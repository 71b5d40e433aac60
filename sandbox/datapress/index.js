/**
 * DataPress sandboxes, two generations of the API behind one start function:
 * - `api: 'v4'` (the default): DataPress 4, what data.london.gov.uk serves today (datapress-v4.md), with
 *   chunked uploads through the API host (v4/);
 * - `api: 'legacy'`: the API of the seed and api-facts.md, with the storage host it presigns large
 *   uploads for (legacy/).
 * Both answer the same control API under `/_sandbox/` and take the same injected faults (shared/).
 */
'use strict';

const legacy = require('./legacy');
const v4 = require('./v4');

const API_GENERATIONS = ['legacy', 'v4'];
const DEFAULT_API = 'v4';

async function startDatastoreSandboxes({ api = DEFAULT_API, ...options } = {}) {
	let sandbox;
	if (api === 'v4') sandbox = await v4.startDataPress4Sandbox(options);
	else if (api === 'legacy') sandbox = await legacy.startDatastoreSandboxes(options);
	else throw new Error(`Unknown DataPress API "${api}": one of ${API_GENERATIONS.join(', ')}`);
	sandbox.api = api;
	return sandbox;
}

module.exports = {
	startDatastoreSandboxes,
	API_GENERATIONS,
	DEFAULT_API,
	MAX_MULTIPART_BYTES: legacy.MAX_MULTIPART_BYTES,
	STORAGE_CREDENTIALS: legacy.STORAGE_CREDENTIALS,
};
