#!/usr/bin/env node
/**
 * Benchmark of London Datastore → File → Upload (`npm run bench:upload`).
 *
 * Starts the DataPress and storage sandboxes, generates files on disk (streamed, never whole in memory) and,
 * in one run, uploads each of them:
 * - through the node (bundled from the TypeScript sources as the build does, in a real n8n-core
 *   ExecuteContext, from binary data stored by n8n's BinaryDataService in filesystem mode);
 * - with curl posting the same kind of request to the same sandbox (for the presigned path: its own
 *   presign through undici, then curl posts the presigned fields and the file, streamed from disk by curl),
 *   and with undici streaming the same form from a file stream (a minimal Node client, for reference).
 * Every upload runs in a child process of its own, so its RSS is its own: the sandboxes stay in this one.
 *
 * Prints per file size: peak RSS growth of the process running the node, the
 * throughput of each, and the ratios node / curl and node / undici. Presigned path at 100 MiB and 1 GiB by default, multipart
 * path at 90 MiB. Targets (from issue 4): RSS growth flat in the file size and <= 64 MiB at 1 GiB;
 * throughput >= 0.8 x the raw client. Ratios, not wall-clock limits: the machine decides the absolute figures.
 *
 * Options: --sizes 100,1024 (MiB, presigned path), --multipart 90 (MiB; 0 skips), --runs 5 (median),
 * --verbose (every run's figures), --dir /dev/shm (where files, n8n's binary data and the sandbox's
 * storage go; default the OS temp dir. A RAM disk takes the disk's noise out of the comparison).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { pipeline } = require('node:stream/promises');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const MIB = 1024 * 1024;
const EDITOR_KEY = 'demo-editor-key';

function argument(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : process.argv[index + 1];
}

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/* ------------------------------------------------------------------------------------------------ */
/* Child side: one upload, measured.                                                                 */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Peak RSS growth over a baseline taken now. Linux keeps the peak (VmHWM) and lets a process reset it
 * (`5` into /proc/self/clear_refs), so nothing runs in this process while it is measured: a sampling
 * timer every few ms was itself enough to set off dozens of full garbage collections during an upload.
 * Elsewhere: a sampler every 50 ms.
 */
function memoryWatch() {
	// No forced gc() first: after one, V8 keeps its limits so tight that the upload ran dozens of full collections.
	const peakFromKernel = () => {
		const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
		return match ? Number(match[1]) * 1024 : undefined;
	};
	let kernelPeak = false;
	try {
		fs.writeFileSync('/proc/self/clear_refs', '5');
		kernelPeak = peakFromKernel() !== undefined;
	} catch {
		kernelPeak = false;
	}
	const baseline = process.memoryUsage.rss();
	if (kernelPeak) {
		return () => ({ baseline, growth: Math.max(0, peakFromKernel() - baseline), peakSource: 'VmHWM' });
	}
	let sampledPeak = baseline;
	const timer = setInterval(() => {
		sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
	}, 50);
	return () => {
		clearInterval(timer);
		sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
		return { baseline, growth: sampledPeak - baseline, peakSource: 'sampled every 50 ms' };
	};
}

/**
 * Times the request that carries the file, as seen from inside this process. Node publishes
 * `http.client.request.start` only once a request's body is fully written, so the span runs from the end
 * of the answer before it (reading the dataset, or the presign) to the end of the file request's answer.
 */
function fileRequestTimer(isFileRequest) {
	const diagnostics = require('node:diagnostics_channel');
	let previousFinish;
	let span;
	const onFinish = ({ request }) => {
		const now = performance.now();
		if (span === undefined && isFileRequest(request) && previousFinish !== undefined) span = now - previousFinish;
		previousFinish = now;
	};
	diagnostics.subscribe('http.client.response.finish', onFinish);
	return () => {
		diagnostics.unsubscribe('http.client.response.finish', onFinish);
		return span;
	};
}

