#!/usr/bin/env node
/**
 * `npm run sandbox`: the sandboxes of both APIs, the demo mailbox and the scripted chat model on fixed local
 * ports, for trying the nodes (or any HTTP client) without accounts. Ports come from PLANNING_PORT,
 * DATAPRESS_PORT, STORAGE_PORT, SMTP_PORT, MAILBOX_PORT and MODEL_PORT when set, the data folder from
 * SANDBOX_DATA_DIR. DataPress 4 (what data.london.gov.uk runs today) is the default; `--api legacy` serves
 * the legacy DataPress API with its storage host instead (the nodes speak both). Ctrl-C stops them.
 */
'use strict';

const path = require('node:path');

const { startPlanningSandbox } = require('./planning');
const { startMailSink } = require('./mail');
const { startModelSandbox } = require('./model');
const { DEMO_SCRIPTS } = require('./model/demoScripts');

const port = (name, fallback) => Number(process.env[name] || fallback);

async function startSandboxes({ dataDir, api } = {}) {
	const started = [];
	const planning = await startPlanningSandbox({
		port: port('PLANNING_PORT', 4010),
		now: new Date().toISOString(),
		tick: true,
	});
	started.push(planning);
	const { startDatastoreSandboxes } = require('./datapress');
	const datastore = await startDatastoreSandboxes({
		api,
		port: port('DATAPRESS_PORT', 4020),
		storagePort: port('STORAGE_PORT', 4030),
		dataDir,
	});
	started.push(datastore);
	const mailbox = await startMailSink({
		smtpPort: port('SMTP_PORT', 4025),
		httpPort: port('MAILBOX_PORT', 4026),
	});
	started.push(mailbox);
	const model = await startModelSandbox({ port: port('MODEL_PORT', 4040), scripts: DEMO_SCRIPTS });
	started.push(model);
	return {
		planning,
		datastore,
		mailbox,
		model,
		async close() {
			await Promise.allSettled(started.map((server) => server.close()));
		},
	};
}

/** `--api legacy|v4` (or `--api=v4`); undefined leaves the start function's default. */
function apiOption(argv) {
	const index = argv.findIndex((arg) => arg === '--api' || arg.startsWith('--api='));
	if (index === -1) return undefined;
	return argv[index].includes('=') ? argv[index].split('=')[1] : argv[index + 1];
}

async function main() {
	const api = apiOption(process.argv.slice(2));
	const sandboxes = await startSandboxes({
		dataDir: process.env.SANDBOX_DATA_DIR || path.join(__dirname, '..', '.sandbox-data'),
		api,
	});
	const { planning, datastore, mailbox, model } = sandboxes;
	const datapress =
		datastore.api === 'v4'
			? `DataPress 4       ${datastore.url}      keys demo-editor-key (editor), demo-viewer-key (no edit rights), demo-admin-key; chunked uploads through /api/v3/dataset/:id/upload`
			: `DataPress         ${datastore.url}      keys demo-editor-key (editor), demo-viewer-key (no edit rights), demo-admin-key
  Storage           ${datastore.storageUrl}      (presigned uploads; no key)`;
	console.log(`Sandboxes running (Ctrl-C stops them):
  Planning API      ${planning.url}   key demo-planning-key (5000 credits); new keys via /generatekey
  ${datapress}
  Mailbox           ${mailbox.url}      (SMTP ${mailbox.smtpHost}:${mailbox.smtpPort}, no auth)
  Chat model        ${model.url}   key ${model.key}, model ${model.model} (OpenAI-compatible, scripted)
Control endpoints (not part of the real APIs): ${planning.origin}/_sandbox/..., ${datastore.url}/_sandbox/..., ${model.origin}/_sandbox/...`);
	const stop = async () => {
		await sandboxes.close();
		process.exit(0);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

if (require.main === module) {
	main().catch((error) => {
		console.error(`sandbox: ${error.message}`);
		process.exit(1);
	});
}

module.exports = { startSandboxes };
