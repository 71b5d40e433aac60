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
const { QUEUE_LINE } = require('./lines');

const repoRoot = path.resolve(__dirname, '..', '..');

/** Installs (or finds in the cache) the n8n of one release line; returns what install-n8n.mjs prints. */
function installN8n(line) {
	const args = [path.join(repoRoot, 'scripts', 'install-n8n.mjs')];
	if (line === '1') args.push('--v1');
	else args.push('--line', line);
	const stdout = execFileSync(process.execPath, args, {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	return JSON.parse(stdout);
}

let packedTarball;
/** The package as `npm pack` gives it, built from the current sources once per test process. */
function packedPackage() {
	if (!packedTarball)
		packedTarball = instance.packPackage({ build: !fs.existsSync(path.join(repoRoot, 'dist')) });
	return packedTarball;
}

/**
 * The sandboxes of both APIs, the mailbox and the scripted chat model on random ports. The Planning
 * sandbox's clock runs in real time, because n8n's `$now` in the examples and the running trigger's poll
 * times are real time too.
 */
async function startSandboxes() {
	const { startPlanningSandbox } = require('../../sandbox/planning');
	const { startDatastoreSandboxes } = require('../../sandbox/datapress');
	const { startMailSink } = require('../../sandbox/mail');
	const { startModelSandbox } = require('../../sandbox/model');
	const planning = await startPlanningSandbox({
		port: 0,
		now: new Date().toISOString(),
		tick: true,
	});
	const datastore = await startDatastoreSandboxes({ port: 0, storagePort: 0 });
	const mailbox = await startMailSink();
	const model = await startModelSandbox();
	return {
		planning,
		datastore,
		mailbox,
		model,
		credentials: demoCredentials({
			planningUrl: planning.url,
			datapressUrl: datastore.url,
			smtpHost: mailbox.smtpHost,
			smtpPort: mailbox.smtpPort,
			modelUrl: model.url,
		}),
		async close() {
			await Promise.allSettled([
				planning.close(),
				datastore.close(),
				mailbox.close(),
				model.close(),
			]);
		},
	};
}

/** Starts everything one single-process suite needs: one n8n user folder, the sandboxes, the credentials. */
async function startEnvironment({ line }) {
	const installed = installN8n(line);
	const userFolder = instance.createUserFolder({ tarball: packedPackage() });
	const filesFolder = path.join(userFolder, 'files');
	fs.mkdirSync(filesFolder, { recursive: true });
	const { planning, datastore, mailbox, model, credentials } = await startSandboxes();
	// n8n 2.x only reads files under N8N_RESTRICT_FILE_ACCESS_TO; 1.x honours the same setting. Nothing is
	// set for agent tools: these n8n versions offer the package's nodes as tools without a setting.
	const extraEnv = { N8N_RESTRICT_FILE_ACCESS_TO: filesFolder };

	await instance.importJson({ installed, userFolder, kind: 'credentials', data: credentials });

	return {
		installed,
		userFolder,
		filesFolder,
		planning,
		datastore,
		mailbox,
		model,
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
			await Promise.allSettled([
				planning.close(),
				datastore.close(),
				mailbox.close(),
				model.close(),
			]);
		},
	};
}

/**
 * The same for n8n's queue mode (scripts/lib/queue-mode.cjs): PostgreSQL, Redis, a main and two workers.
 * `execute(id)` runs a workflow through the main's REST API, as the editor's Execute button does; the
 * execution runs on a worker, and `executions` records which one (from the workers' logs).
 */
async function startQueueEnvironment({ concurrency = 5 } = {}) {
	const { startQueueCluster, restClient, workerOf } = require('../../scripts/lib/queue-mode.cjs');
	const installed = installN8n(QUEUE_LINE);
	const folder = tempFolder('pds-queue-');
	const filesFolder = path.join(folder, 'files');
	fs.mkdirSync(filesFolder, { recursive: true });
	const sandboxes = await startSandboxes();
	const extraEnv = { N8N_RESTRICT_FILE_ACCESS_TO: filesFolder };
	let cluster;
	let rest;
	try {
		cluster = await startQueueCluster({
			installed,
			tarball: packedPackage(),
			folder,
			extraEnv,
			concurrency,
		});
		await cluster.importJson('credentials', sandboxes.credentials);
		rest = await restClient({ url: cluster.main.url, installed }).login();
	} catch (error) {
		if (cluster) await cluster.stop();
		await sandboxes.close();
		throw error;
	}
	const executions = [];
	const env = {
		installed,
		folder,
		filesFolder,
		extraEnv,
		cluster,
		planning: sandboxes.planning,
		datastore: sandboxes.datastore,
		mailbox: sandboxes.mailbox,
		executions,
		rest: () => rest,
		workerOf: (executionId) => workerOf(cluster, executionId),
		/** After a restart of the main: a fresh session with it. */
		async reconnect() {
			rest = await restClient({ url: cluster.main.url, installed }).login();
			return rest;
		},
		async importWorkflows(workflows) {
			await cluster.importJson('workflow', workflows);
		},
		async execute(id) {
			const run = await rest.runAndWait(id);
			executions.push({
				workflowId: id,
				executionId: run.executionId,
				status: run.status,
				worker: workerOf(cluster, run.executionId),
			});
			return run;
		},
		async cli(args) {
			return await cluster.cli(args);
		},
		async close() {
			await cluster.stop();
			await sandboxes.close();
			// The databases and the large files of a run come to about half a gigabyte.
			fs.rmSync(folder, { recursive: true, force: true });
		},
	};
	return env;
}

const { nodeItems, nodeError } = instance;

/** Credits the demo key has been charged since the sandbox's last reset. */
async function totalCharged(env, key = 'demo-planning-key') {
	const charges = await env.planning.control.charges(key);
	return charges.reduce((sum, charge) => sum + Number(charge.consumed), 0);
}

/**
 * The example workflows' checks, shared by the single-process and the queue-mode suites: `env.execute(id)`
 * runs a stored workflow in whichever n8n the suite started and returns the run. Examples 2 to 4 run here;
 * example 1 (the trigger) has its own tests.
 */
async function checkExamples(env) {
	const largeFile = await writeLargeFile(
		path.join(env.filesFolder, 'large-extract.csv'),
		100 * 1024 * 1024 + 65536,
	);
	const examples = preparedExamples({ largeFilePath: largeFile });
	expect(examples.map((workflow) => workflow.id)).toEqual([
		'pdsExample1Email',
		'pdsExample2Monthly',
		'pdsExample3Large',
		'pdsExample4Count',
		'pdsExample5Agent',
		'pdsExample6Files',
	]);
	await env.importWorkflows(examples);
	const listed = await env.cli(['list:workflow']);
	for (const workflow of examples) expect(listed).toContain(workflow.id);
	await env.planning.control.clearLogs();

	// 4. Count before you pay: the count is free; the fetch runs only within budget and costs what it returns.
	const counted = await env.execute('pdsExample4Count');
	const [count] = nodeItems(counted, 'Count (free)');
	expect(count.count).toBeGreaterThan(0);
	if (count.count <= 100) {
		expect(nodeItems(counted, 'Fetch applications')).toHaveLength(count.count);
		expect(await totalCharged(env)).toBe(count.count);
	} else {
		expect(nodeItems(counted, 'Over budget: nothing spent')).toHaveLength(1);
		expect(await totalCharged(env)).toBe(0);
	}

	// 2. Monthly extract: the CSV replaces the dataset's file byte for byte, the description gives the count.
	const datasetId = 'c5ext';
	const resourceId = 'm8x';
	const before = await env.datastore.control.dataset(datasetId);
	await env.planning.control.clearLogs();
	const monthly = await env.execute('pdsExample2Monthly');
	const fetched = nodeItems(monthly, "Last month's applications");
	expect(fetched.length).toBeGreaterThan(0);
	expect(await totalCharged(env)).toBe(fetched.length);
	const after = await env.datastore.control.dataset(datasetId);
	expect(after.description).toContain(`<p>${fetched.length} planning applications validated from`);
	expect(after.updatedAt > before.updatedAt).toBe(true);
	const csv = fs.readFileSync(
		env.datastore.control.resourceFilePath(datasetId, resourceId),
		'utf8',
	);
	expect(csv.trim().split('\n')).toHaveLength(fetched.length + 1);
	// The example is UK Planning 2 with Simplify: the compact columns, no personal data under either naming.
	expect(csv.split('\n')[0]).toMatch(
		/^\uFEFF?reference,authority,title,address,postcode,validated,link,location\.lat,location\.lng\r?$/,
	);
	expect(csv).not.toMatch(/applicant/i);
	const storedHash = after.resources[resourceId].hash;
	expect(storedHash).not.toBe(before.resources[resourceId].hash);
	const again = await env.execute('pdsExample2Monthly');
	expect(nodeItems(again, 'Replace the CSV')[0].skipped).toBe(true);
	expect((await env.datastore.control.dataset(datasetId)).resources[resourceId].hash).toBe(
		storedHash,
	);

	// 3. Large file: over 100 MB, so DataPress 4's chunked path; the stored file is the file, byte for byte.
	await env.datastore.control.clearLogs();
	const large = await env.execute('pdsExample3Large');
	expect(nodeError(large, 'Upload (chunked)')).toBeUndefined();
	expect(nodeItems(large, 'Upload (chunked)')[0].method).toBe('chunked');
	const created = nodeItems(large, 'Create dataset')[0];
	const dataset = await env.datastore.control.dataset(created.id);
	const [[largeId, resource]] = Object.entries(dataset.resources);
	expect(resource.size).toBe(fs.statSync(largeFile).size);
	expect(resource.hash).toMatch(/-21$/);
	expect(await md5OfFile(env.datastore.control.resourceFilePath(created.id, largeId))).toBe(
		await md5OfFile(largeFile),
	);
}

let nodeCounter = 0;
/** A workflow of a Manual Trigger followed by the given nodes in a chain (each `{ name, type, parameters }`). */
function chainWorkflow(id, name, nodes) {
	return branchWorkflow(id, name, [nodes]);
}

/**
 * A workflow of a Manual Trigger with several chains of nodes behind it, each branch run once from the
 * trigger's one item (so a node that outputs many items does not multiply the nodes of other branches).
 * A node's `typeVersion` defaults to 1, as in a workflow saved before the nodes had later versions.
 */
function branchWorkflow(id, name, branches) {
	const trigger = {
		id: `${id}-start`,
		name: 'Start',
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const connections = {};
	const connect = (from, to) => {
		connections[from.name] = connections[from.name] || { main: [[]] };
		connections[from.name].main[0].push({ node: to.name, type: 'main', index: 0 });
	};
	const placed = [];
	branches.forEach((nodes, branch) => {
		let previous = trigger;
		nodes.forEach((node, index) => {
			const full = {
				id: `${id}-n${branch}-${index}-${nodeCounter++}`,
				typeVersion: 1,
				position: [220 * (index + 1), 160 * branch],
				...node,
				credentials: node.credentials || credentialsFor(node.type),
			};
			placed.push(full);
			connect(previous, full);
			previous = full;
		});
	});
	return {
		id,
		name,
		active: false,
		nodes: [trigger, ...placed],
		connections,
		settings: { executionOrder: 'v1' },
	};
}

const PACKAGE = instance.PACKAGE_NAME;
function credentialsFor(type) {
	if (type === `${PACKAGE}.ukPlanning` || type === `${PACKAGE}.ukPlanningTrigger`) {
		return {
			ukPlanningApi: { id: CREDENTIAL_IDS.ukPlanningApi, name: 'UK Planning API (sandbox)' },
		};
	}
	if (type === `${PACKAGE}.londonDatastore` || type === `${PACKAGE}.londonDatastoreTrigger`) {
		return {
			londonDatastoreApi: {
				id: CREDENTIAL_IDS.londonDatastoreApi,
				name: 'London Datastore API (sandbox)',
			},
		};
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
	await new Promise((resolve, reject) =>
		stream.end((error) => (error ? reject(error) : resolve())),
	);
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

const PLANNING_KEY = 'demo-planning-key';
/** The package's node types as n8n names a community package's nodes. */
const TYPES = {
	planning: `${PACKAGE}.ukPlanning`,
	trigger: `${PACKAGE}.ukPlanningTrigger`,
	datastore: `${PACKAGE}.londonDatastore`,
	datastoreTrigger: `${PACKAGE}.londonDatastoreTrigger`,
};
/** The team the sandbox's demo editor manages: "Greater London Authority (demo)". */
const EDITOR_TEAM = 'g7lad';

/**
 * Polls `check` (sync or async) until it gives something truthy, and resolves to that. On a loaded two-core
 * machine n8n can be slow, so the default bound is generous; `log()` (n8n's output, say) explains a timeout.
 */
async function waitFor(check, what, { limitMs = 240000, intervalMs = 1000, log } = {}) {
	const started = Date.now();
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() - started > limitMs) {
			const trace = log ? `; the log ends:\n${log().slice(-4000)}` : '';
			throw new Error(`Timed out waiting for ${what}${trace}`);
		}
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}

/** Dataset → Create (node version 1) of a public dataset in the editor's team. */
function createDatasetNode(title, name = 'Create') {
	return {
		name,
		type: TYPES.datastore,
		parameters: {
			resource: 'dataset',
			operation: 'create',
			title,
			team: EDITOR_TEAM,
			masthead: 'gla',
			sharing: 'public',
		},
	};
}

/** Read/Write Files from Disk reading `file`, then File → Upload (node version 1) of it into `datasetId`. */
function readAndUploadNodes({ file, datasetId, title, read = 'Read', upload = 'Upload' }) {
	return [
		{
			name: read,
			type: 'n8n-nodes-base.readWriteFile',
			parameters: { operation: 'read', fileSelector: file, options: {} },
		},
		{
			name: upload,
			type: TYPES.datastore,
			parameters: { resource: 'file', operation: 'upload', datasetId, options: { title } },
		},
	];
}

/**
 * Example 1 (the trigger, UK Planning Trigger 2 with its Filters: within 1 mile of GU16 7HF) imported with
 * polls every minute, and what its tests share: the searches the Planning sandbox has answered, applications
 * to add near the postcode, today and yesterday on the sandbox's clock, and the digest mail's check.
 */
async function triggerExample(env) {
	const [workflow] = preparedExamples({ triggerPollTimes: { item: [{ mode: 'everyMinute' }] } });
	await env.importWorkflows([workflow]);
	env.mailbox.clear();
	await env.planning.control.clearLogs();
	return {
		workflow,
		searches: async () =>
			(await env.planning.control.requests()).filter((entry) => entry.path === '/search').length,
		/** An application near GU16 7HF, published a second from now (the trigger emits what is published after it learnt). */
		application: (title, validated, extra = {}) => ({
			lpa_id: '4',
			validated,
			postcode: 'GU16 7HF',
			title,
			published_at: new Date(Date.now() + 1000).toISOString(),
			...extra,
		}),
		async days() {
			const day = (await env.planning.control.now()).slice(0, 10);
			const yesterday = new Date(Date.parse(day) - 86400000).toISOString().slice(0, 10);
			return { day, yesterday };
		},
		/** One digest of exactly `added` (and nothing of `notIn`), without the key. */
		expectDigest(mail, added, notIn = []) {
			expect(mail.subject).toBe(`${added.length} new planning application(s) near GU16 7HF`);
			for (const application of added) expect(mail.body).toContain(application.title);
			for (const application of notIn) expect(mail.body).not.toContain(application.title);
			expect(mail.body).not.toContain(PLANNING_KEY);
		},
	};
}

/**
 * Example 6 (London Datastore Trigger on vd4q4, File Changed → download → CSV → summary → mail) imported
 * with a workflow that uploads a new version of one of vd4q4's files with the London Datastore node (File
 * → Upload, replacement), and what the trigger's tests share: the trigger's reads of vd4q4, and the digest's
 * check.
 */
async function fileDigestExample(env, { uploadId }) {
	// n8n 1.x saves static data only for workflow ids of at most 16 characters.
	const workflow = preparedExamples().find((entry) => entry.id === 'pdsExample6Files');
	const fertility = await env.datastore.control.dataset('vd4q4');
	const fileId = '7yw';
	expect(Object.keys(fertility.resources)).toContain(fileId);
	const csvPath = path.join(env.filesFolder, 'fertility-new-version.csv');
	const upload = chainWorkflow(uploadId, 'Upload a new version of a vd4q4 file', [
		{
			name: 'Read',
			type: 'n8n-nodes-base.readWriteFile',
			parameters: { operation: 'read', fileSelector: csvPath, options: {} },
		},
		{
			name: 'Upload',
			type: TYPES.datastore,
			parameters: {
				resource: 'file',
				operation: 'upload',
				datasetId: 'vd4q4',
				uploadMode: 'replace',
				resourceId: fileId,
				options: {},
			},
		},
	]);
	await env.importWorkflows([workflow, upload]);
	env.mailbox.clear();
	await env.datastore.control.clearLogs();
	return {
		workflow,
		upload,
		fileId,
		/** Writes the CSV the upload workflow sends: a header and `rows` (`[borough, rate]`). */
		writeVersion(rows) {
			fs.writeFileSync(csvPath, `borough,rate\n${rows.map((row) => row.join(',')).join('\n')}\n`);
		},
		/** The trigger's reads of the chosen dataset so far. */
		reads: () =>
			env.datastore.control
				.requests()
				.filter((entry) => entry.method === 'GET' && entry.path === '/api/v3/dataset/vd4q4').length,
		/** The digest of a version of `rows`, without the key. */
		expectDigest(mail, rows) {
			expect(mail.subject).toBe(`test_file.txt changed: ${rows.length} row(s)`);
			// The mail's text comes quoted-printable: long lines end in soft breaks ("=" at the end).
			const body = mail.body.replace(/=[ \t\r]*\n/g, '');
			expect(body).toContain('Dataset: Age specific fertility rates');
			expect(body).toContain('Columns: borough, rate');
			expect(body).toContain(rows[0].join(', '));
			expect(body).toContain(`/download/vd4q4/${fileId}/fertility-new-version.csv`);
			expect(body).not.toContain('demo-editor-key');
		},
	};
}

/**
 * What the editor asks a running n8n for while a node's panel is open (POST /rest/dynamic-node-parameters/…):
 * a resource locator's list (`listSearch`) and a dropdown's options (`loadOptions`), with the node's current
 * parameters and the demo credential, as the owner. Resolves to `{ listSearch, loadOptions }`.
 */
async function editorApi({ url, installed }) {
	const { restClient } = require('../../scripts/lib/queue-mode.cjs');
	const rest = await restClient({ url, installed }).login();
	const payload = ({ type, version, path: parameterPath, methodName, parameters }) => ({
		nodeTypeAndVersion: { name: type, version },
		path: `parameters.${parameterPath}`,
		methodName,
		currentNodeParameters: parameters,
		credentials: credentialsFor(type),
	});
	return {
		rest,
		/** The list of a resource locator's From List mode: `{ results: [{ name, value, url }] }`. */
		async listSearch({ filter, ...request }) {
			return await rest.call('POST', '/dynamic-node-parameters/resource-locator-results', {
				...payload(request),
				...(filter === undefined ? {} : { filter }),
			});
		},
		/** The options of an options or multiOptions parameter: `[{ name, value, description }]`. */
		async loadOptions(request) {
			return await rest.call('POST', '/dynamic-node-parameters/options', payload(request));
		},
	};
}

module.exports = {
	PACKAGE,
	PLANNING_KEY,
	TYPES,
	EDITOR_TEAM,
	waitFor,
	branchWorkflow,
	createDatasetNode,
	readAndUploadNodes,
	triggerExample,
	fileDigestExample,
	editorApi,
	startEnvironment,
	startQueueEnvironment,
	chainWorkflow,
	preparedExamples,
	writeLargeFile,
	md5OfFile,
	tempFolder,
	totalCharged,
	checkExamples,
	nodeItems: instance.nodeItems,
	nodeError: instance.nodeError,
};