async function childNode(job) {
	const harness = require(path.join(ROOT, 'test/harness/n8n.js'));
	const { LondonDatastore } = harness.requireBundled(path.join(ROOT, 'nodes/LondonDatastore/LondonDatastore.node.ts'));
	const credentials = { londonDatastoreApi: { apiKey: EDITOR_KEY, baseUrl: job.url } };
	const parameters = {
		resource: 'file',
		operation: 'upload',
		datasetId: job.dataset,
		binaryPropertyName: 'data',
		options: { uploadMethod: job.path, bumpUpdatedDate: false },
	};
	// A warm-up upload loads every code path first, so that the baseline holds the code and not the file.
	const warm = await harness.runNode(LondonDatastore, {
		parameters,
		credentials,
		items: [await harness.binaryItem(Buffer.alloc(1024, 1), { fileName: 'warm-up.bin' })],
	});
	if (warm.error) throw new Error(harness.serializeError(warm.error));
	const item = await harness.binaryItem(job.filePath, { fileName: path.basename(job.filePath) });
	// Storing the item copied the file into n8n's binary data folder: flush that before timing the upload.
	execFileSync('sync');

	const storageHost = new URL(job.storageUrl).host;
	const stopTimer = fileRequestTimer((request) =>
		job.path === 'presigned'
			? request.method === 'POST' && request.getHeader('host') === storageHost
			: request.method === 'POST' && /\/resources$/.test(request.path),
	);
	const stopWatch = memoryWatch();
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	const { output, error } = await harness.runNode(LondonDatastore, { parameters, credentials, items: [item] });
	const totalMs = performance.now() - started;
	const memory = stopWatch();
	const transferMs = stopTimer();
	if (error) throw new Error(harness.serializeError(error));
	const json = output[0][0].json;
	const cpu = process.cpuUsage(cpuBefore);
	return { totalMs, transferMs, cpuMs: (cpu.user + cpu.system) / 1000, ...memory, method: json.method, resourceId: json.resourceId, bytes: json.bytes };
}

/** curl posting the form, the file streamed from disk by curl itself; returns its own transfer time. */
function curlPost(url, formArguments, headers = []) {
	const args = ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-H', 'Expect:'];
	for (const header of headers) args.push('-H', header);
	args.push(...formArguments, url);
	const [status, seconds] = execFileSync('curl', args, { encoding: 'utf8' }).trim().split(' ');
	if (Number(status) >= 300) throw new Error(`curl got HTTP ${status} from ${url}`);
	return Number(seconds) * 1000;
}

