/**
 * Drives a real n8n process with this package installed the way n8n installs community packages: the
 * packed tarball unpacked into `<user folder>/.n8n/nodes/node_modules/<package>`. Used by `npm start`
 * and by the end-to-end tests, so both run exactly what a user installs.
 */
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = require(path.join(repoRoot, 'package.json')).name;
/** A fixed key so that imported credentials stay readable by every process of one user folder. */
const ENCRYPTION_KEY = 'planning-datastore-local-encryption-key';

/** A temporary folder of this process, removed when it exits (`npm start`, the screenshots, the benches). */
function temporaryFolder(prefix) {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	process.once('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
	return folder;
}

/** Builds the package and packs it; returns the tarball path. */
function packPackage({ build = true, destination = temporaryFolder('pds-pack-') } = {}) {
	if (build)
		execFileSync('npm', ['run', 'build', '--silent'], {
			cwd: repoRoot,
			stdio: ['ignore', 'ignore', 'inherit'],
		});
	const output = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], {
		cwd: repoRoot,
		encoding: 'utf8',
	});
	return path.join(destination, output.trim().split('\n').pop());
}

/** A fresh n8n user folder with the packed package installed as a community package. */
function createUserFolder({
	tarball,
	folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pds-n8n-')),
}) {
	const nodesFolder = path.join(folder, '.n8n', 'nodes');
	const packageFolder = path.join(nodesFolder, 'node_modules', PACKAGE_NAME);
	fs.rmSync(packageFolder, { recursive: true, force: true });
	fs.mkdirSync(packageFolder, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '--strip-components=1', '-C', packageFolder]);
	// n8n lists installed community packages from this manifest, as its own installer leaves it.
	const manifestPath = path.join(nodesFolder, 'package.json');
	const manifest = fs.existsSync(manifestPath)
		? JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	manifest.dependencies = manifest.dependencies || {};
	manifest.dependencies[PACKAGE_NAME] = require(path.join(packageFolder, 'package.json')).version;
	fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
	return folder;
}

