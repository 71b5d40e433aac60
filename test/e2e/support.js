/**
 * Shared set-up of the end-to-end suites: one real n8n (2.x or 1.x, installed by scripts/install-n8n.mjs),
 * a fresh user folder with the packed package installed as a community package, the sandboxes of both APIs
 * and the mailbox on random ports, and the demo credentials imported.
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const instance = require('../../scripts/lib/n8n-instance.cjs');
const { demoCredentials, preparedExamples, CREDENTIAL_IDS } = require('../../scripts/lib/demo.cjs');

const repoRoot = path.resolve(__dirname, '..', '..');

/** Installs (or finds in the cache) the n8n of one release line; returns what install-n8n.mjs prints. */
function installN8n(line) {
	const args = [path.join(repoRoot, 'scripts', 'install-n8n.mjs')];
	if (line === '1') args.push('--v1');
	else args.push('--line', line);
	const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	return JSON.parse(stdout);
}

let packedTarball;
/** The package as `npm pack` gives it, built from the current sources once per test process. */
function packedPackage() {
	if (!packedTarball) packedTarball = instance.packPackage({ build: !fs.existsSync(path.join(repoRoot, 'dist')) });
	return packedTarball;
}

/**
 * Starts everything one suite needs. The Planning sandbox's clock runs in real time, because n8n's `$now` in
 * the examples and the running trigger's poll times are real time too.
 */
async function startEnvironment({ line }) {
	const { startPlanningSandbox } = require('../../sandbox/planning');
	const { startDatastoreSandboxes } = require('../../sandbox/datapress');
	const { startMailSink } = require('../../sandbox/mail');

	const installed = installN8n(line);
	const userFolder = instance.createUserFolder({ tarball: packedPackage() });
	const filesFolder = path.join(userFolder, 'files');
	fs.mkdirSync(filesFolder, { recursive: true });
	const planning = await startPlanningSandbox({ port: 0, now: new Date().toISOString(), tick: true });
	const datastore = await startDatastoreSandboxes({ port: 0, storagePort: 0 });
	const mailbox = await startMailSink();
	// n8n 2.x only reads files under N8N_RESTRICT_FILE_ACCESS_TO; 1.x honours the same setting.
	const extraEnv = { N8N_RESTRICT_FILE_ACCESS_TO: filesFolder };

	await instance.importJson({
		installed,
		userFolder,
		kind: 'credentials',
		data: demoCredentials({
			planningUrl: planning.url,
			datapressUrl: datastore.url,
			smtpHost: mailbox.smtpHost,
			smtpPort: mailbox.smtpPort,
		}),
	});

	return {
		installed,
		userFolder,
		filesFolder,
		planning,
		datastore,
		mailbox,
		extraEnv,
		async importWorkflows(workflows) {
			await instance.importJson({ installed, userFolder, kind: 'workflow', data: workflows });
		},
		async execute(id) {
			return await instance.executeWorkflow({ installed, userFolder, id, extraEnv });
		},
		async startServer() {
			return await instance.startServer({ installed, userFolder, extraEnv });
		},
		async cli(args) {
			return await instance.runCli({ installed, userFolder, args, extraEnv });
		},
		async close() {
			await Promise.allSettled([planning.close(), datastore.close(), mailbox.close()]);
		},
	};
}

let nodeCounter = 0;
/** A workflow of a Manual Trigger followed by the given nodes in a chain (each `{ name, type, parameters }`). */
function chainWorkflow(id, name, nodes) {
	const trigger = { id: `${id}-start`, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
	const placed = nodes.map((node, index) => ({
		id: `${id}-n${index}-${nodeCounter++}`,
		typeVersion: 1,
		position: [220 * (index + 1), 0],
		...node,
		credentials: node.credentials || credentialsFor(node.type),
	}));
	const all = [trigger, ...placed];
	const connections = {};
	for (let index = 0; index < all.length - 1; index++) {
		connections[all[index].name] = { main: [[{ node: all[index + 1].name, type: 'main', index: 0 }]] };
	}
	return { id, name, active: false, nodes: all, connections, settings: { executionOrder: 'v1' } };
}

const PACKAGE = instance.PACKAGE_NAME;
function credentialsFor(type) {
	if (type === `${PACKAGE}.ukPlanning` || type === `${PACKAGE}.ukPlanningTrigger`) {
		return { ukPlanningApi: { id: CREDENTIAL_IDS.ukPlanningApi, name: 'UK Planning API (sandbox)' } };
	}
	if (type === `${PACKAGE}.londonDatastore`) {
		return { londonDatastoreApi: { id: CREDENTIAL_IDS.londonDatastoreApi, name: 'London Datastore API (sandbox)' } };
	}
	return undefined;
}

/** Writes a file of `bytes` pseudo-random bytes by streaming (never whole in memory); resolves to its path. */
async function writeLargeFile(filePath, bytes) {
	const crypto = require('node:crypto');
	const stream = fs.createWriteStream(filePath);
	const chunk = crypto.randomBytes(1024 * 1024);
	let written = 0;
	while (written < bytes) {
		const part = Math.min(chunk.length, bytes - written);
		if (!stream.write(part === chunk.length ? chunk : chunk.subarray(0, part))) {
			await new Promise((resolve) => stream.once('drain', resolve));
		}
		written += part;
	}
	await new Promise((resolve, reject) => stream.end((error) => (error ? reject(error) : resolve())));
	return filePath;
}

function md5OfFile(filePath) {
	const crypto = require('node:crypto');
	return new Promise((resolve, reject) => {
		const hash = crypto.createHash('md5');
		fs.createReadStream(filePath)
			.on('data', (data) => hash.update(data))
			.on('error', reject)
			.on('end', () => resolve(hash.digest('hex')));
	});
}

function tempFolder(prefix) {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = {
	PACKAGE,
	startEnvironment,
	chainWorkflow,
	preparedExamples,
	writeLargeFile,
	md5OfFile,
	tempFolder,
	nodeItems: instance.nodeItems,
	nodeError: instance.nodeError,
};