/** undici posting the form from a file stream (1 MiB reads), framed here with an exact Content-Length. */
async function undiciPost(url, fields, filePath, fileName, headers = {}) {
	const { request } = require('undici');
	const boundary = `----bench${crypto.randomBytes(8).toString('hex')}`;
	let head = '';
	for (const [name, value] of fields) head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
	head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
	const tail = `\r\n--${boundary}--\r\n`;
	const length = Buffer.byteLength(head) + fs.statSync(filePath).size + Buffer.byteLength(tail);
	async function* body() {
		yield Buffer.from(head);
		yield* fs.createReadStream(filePath, { highWaterMark: MIB });
		yield Buffer.from(tail);
	}
	const started = performance.now();
	const cpuBefore = process.cpuUsage();
	const answer = await request(url, {
		method: 'POST',
		headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) },
		body: body(),
	});
	const text = await answer.body.text();
	if (answer.statusCode >= 300) throw new Error(`undici got HTTP ${answer.statusCode} from ${url}: ${text.slice(0, 300)}`);
	const cpu = process.cpuUsage(cpuBefore);
	return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function childRaw(job) {
	if (job.kind === 'undici-in-n8n') {
		// The same n8n-core and harness loaded as in the node's process, so both run with the same heap.
		const harness = require(path.join(ROOT, 'test/harness/n8n.js'));
		harness.requireBundled(path.join(ROOT, 'nodes/LondonDatastore/LondonDatastore.node.ts'));
		await harness.binaryItem(Buffer.alloc(1024, 1), { fileName: 'warm-up.bin' });
	}
	const { request } = require('undici');
	const fileName = path.basename(job.filePath);
	const fileArgument = ['-F', `file=@${job.filePath};filename=${fileName};type=application/octet-stream`];
	const started = performance.now();
	let transferMs;
	let cpuMs;
	let key;
	if (job.path === 'presigned') {
		const presign = await request(`${job.url}/api/dataset/${encodeURIComponent(job.dataset)}/presign/${encodeURIComponent(fileName)}`, {
			method: 'POST',
			headers: { authorization: EDITOR_KEY },
		});
		if (presign.statusCode !== 200) throw new Error(`presign answered ${presign.statusCode}: ${await presign.body.text()}`);
		const { url, fields } = await presign.body.json();
		key = fields.key;
		if (job.kind === 'curl') {
			const form = [];
			for (const [name, value] of Object.entries(fields)) form.push('--form-string', `${name}=${value}`);
			transferMs = curlPost(url, [...form, ...fileArgument]);
		} else {
			({ ms: transferMs, cpuMs } = await undiciPost(url, Object.entries(fields), job.filePath, fileName));
		}
	} else {
		const url = `${job.url}/api/dataset/${encodeURIComponent(job.dataset)}/resources`;
		if (job.kind === 'curl') transferMs = curlPost(url, fileArgument, [`Authorization: ${EDITOR_KEY}`]);
		else ({ ms: transferMs, cpuMs } = await undiciPost(url, [], job.filePath, fileName, { authorization: EDITOR_KEY }));
	}
	return { totalMs: performance.now() - started, transferMs, cpuMs, key };
}

async function childMain() {
	const job = JSON.parse(process.argv[3]);
	try {
		const result = job.kind === 'node' ? await childNode(job) : await childRaw(job);
		process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
		process.exit(0);
	} catch (error) {
		process.stdout.write(`\nFAILED ${JSON.stringify(String(error && error.stack ? error.stack : error))}\n`);
		process.exit(1);
	}
}

/* ------------------------------------------------------------------------------------------------ */
/* Parent side: sandboxes, files, children, report.                                                  */
/* ------------------------------------------------------------------------------------------------ */

async function runChild(job, tmpDir) {
	// Dirty pages from the last upload would be flushed during this one: start each from a clean disk.
	execFileSync('sync');
	return await new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [...(process.env.BENCH_CHILD_FLAGS ? process.env.BENCH_CHILD_FLAGS.split(' ') : []), __filename, '--child', JSON.stringify(job)], {
			cwd: ROOT,
			// The child's binary data store and harness folders go under our temp dir and are removed with it.
			env: { ...process.env, TMPDIR: tmpDir },
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout.on('data', (chunk) => {
			out += chunk;
		});
		child.on('error', reject);
		child.on('close', () => {
			// For profiling runs (BENCH_CHILD_FLAGS=--trace-gc ...): keep what the child printed.
			if (process.env.BENCH_CHILD_LOG) fs.appendFileSync(process.env.BENCH_CHILD_LOG, `== ${job.kind}\n${out}`);
			const result = /\nRESULT (.*)\n/.exec(out);
			if (result) return resolve(JSON.parse(result[1]));
			const failed = /\nFAILED (.*)\n/.exec(out);
			reject(new Error(`${job.kind} upload of ${path.basename(job.filePath)} failed: ${failed ? JSON.parse(failed[1]) : out.slice(-2000)}`));
		});
	});
}

