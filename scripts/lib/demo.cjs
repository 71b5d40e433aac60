/**
 * What the demo and the end-to-end tests import into n8n: credentials pointing at the local sandboxes, and
 * the example workflows of `examples/`. Ids are fixed so that the examples' nodes find their credentials.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const examplesFolder = path.resolve(__dirname, '..', '..', 'examples');

const CREDENTIAL_IDS = {
	ukPlanningApi: 'pdsPlanningCred1',
	londonDatastoreApi: 'pdsDatastoreCred1',
	smtp: 'pdsSmtpCred1',
	openAiApi: 'pdsModelCred1',
};

/** Credentials for `n8n import:credentials` (plain `data`; n8n encrypts it on import). */
function demoCredentials({
	planningUrl,
	datapressUrl,
	smtpHost,
	smtpPort,
	modelUrl,
	planningKey = 'demo-planning-key',
	datapressKey = 'demo-editor-key',
	modelKey = 'demo-model-key',
}) {
	// n8n's own OpenAI credential, its Base URL on the sandbox model (when one runs).
	const model = modelUrl
		? [
				{
					id: CREDENTIAL_IDS.openAiApi,
					name: 'Sandbox chat model (OpenAI-compatible)',
					type: 'openAiApi',
					data: { apiKey: modelKey, url: modelUrl, header: false },
				},
			]
		: [];
	return [
		{
			id: CREDENTIAL_IDS.ukPlanningApi,
			name: 'UK Planning API (sandbox)',
			type: 'ukPlanningApi',
			data: { apiKey: planningKey, baseUrl: planningUrl },
		},
		{
			id: CREDENTIAL_IDS.londonDatastoreApi,
			name: 'London Datastore API (sandbox)',
			type: 'londonDatastoreApi',
			data: { apiKey: datapressKey, baseUrl: datapressUrl },
		},
		{
			id: CREDENTIAL_IDS.smtp,
			name: 'Demo mailbox (local SMTP sink)',
			type: 'smtp',
			data: {
				user: '',
				password: '',
				host: smtpHost,
				port: smtpPort,
				secure: false,
				disableStartTls: true,
			},
		},
		...model,
	];
}

/** The example workflows, parsed, in file-name order. */
function exampleWorkflows() {
	if (!fs.existsSync(examplesFolder)) return [];
	return fs
		.readdirSync(examplesFolder)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({
			file,
			workflow: JSON.parse(fs.readFileSync(path.join(examplesFolder, file), 'utf8')),
		}));
}

/** The node of example 3 that reads the large file; its path is set to a real file at import time. */
const LARGE_FILE_NODE = 'Read large file';

/**
 * The examples ready to import on this machine: the large-file example pointed at `largeFilePath`, and
 * optionally the trigger's poll interval changed (the tests poll every minute).
 */
function preparedExamples({ largeFilePath, triggerPollTimes } = {}) {
	return exampleWorkflows().map(({ workflow }) => {
		const copy = JSON.parse(JSON.stringify(workflow));
		for (const node of copy.nodes) {
			if (largeFilePath && node.name === LARGE_FILE_NODE)
				node.parameters.fileSelector = largeFilePath;
			if (triggerPollTimes && node.type.endsWith('.ukPlanningTrigger'))
				node.parameters.pollTimes = triggerPollTimes;
		}
		return copy;
	});
}

/** Writes a file of `bytes` CSV-looking bytes by streaming (never whole in memory), unless it exists at that size. */
async function ensureLargeFile(filePath, bytes) {
	if (fs.existsSync(filePath) && fs.statSync(filePath).size === bytes) return filePath;
	fs.mkdirSync(path.dirname(filePath), { recursive: true });
	const stream = fs.createWriteStream(filePath);
	const header = 'reference,borough,units,description\n';
	let row = 0;
	let written = 0;
	const block = () => {
		const lines = [];
		for (let i = 0; i < 4096; i++, row++)
			lines.push(
				`R${String(row).padStart(9, '0')},Borough ${row % 33},${row % 250},Synthetic row for the large-file example`,
			);
		return `${lines.join('\n')}\n`;
	};
	let chunk = Buffer.from(header);
	while (written < bytes) {
		const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
		if (!stream.write(part)) await new Promise((resolve) => stream.once('drain', resolve));
		written += part.length;
		chunk = Buffer.from(block());
	}
	await new Promise((resolve, reject) =>
		stream.end((error) => (error ? reject(error) : resolve())),
	);
	return filePath;
}

module.exports = {
	CREDENTIAL_IDS,
	LARGE_FILE_NODE,
	demoCredentials,
	exampleWorkflows,
	preparedExamples,
	ensureLargeFile,
	examplesFolder,
};
