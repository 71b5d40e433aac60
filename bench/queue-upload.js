#!/usr/bin/env node
/**
 * London Datastore → File → Upload in n8n's queue mode (`npm run bench:queue-upload`).
 *
 * Brings up the queue-mode cluster of scripts/lib/queue-mode.cjs with ONE worker (so that every upload runs
 * in the process measured) and the DataPress 4 sandbox, then for each file size runs a workflow
 * Manual Trigger → Read/Write Files from Disk → Upload through the main's REST API, as the editor does, and
 * reports the worker's peak RSS growth over its RSS before the run (Linux: the kernel's VmHWM, reset through
 * /proc/<pid>/clear_refs before each run) and whether the upload arrived byte for byte.
 *
 * Two binary data modes:
 * - `default`: n8n's own default in queue mode (`database`: binary data in PostgreSQL, at most
 *   N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE, 512 MiB by default);
 * - `filesystem`: N8N_DEFAULT_BINARY_DATA_MODE=filesystem with one N8N_BINARY_DATA_STORAGE_PATH that the main
 *   and every worker share (one machine, or a shared volume).
 *
 * Options: --modes default,filesystem  --sizes 120 (MiB, a list such as 120,1024; per mode: --default-sizes,
 *          --filesystem-sizes)
 *          --limit 15 (minutes an upload may take before it is reported as not ended)
 *          --dir <folder> (files, the cluster and the sandbox's storage; default the OS temp dir)
 * Figures, not limits: nothing here fails on a number.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const MIB = 1024 * 1024;
const instance = require(path.join(ROOT, 'scripts', 'lib', 'n8n-instance.cjs'));
const { startQueueCluster, restClient } = require(
	path.join(ROOT, 'scripts', 'lib', 'queue-mode.cjs'),
);
const { demoCredentials } = require(path.join(ROOT, 'scripts', 'lib', 'demo.cjs'));
const { startDatastoreSandboxes } = require(path.join(ROOT, 'sandbox', 'datapress'));

function argument(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : process.argv[index + 1];
}

const MODES = argument('modes', 'default,filesystem').split(',');
const SIZES = argument('sizes', '120');
const LIMIT_MS = Number(argument('limit', '15')) * 60 * 1000;
const baseDir = fs.mkdtempSync(path.join(argument('dir', os.tmpdir()), 'pds-queue-bench-'));

function kib(status, field) {
	const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
	return match ? Number(match[1]) : NaN;
}
const procStatus = (pid) => fs.readFileSync(`/proc/${pid}/status`, 'utf8');

async function writeFile(filePath, bytes) {
	const stream = fs.createWriteStream(filePath);
	const block = Buffer.alloc(MIB);
	for (let index = 0; index < block.length; index++) block[index] = (index * 7 + 13) % 251;
	for (let written = 0; written < bytes; written += block.length) {
		const part = Math.min(block.length, bytes - written);
		if (!stream.write(part === block.length ? block : block.subarray(0, part)))
			await new Promise((resolve) => stream.once('drain', resolve));
	}
	await new Promise((resolve, reject) =>
		stream.end((error) => (error ? reject(error) : resolve())),
	);
	return filePath;
}

const md5 = (filePath) => execFileSync('md5sum', [filePath], { encoding: 'utf8' }).split(' ')[0];

async function runMode(mode, installed, tarball, datastore) {
	const folder = path.join(baseDir, mode);
	const filesFolder = path.join(baseDir, 'files');
	const extraEnv = { N8N_RESTRICT_FILE_ACCESS_TO: filesFolder };
	if (mode === 'filesystem') {
		extraEnv.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
		extraEnv.N8N_BINARY_DATA_STORAGE_PATH = path.join(folder, 'binaryData');
	}
	const say = (message) => console.log(`[${mode}] ${message}`);
	// The worker's errors (the Upload node's own are in the execution) are shown as they happen.
	const onLine = (name, line) => {
		if (/error|fail|heap/i.test(line)) console.error(`[${mode}] ${name}: ${line.slice(0, 300)}`);
	};
	const cluster = await startQueueCluster({
		installed,
		tarball,
		folder,
		extraEnv,
		workers: 1,
		say,
		onLine,
	});
	const results = [];
	try {
		await cluster.importJson(
			'credentials',
			demoCredentials({
				planningUrl: 'http://127.0.0.1:9/v1',
				datapressUrl: datastore.url,
				smtpHost: '127.0.0.1',
				smtpPort: 9,
			}),
		);
		const rest = await restClient({ url: cluster.main.url, installed }).login();
		// A 1 MiB upload first, not reported: a worker's first execution loads code that later ones reuse.
		const sizes = [1, ...argument(`${mode}-sizes`, SIZES).split(',').map(Number)];
		for (const [index, mib] of sizes.entries()) {
			const file = path.join(filesFolder, `bench-${mib}.bin`);
			if (!fs.existsSync(file) || fs.statSync(file).size !== mib * MIB)
				await writeFile(file, mib * MIB);
			const id = `pdsBench${mode}${mib}`;
			const credentials = {
				londonDatastoreApi: { id: 'pdsDatastoreCred1', name: 'London Datastore API (sandbox)' },
			};
			const workflow = {
				id,
				name: `bench ${mode} ${mib} MiB`,
				active: false,
				settings: { executionOrder: 'v1' },
				nodes: [
					{
						id: `${id}a`,
						name: 'Start',
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
						parameters: {},
					},
					{
						id: `${id}b`,
						name: 'Create',
						type: `${instance.PACKAGE_NAME}.londonDatastore`,
						typeVersion: 1,
						position: [200, 0],
						credentials,
						parameters: {
							resource: 'dataset',
							operation: 'create',
							title: `Bench ${mode} ${mib}`,
							team: 'g7lad',
							masthead: 'gla',
						},
					},
					{
						id: `${id}c`,
						name: 'Read',
						type: 'n8n-nodes-base.readWriteFile',
						typeVersion: 1,
						position: [400, 0],
						parameters: { operation: 'read', fileSelector: file, options: {} },
					},
					{
						id: `${id}d`,
						name: 'Upload',
						type: `${instance.PACKAGE_NAME}.londonDatastore`,
						typeVersion: 1,
						position: [600, 0],
						credentials,
						parameters: {
							resource: 'file',
							operation: 'upload',
							datasetId: "={{ $('Create').item.json.id }}",
							options: { title: `bench ${mib}` },
						},
					},
				],
				connections: {
					Start: { main: [[{ node: 'Create', type: 'main', index: 0 }]] },
					Create: { main: [[{ node: 'Read', type: 'main', index: 0 }]] },
					Read: { main: [[{ node: 'Upload', type: 'main', index: 0 }]] },
				},
			};
			await cluster.importJson('workflow', [workflow]);
			const worker = cluster.workers[0];
			const pid = worker.process.pid;
			if (global.gc) global.gc();
			const before = kib(procStatus(pid), 'VmRSS');
			// Resets the kernel's peak RSS (VmHWM) to the current RSS, so the next peak is this run's.
			fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
			const started = Date.now();
			const executionId = await rest.run(id);
			let run;
			try {
				run = await rest.waitForExecution(executionId, LIMIT_MS);
			} catch (error) {
				// An execution that never ends is a result too: say so, with the worker's memory at that point.
				run = {
					status: `not ended after ${LIMIT_MS / 60000} min`,
					data: { resultData: { runData: {}, error } },
				};
			}
			const seconds = (Date.now() - started) / 1000;
			const peak = kib(procStatus(pid), 'VmHWM');
			const uploadRun = run.data.resultData.runData.Upload;
			const readRun = run.data.resultData.runData.Read;
			const error =
				run.data.resultData.error ||
				(readRun && readRun[0].error) ||
				(uploadRun && uploadRun[0].error);
			let arrived = false;
			if (run.status === 'success') {
				const created = run.data.resultData.runData.Create[0].data.main[0][0].json.id;
				const stored = await datastore.control.dataset(created);
				const [[resourceId, resource]] = Object.entries(stored.resources);
				const storedFile = datastore.control.resourceFilePath(created, resourceId);
				arrived = resource.size === mib * MIB && md5(storedFile) === md5(file);
				// Disk space: a 1 GiB run leaves no copy behind.
				fs.rmSync(storedFile, { force: true });
			}
			const result = {
				mode,
				sizeMiB: mib,
				status: run.status,
				arrivedByteForByte: arrived,
				rssBeforeMiB: Math.round(before / 1024),
				peakGrowthMiB: Math.round((peak - before) / 1024),
				seconds: Math.round(seconds),
				error: error ? String(error.message).slice(0, 200) : undefined,
			};
			say(JSON.stringify(result));
			if (index > 0) results.push(result);
		}
	} finally {
		await cluster.stop();
	}
	return results;
}

async function main() {
	const { ensureN8n } = await import(path.join(ROOT, 'scripts', 'install-n8n.mjs'));
	const installed = ensureN8n({ line: '2' });
	fs.mkdirSync(path.join(baseDir, 'files'), { recursive: true });
	const tarball = instance.packPackage({ build: true });
	const datastore = await startDatastoreSandboxes({
		port: 0,
		storagePort: 0,
		dataDir: path.join(baseDir, 'datastore'),
	});
	const all = [];
	try {
		for (const mode of MODES) all.push(...(await runMode(mode, installed, tarball, datastore)));
	} finally {
		await datastore.close();
		fs.rmSync(baseDir, { recursive: true, force: true });
	}
	console.log(
		'\nmode        size (MiB)  status   arrived  worker RSS before  peak growth  seconds',
	);
	for (const result of all) {
		console.log(
			`${result.mode.padEnd(11)} ${String(result.sizeMiB).padStart(10)}  ${result.status.padEnd(8)} ${String(result.arrivedByteForByte).padEnd(8)} ${String(result.rssBeforeMiB).padStart(13)} MiB ${String(result.peakGrowthMiB).padStart(8)} MiB ${String(result.seconds).padStart(8)}${result.error ? `  ${result.error}` : ''}`,
		);
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
