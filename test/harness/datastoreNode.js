/**
 * What the London Datastore node suites share (londonDatastore.test.js, legacy only, and
 * londonDatastore.generations.test.js): running the node while keeping all it produced (searched for the
 * API key at the end), the File → Upload parameters, and the address a stored file downloads from.
 */
'use strict';

const { runNode, serializeError } = require('./n8n');
const { LondonDatastore } = require('../../nodes/LondonDatastore/LondonDatastore.node.ts');

/**
 * `run(parameters, options)` runs the node (`items`, `typeVersion`, `continueOnFail`; the other options go
 * to `credentials(options)`, which gives the node's credentials) and records its error or output in
 * `produced`; `ok` runs, expects success and gives the JSON of the first output's items.
 */
function datastoreRunner(credentials, produced) {
	async function run(parameters, { items, typeVersion, continueOnFail = false, ...rest } = {}) {
		const result = await runNode(LondonDatastore, {
			parameters,
			credentials: credentials(rest),
			items,
			typeVersion,
			continueOnFail,
		});
		produced.push(result.error ? serializeError(result.error) : JSON.stringify(result.output));
		return result;
	}

	async function ok(parameters, options) {
		const { output, error } = await run(parameters, options);
		if (error) throw new Error(`The node failed: ${serializeError(error)}`);
		return output[0].map((item) => item.json);
	}

	return { run, ok };
}

/** File → Upload of the binary field `data` into `datasetId`; `extra` adds or overrides parameters. */
function uploadParameters(datasetId, extra = {}) {
	return {
		resource: 'file',
		operation: 'upload',
		datasetId,
		binaryPropertyName: 'data',
		...extra,
	};
}

/** Where a resource of a stored dataset downloads from: its `url`, or the site's download route. */
function downloadUrl(siteUrl, dataset, resourceId) {
	const resource = dataset.resources[resourceId];
	if (/^https?:/.test(resource.url)) return resource.url;
	const fileName = decodeURIComponent(
		String(resource.url || '')
			.split('/')
			.pop() || 'file',
	);
	return `${siteUrl}/download/${dataset.slug ?? dataset.id}/${resourceId}/${encodeURIComponent(fileName)}`;
}

module.exports = { datastoreRunner, uploadParameters, downloadUrl };
