#!/usr/bin/env node
/**
 * `npm start`: the product for a newcomer. Installs what it needs the first time (project dependencies,
 * Node.js 24 and n8n into a cache folder), builds and installs this package into an isolated n8n user
 * folder the way n8n installs community packages, starts the sandboxes of both APIs and a local mailbox,
 * imports credentials and the example workflows, and starts n8n. Ctrl-C stops everything it started.
 *
 * `npm start -- --queue`: the same demo on n8n's queue mode (PostgreSQL, Redis, a main and two workers; see
 * scripts/lib/queue-mode.cjs), its folder `.demo-queue/`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { ensureDependencies, repoRoot } from './lib/ensure-deps.mjs';

const require = createRequire(import.meta.url);
const say = (message) => console.log(`start: ${message}`);

const PORTS = {
	n8n: Number(process.env.N8N_PORT || 5678),
	planning: Number(process.env.PLANNING_PORT || 4010),
	datapress: Number(process.env.DATAPRESS_PORT || 4020),
	storage: Number(process.env.STORAGE_PORT || 4030),
	smtp: Number(process.env.SMTP_PORT || 4025),
	mailbox: Number(process.env.MAILBOX_PORT || 4026),
	model: Number(process.env.MODEL_PORT || 4040),
};
const OWNER = {
	email: 'demo@example.com',
	password: 'Demo-password-1',
	firstName: 'Demo',
	lastName: 'User',
};
const queueMode = process.argv.includes('--queue');
const demoFolder =
	process.env.DEMO_FOLDER || path.join(repoRoot, queueMode ? '.demo-queue' : '.demo');
// The only folder n8n's file nodes may read in the demo (N8N_RESTRICT_FILE_ACCESS_TO).
const filesFolder = path.join(demoFolder, 'files');
// n8n 2.x and the last 1.x offer every community node that declares usableAsTool as an agent's tool; older
// 1.x releases only with this set.
const n8nEnv = {
	N8N_RESTRICT_FILE_ACCESS_TO: filesFolder,
	N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE: 'true',
};

ensureDependencies('start');
const { ensureN8n } = await import('./install-n8n.mjs');
say('checking Node.js 24 and n8n in the cache (installs them the first time: about 5 minutes)');
const installed = ensureN8n({ line: '2' });

const instance = require('./lib/n8n-instance.cjs');
const { demoCredentials, preparedExamples, ensureLargeFile } = require('./lib/demo.cjs');

say('building and packing the package');
const tarball = instance.packPackage({ build: true });

const firstRun = !fs.existsSync(
	path.join(
		demoFolder,
		queueMode ? path.join('postgres', 'data', 'PG_VERSION') : path.join('.n8n', 'database.sqlite'),
	),
);
fs.mkdirSync(demoFolder, { recursive: true });
if (!queueMode) {
	instance.createUserFolder({ tarball, folder: demoFolder });
	say(`installed ${path.basename(tarball)} into ${path.join(demoFolder, '.n8n', 'nodes')}`);
}

const started = [];
async function stopAll() {
	for (const stop of started.reverse()) {
		try {
			await stop();
		} catch {
			// keep stopping the rest
		}
	}
}

try {
	say('starting the sandboxes');
	const { startPlanningSandbox } = require('../sandbox/planning');
	const { startDatastoreSandboxes } = require('../sandbox/datapress');
	const { startMailSink } = require('../sandbox/mail');
	const { startModelSandbox } = require('../sandbox/model');
	const { DEMO_SCRIPTS } = require('../sandbox/model/demoScripts');
	// The demo's Planning sandbox clock runs in real time, as n8n's $now does.
	const planning = await startPlanningSandbox({
		port: PORTS.planning,
		now: new Date().toISOString(),
		tick: true,
	});
	started.push(() => planning.close());
	const datastore = await startDatastoreSandboxes({
		port: PORTS.datapress,
		storagePort: PORTS.storage,
		dataDir: path.join(demoFolder, 'datastore-files'),
	});
	started.push(() => datastore.close());
	// For the London Datastore Trigger's example: the sandbox publishes a change to vd4q4 every minute
	// (a new version of its first file every other minute).
	if (datastore.api === 'v4')
		datastore.control.startSchedule({ everyMs: 60 * 1000, demo: true, datasetId: 'vd4q4' });
	const mailbox = await startMailSink({ smtpPort: PORTS.smtp, httpPort: PORTS.mailbox });
	started.push(() => mailbox.close());
	const model = await startModelSandbox({ port: PORTS.model, scripts: DEMO_SCRIPTS });
	started.push(() => model.close());

	// Queue mode: the database must exist before anything is imported, so the cluster comes up first.
	let cluster = null;
	if (queueMode) {
		const { startQueueCluster } = require('./lib/queue-mode.cjs');
		cluster = await startQueueCluster({
			installed,
			tarball,
			folder: demoFolder,
			extraEnv: n8nEnv,
			mainPort: PORTS.n8n,
			say,
		});
		started.push(() => cluster.stop());
	}
	const importJson = (kind, data) =>
		cluster
			? cluster.importJson(kind, data)
			: instance.importJson({ installed, userFolder: demoFolder, kind, data });

	if (firstRun) {
		say('importing demo credentials and the example workflows');
		const credentials = demoCredentials({
			planningUrl: planning.url,
			datapressUrl: datastore.url,
			smtpHost: mailbox.smtpHost,
			smtpPort: mailbox.smtpPort,
			modelUrl: model.url,
		});
		await importJson('credentials', credentials);
		// Example 3 publishes a file over 100 MB; make one (about 120 MB of CSV) where n8n may read it.
		const largeFilePath = await ensureLargeFile(
			path.join(filesFolder, 'large-extract.csv'),
			120 * 1024 * 1024,
		);
		const workflows = preparedExamples({ largeFilePath });
		if (workflows.length) await importJson('workflow', workflows);
	}

	let server;
	if (cluster) {
		server = cluster.main;
	} else {
		say('starting n8n');
		server = await instance.startServer({
			installed,
			userFolder: demoFolder,
			port: PORTS.n8n,
			extraEnv: n8nEnv,
		});
		started.push(() => server.stop());
	}
	if (firstRun) {
		const answer = await fetch(`${server.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!answer.ok)
			say(`owner setup answered ${answer.status}; log in with the account you created before`);
	}

	const queueLines = cluster
		? `
Queue mode: the editor and polling triggers on the main (pid ${cluster.main.process.pid}); executions on
${cluster.workers.map((worker) => `${worker.name} (pid ${worker.process.pid})`).join(' and ')}; PostgreSQL on port ${cluster.postgres.port},
Redis on port ${cluster.redis.port}; binary data in n8n's queue-mode default (database).
`
		: '';
	console.log(`
n8n is running with the planning and datastore nodes:  ${server.url}${queueLines}
  log in as ${OWNER.email} / ${OWNER.password}

Sandboxes (local stand-ins for the real services, demo data):
  Planning API     ${planning.url}        key demo-planning-key
  London Datastore ${datastore.url}          key demo-editor-key   (${datastore.api === 'v4' ? 'DataPress 4' : `legacy API, storage ${datastore.storageUrl}`})
  Demo mailbox     ${mailbox.url}          (SMTP on ${mailbox.smtpHost}:${mailbox.smtpPort})
  Chat model       ${model.url}        key ${model.key} (scripted, OpenAI-compatible; what it was asked: ${model.origin}/_sandbox/requests)

Try first: open "Count before you pay" and click "Execute workflow"; then "New applications by email",
activate it, and watch ${mailbox.url}; then open "Ask about planning applications", click "Open chat" and ask
"Which planning applications for extension near GU16?". "When a London Datastore file changes..." mails a
digest of each new version of a file of vd4q4 (the sandbox publishes one every two minutes) once activated.
Ctrl-C stops everything.`);

	await new Promise((resolve) => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
		server.process.once('close', resolve);
	});
} catch (error) {
	console.error(`start: ${error.message}`);
	process.exitCode = 1;
} finally {
	say('stopping');
	await stopAll();
}