/** Writes `size` bytes in 1 MiB chunks, each chunk different (a counter in its first bytes). */
async function makeFile(filePath, size) {
	const block = crypto.randomBytes(MIB);
	async function* chunks() {
		let left = size;
		let counter = 0;
		while (left > 0) {
			const length = Math.min(left, MIB);
			const chunk = Buffer.from(block.subarray(0, length));
			if (length >= 4) chunk.writeUInt32BE(counter, 0);
			counter += 1;
			left -= length;
			yield chunk;
		}
	}
	await pipeline(chunks, fs.createWriteStream(filePath));
}

async function json(url, options = {}) {
	const { request } = require('undici');
	const answer = await request(url, { ...options, headers: { authorization: EDITOR_KEY, 'content-type': 'application/json', ...options.headers } });
	const text = await answer.body.text();
	if (answer.statusCode >= 300) throw new Error(`${options.method || 'GET'} ${url} answered ${answer.statusCode}: ${text}`);
	return JSON.parse(text);
}

/** Frees the disk a finished upload used: the stored object of a key. */
async function removeStored(control, key) {
	if (!key) return;
	try {
		const file = await control.storedObjectPath(key);
		if (file) fs.rmSync(file, { force: true });
	} catch {
		// Only disk space is at stake.
	}
}

const mib = (bytes) => (bytes / MIB).toFixed(1);
const rate = (bytes, ms) => (bytes / MIB / (ms / 1000)).toFixed(0);