async function freePort() {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** The environment of every n8n process of one user folder: isolated, quiet, on loopback. */
function n8nEnvironment({ installed, userFolder, port = 5678, brokerPort, extra = {} }) {
	const env = {
		...process.env,
		PATH: `${installed.nodeBinDir}${path.delimiter}${process.env.PATH}`,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		GENERIC_TIMEZONE: 'UTC',
		TZ: 'UTC',
		DB_SQLITE_POOL_SIZE: '2',
		...(installed.env || {}),
		...extra,
	};
	if (brokerPort) env.N8N_RUNNERS_BROKER_PORT = String(brokerPort);
	// A null in `extra` removes a setting, so that n8n's own default applies (queue mode's binary data mode).
	for (const [key, value] of Object.entries(extra)) if (value === null) delete env[key];
	// Nothing of the calling process's tooling leaks in: jest sets NODE_ENV=test, which silences n8n's CLI output.
	for (const key of Object.keys(env))
		if (key.startsWith('npm_') || key.startsWith('JEST_')) delete env[key];
	delete env.NODE_ENV;
	return env;
}

/** Runs one n8n CLI command to completion; returns its stdout. Throws with stderr on a non-zero exit. */
async function runCli({ installed, userFolder, args, extraEnv = {} }) {
	const brokerPort = await freePort();
	const env = n8nEnvironment({
		installed,
		userFolder,
		brokerPort,
		port: await freePort(),
		extra: extraEnv,
	});
	return await new Promise((resolve, reject) => {
		const child = spawn(installed.nodeBin, [installed.n8nEntry, ...args], {
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve(stdout);
			else
				reject(
					Object.assign(new Error(`n8n ${args.join(' ')} exited ${code}:\n${stderr}\n${stdout}`), {
						stdout,
						stderr,
						code,
					}),
				);
		});
	});
}

/** Writes JSON to a temp file and imports it with `n8n import:<kind>`. */
async function importJson({ installed, userFolder, kind, data, extraEnv = {} }) {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pds-import-'));
	const file = path.join(folder, `${kind}.json`);
	fs.writeFileSync(file, JSON.stringify(data));
	try {
		return await runCli({
			installed,
			userFolder,
			args: [`import:${kind}`, `--input=${file}`],
			extraEnv,
		});
	} finally {
		// The file holds credentials in plain text until n8n has encrypted them.
		fs.rmSync(folder, { recursive: true, force: true });
	}
}

/**
 * Starts a long-running n8n command (`start` or `worker`) and resolves once its log shows `readyPattern`.
 * Returns `{ url, port, process, output(), stop() }`. `stop()` sends SIGTERM and waits for the exit, so
 * static data and executions are flushed to the database.
 */
async function startProcess({
	installed,
	userFolder,
	command,
	args = [],
	readyPattern,
	port,
	extraEnv = {},
	onLine,
}) {
	const listenPort = port || (await freePort());
	const env = n8nEnvironment({
		installed,
		userFolder,
		port: listenPort,
		brokerPort: await freePort(),
		extra: extraEnv,
	});
	const child = spawn(installed.nodeBin, [installed.n8nEntry, command, ...args], {
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let log = '';
	const collect = (chunk) => {
		const text = String(chunk);
		log += text;
		if (onLine) for (const line of text.split('\n')) if (line.trim()) onLine(line);
	};
	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	const exited = new Promise((resolve) =>
		child.on('close', (code, signal) => resolve(code === null ? signal : code)),
	);
	const url = `http://127.0.0.1:${listenPort}`;
	await new Promise((resolve, reject) => {
		const check = setInterval(() => {
			if (readyPattern.test(log)) {
				clearInterval(check);
				resolve();
			}
		}, 100);
		exited.then((code) => {
			clearInterval(check);
			reject(new Error(`n8n ${command} exited ${code} before it was ready:\n${log}`));
		});
	});
	return {
		url,
		port: listenPort,
		process: child,
		exited,
		output: () => log,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
			return await exited;
		},
	};
}

/** Starts `n8n start` and resolves once the editor answers (see startProcess). */
async function startServer(options) {
	return await startProcess({
		...options,
		command: 'start',
		readyPattern: /Editor is now accessible/,
	});
}

module.exports = {
	repoRoot,
	PACKAGE_NAME,
	ENCRYPTION_KEY,
	packPackage,
	createUserFolder,
	freePort,
	n8nEnvironment,
	runCli,
	importJson,
	startProcess,
	startServer,
};

/** The JSON document `n8n execute --rawOutput` prints after its log lines. */
function parseRawOutput(stdout) {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	if (start === -1) throw new Error(`n8n printed no execution JSON:\n${stdout.slice(-2000)}`);
	// The document ends at the first unindented closing brace; a failed run prints its error after it.
	const end = lines.findIndex((line, index) => index > start && line === '}');
	return JSON.parse(lines.slice(start, end === -1 ? undefined : end + 1).join('\n'));
}

/** Runs an imported workflow with `n8n execute --id` and returns the parsed run (`{ data, status, ... }`). */
async function executeWorkflow({ installed, userFolder, id, extraEnv }) {
	let stdout;
	try {
		stdout = await runCli({
			installed,
			userFolder,
			args: ['execute', `--id=${id}`, '--rawOutput'],
			extraEnv,
		});
	} catch (error) {
		// A failed workflow exits non-zero but still prints its run; keep it for the assertions.
		if (error.stdout && error.stdout.includes('\n{')) return parseRawOutput(error.stdout);
		throw error;
	}
	return parseRawOutput(stdout);
}

/** The items a node produced in a parsed run (first run, first output), as plain JSON. */
function nodeItems(run, nodeName, outputIndex = 0) {
	const runs = run.data.resultData.runData[nodeName];
	if (!runs)
		throw new Error(
			`Node "${nodeName}" did not run; ran: ${Object.keys(run.data.resultData.runData).join(', ')}`,
		);
	const items = runs[0].data && runs[0].data.main && runs[0].data.main[outputIndex];
	return (items || []).map((item) => item.json);
}

/** The error a node's run recorded, if any. */
function nodeError(run, nodeName) {
	const runs = run.data.resultData.runData[nodeName];
	return runs && runs[0] ? runs[0].error : undefined;
}

module.exports.parseRawOutput = parseRawOutput;
module.exports.executeWorkflow = executeWorkflow;
module.exports.nodeItems = nodeItems;
module.exports.nodeError = nodeError;