async function parentMain() {
	const sizes = String(argument('sizes', '100,1024'))
		.split(',')
		.map(Number)
		.filter((size) => size > 0);
	const multipartSize = Number(argument('multipart', '90'));
	const runs = Math.max(1, Number(argument('runs', '5')) || 5);
	const verbose = process.argv.includes('--verbose');

	const tmpDir = fs.mkdtempSync(path.join(argument('dir', os.tmpdir()), 'bench-upload-'));
	const { startDatastoreSandboxes } = require(path.join(ROOT, 'sandbox/datapress'));
	const sandbox = await startDatastoreSandboxes({ api: 'legacy', port: 0, storagePort: 0, dataDir: path.join(tmpDir, 'sandbox') });
	const { control } = sandbox;
	try {
		const teams = await json(`${sandbox.url}/api/orgs`);
		const team = (Array.isArray(teams) ? teams : Object.values(teams)).find((entry) => entry.slug === 'gla-demo');
		const dataset = await json(`${sandbox.url}/api/dataset`, {
			method: 'POST',
			body: JSON.stringify({ title: 'Upload benchmark', slug: `upload-benchmark-${Date.now()}`, parent: team.id, sharing: 'private' }),
		});

		const plan = [
			...sizes.map((size) => ({ path: 'presigned', size: size * MIB })),
			...(multipartSize > 0 ? [{ path: 'multipart', size: multipartSize * MIB }] : []),
		];
		console.log(
			`London Datastore upload benchmark: ${runs} run(s) each, medians; node ${process.version}, ${os.cpus().length} CPUs, ` +
				`load average ${os.loadavg()[0].toFixed(1)}, files in ${tmpDir}`,
		);
		const rows = [];
		const clients = process.env.BENCH_CLIENTS ? process.env.BENCH_CLIENTS.split(',') : ['node', 'curl', 'undici'];
		for (const { path: uploadPath, size } of plan) {
			const filePath = path.join(tmpDir, `bench-${mib(size)}MiB.bin`);
			await makeFile(filePath, size);
			const results = Object.fromEntries(clients.map((kind) => [kind, []]));
			for (let run = 0; run < runs; run++) {
				const job = { path: uploadPath, url: sandbox.url, storageUrl: sandbox.storageUrl, dataset: dataset.slug, filePath };
				// Rotate the order so that no client always goes first (warm caches, flushes, load swings).
				const order = clients.map((_, index) => clients[(index + run) % clients.length]);
				for (const kind of order) {
					const result = await runChild({ ...job, kind }, tmpDir);
					if (kind === 'node' && result.method !== uploadPath) throw new Error(`the node took the ${result.method} path, not ${uploadPath}`);
					results[kind].push(result);
					if (verbose) {
						const cpu = result.cpuMs === undefined ? '' : `, CPU ${(result.cpuMs / (size / MIB)).toFixed(2)} ms/MiB`;
						console.log(`  run ${run + 1} ${kind}: ${rate(size, result.transferMs)} MiB/s${cpu}${kind === 'node' ? `, RSS growth ${mib(result.growth)} MiB` : ''}`);
					}
					if (uploadPath === 'presigned' && kind !== 'node') await removeStored(control, result.key);
				}
				if (uploadPath === 'presigned') {
					const stored = await control.dataset(dataset.slug);
					for (const resource of Object.values(stored.resources || {})) await removeStored(control, resource.origin || resource.key);
				}
			}
			fs.rmSync(filePath, { force: true });
			const transfer = (kind) => median(results[kind].map((result) => result.transferMs));
			// The clients of one run went back to back: the median of per-run ratios cancels slow swings in machine load.
			const paired = (kind) => median(results.node.map((result, index) => results[kind][index].transferMs / result.transferMs));
			const row = {
				path: uploadPath,
				size,
				nodeGrowth: median(results.node.map((result) => result.growth)),
				node: transfer('node'),
				curl: transfer('curl'),
				undici: transfer('undici'),
				vsCurl: paired('curl'),
				vsUndici: paired('undici'),
				nodeTotal: median(results.node.map((result) => result.totalMs)),
			};
			rows.push(row);
			console.log(
				`${row.path.padEnd(9)} ${`${mib(size)} MiB`.padStart(10)}: node RSS growth ${mib(row.nodeGrowth)} MiB; ` +
					`upload node ${rate(size, row.node)} MiB/s, curl ${rate(size, row.curl)} MiB/s, undici ${rate(size, row.undici)} MiB/s; ` +
					`node/curl ${row.vsCurl.toFixed(2)}, node/undici ${row.vsUndici.toFixed(2)} (medians of per-run ratios); ` +
					`node's whole operation ${rate(size, row.nodeTotal)} MiB/s`,
			);
		}

		const presigned = rows.filter((row) => row.path === 'presigned').sort((a, b) => a.size - b.size);
		console.log('\nSummary');
		if (presigned.length >= 2) {
			const small = presigned[0];
			const large = presigned[presigned.length - 1];
			console.log(
				`- RSS growth ${mib(small.nodeGrowth)} MiB at ${mib(small.size)} MiB vs ${mib(large.nodeGrowth)} MiB at ${mib(large.size)} MiB ` +
					`for a file x${(large.size / small.size).toFixed(1)} larger (target: flat, and <= 64 MiB at 1 GiB: ${large.nodeGrowth <= 64 * MIB ? "at most 64 MiB here" : "OVER 64 MiB"})`,
			);
		}
		for (const row of rows) {
			const verdict = (ratio) => `${ratio.toFixed(2)} (${ratio >= 0.8 ? 'met' : 'NOT met'})`;
			console.log(
				`- ${row.path} ${mib(row.size)} MiB: throughput node/curl ${verdict(row.vsCurl)}, node/undici ${verdict(row.vsUndici)} (target >= 0.80); ` +
					`RSS growth / file size ${(row.nodeGrowth / row.size).toFixed(3)}`,
			);
		}
		console.log(
			"(upload = the request carrying the file. node: from the answer before it to its own answer, seen inside the node's process; " +
				"curl: its time_total; undici: send to answer, streaming the file with 1 MiB reads. Whole operation = read dataset, presign, storage POST, attach patch.)",
		);
	} finally {
		await sandbox.close();
		fs.rmSync(tmpDir, { recursive: true, force: true });
	}
}

if (process.argv[2] === '--child') {
	childMain();
} else {
	parentMain().catch((error) => {
		console.error(error);
		process.exitCode = 1;
	});
}
