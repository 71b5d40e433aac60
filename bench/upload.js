#!/usr/bin/env node
/**
 * Benchmark of London Datastore → File → Upload (`npm run bench:upload`).
 *
 * Starts the legacy DataPress and storage sandboxes and the DataPress 4 sandbox, generates files on disk
 * (streamed, never whole in memory) and, in one run, uploads each of them:
 * - through the node (bundled from the TypeScript sources as the build does, in a real n8n-core
 *   ExecuteContext, from binary data stored by n8n's BinaryDataService in filesystem mode);
 * - with curl posting the same kind of request to the same sandbox (for the presigned path: its own
 *   presign through undici, then curl posts the presigned fields and the file, streamed from disk by curl;
 *   for DataPress 4's chunked path: see chunkedRaw), and with undici streaming the same forms from file
 *   streams (a minimal Node client, for reference).
 * Every upload runs in a child process of its own, so its RSS is its own: the sandboxes stay in this one.
 *
 * Prints per file size: peak RSS growth of the process running the node, the
 * throughput of each, and the ratios node / curl and node / undici. Presigned path (legacy) and chunked
 * path (DataPress 4, 5 MiB parts) at 100 MiB and 1 GiB by default, multipart path (legacy) at 90 MiB.
 * Every stored file is checked against the one sent (size and MD5). Targets: RSS growth
 * flat in the file size and <= 64 MiB at 1 GiB; throughput >= 0.8 x curl. Ratios, not wall-clock limits:
 * the machine decides the absolute figures.
 *
 * Options: --sizes 100,1024 (MiB, presigned path), --chunked 100,1024 (MiB, chunked path; default the
 * --sizes; 0 skips), --multipart 90 (MiB; 0 skips), --runs 5 (median),
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
		return () => ({
			baseline,
			growth: Math.max(0, peakFromKernel() - baseline),
			peakSource: 'VmHWM',
		});
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
 * Times the requests that carry the file (one, or the chunks of a chunked upload), as seen from inside
 * this process. Node publishes `http.client.request.start` only once a request's body is fully written, so
 * the span runs from the end of the answer before the first (reading the dataset, the presign, creating
 * the chunked upload) to the end of the last file request's answer.
 */
function fileRequestTimer(isFileRequest) {
	const diagnostics = require('node:diagnostics_channel');
	let previousFinish;
	let start;
	let end;
	const onFinish = ({ request }) => {
		const now = performance.now();
		if (isFileRequest(request) && previousFinish !== undefined) {
			if (start === undefined) start = previousFinish;
			end = now;
		}
		previousFinish = now;
	};
	diagnostics.subscribe('http.client.response.finish', onFinish);
	return () => {
		diagnostics.unsubscribe('http.client.response.finish', onFinish);
		return start === undefined ? undefined : end - start;
	};
}

/** The node's Upload Method for a path: DataPress 4 takes its chunked path under "Large File". */
const UPLOAD_METHOD = { presigned: 'presigned', chunked: 'presigned', multipart: 'multipart' };
const CHUNK_PATH = /^\/api\/v3\/upload\/[^/]+\/chunk$/;

async function childNode(job) {
	const harness = require(path.join(ROOT, 'test/harness/n8n.js'));
	const { LondonDatastore } = harness.requireBundled(
		path.join(ROOT, 'nodes/LondonDatastore/LondonDatastore.node.ts'),
	);
	const credentials = { londonDatastoreApi: { apiKey: EDITOR_KEY, baseUrl: job.url } };
	const parameters = {
		resource: 'file',
		operation: 'upload',
		datasetId: job.dataset,
		binaryPropertyName: 'data',
		options: { uploadMethod: UPLOAD_METHOD[job.path], bumpUpdatedDate: false },
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

	const storageHost = job.storageUrl && new URL(job.storageUrl).host;
	const stopTimer = fileRequestTimer((request) => {
		if (request.method !== 'POST') return false;
		if (job.path === 'presigned') return request.getHeader('host') === storageHost;
		if (job.path === 'chunked') return CHUNK_PATH.test(request.path);
		return /\/resources$/.test(request.path);
	});
	const stopWatch = memoryWatch();
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	const { output, error } = await harness.runNode(LondonDatastore, {
		parameters,
		credentials,
		items: [item],
	});
	const totalMs = performance.now() - started;
	const memory = stopWatch();
	const transferMs = stopTimer();
	if (error) throw new Error(harness.serializeError(error));
	const json = output[0][0].json;
	const cpu = process.cpuUsage(cpuBefore);
	return {
		totalMs,
		transferMs,
		cpuMs: (cpu.user + cpu.system) / 1000,
		...memory,
		method: json.method,
		resourceId: json.resourceId,
		bytes: json.bytes,
	};
}

/**
 * curl posting forms, the files streamed from disk by curl itself; returns its own transfer time (the sum of
 * each transfer's time_total). Several transfers go in one curl process, joined by --next: curl keeps the
 * connection open between them, and the time it spends between transfers is not counted (a stricter
 * baseline than the node's span, which counts its gaps).
 */
function curlPosts(transfers) {
	const args = [];
	for (const [index, { url, form, headers = [] }] of transfers.entries()) {
		if (index > 0) args.push('--next');
		args.push('-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}\\n', '-H', 'Expect:');
		for (const header of headers) args.push('-H', header);
		args.push(...form, url);
	}
	let ms = 0;
	for (const line of execFileSync('curl', args, { encoding: 'utf8', maxBuffer: 16 * MIB })
		.trim()
		.split('\n')) {
		const [status, seconds] = line.split(' ');
		if (!(Number(status) < 300))
			throw new Error(`curl got HTTP ${status} from ${transfers[0].url}`);
		ms += Number(seconds) * 1000;
	}
	return ms;
}

function curlPost(url, form, headers = []) {
	return curlPosts([{ url, form, headers }]);
}

/** undici posting the form from a file stream (1 MiB reads), framed here with an exact Content-Length. */
async function undiciPost(url, fields, filePath, fileName, headers = {}) {
	const { request } = require('undici');
	const boundary = `----bench${crypto.randomBytes(8).toString('hex')}`;
	let head = '';
	for (const [name, value] of fields)
		head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
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
		headers: {
			...headers,
			'content-type': `multipart/form-data; boundary=${boundary}`,
			'content-length': String(length),
		},
		body: body(),
	});
	const text = await answer.body.text();
	if (answer.statusCode >= 300)
		throw new Error(`undici got HTTP ${answer.statusCode} from ${url}: ${text.slice(0, 300)}`);
	const cpu = process.cpuUsage(cpuBefore);
	return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** curl's form argument for a file part, streamed from disk by curl, sent under the original file's name. */
function curlFilePart(filePath, fileName) {
	return ['-F', `file=@${filePath};filename=${fileName};type=application/octet-stream`];
}

/**
 * The raw clients on DataPress 4's chunked path. The upload is created with one request and completed with
 * another (undici, outside the timed part); in between, every 5 MiB part is posted as the node posts it: a
 * form with the field `part` (from 0), then `file`, the raw key in Authorization. The parts are the chunk
 * files the parent split the file into before the runs (curl cannot send a byte range of a file as a form
 * part). curl posts them all from one process, joined by --next on one kept-alive connection, and its time
 * is the sum of its transfers' time_total; undici posts them one after the other, timed from the first
 * part's send to the last one's answer.
 */
async function chunkedRaw(job, fileName) {
	const dataset = encodeURIComponent(job.dataset);
	const created = await json(`${job.url}/api/v3/dataset/${dataset}/upload`, {
		method: 'POST',
		body: JSON.stringify({ filename: fileName, parts: job.chunkFiles.length }),
	});
	let transferMs;
	let cpuMs;
	if (job.kind === 'curl') {
		const headers = [`Authorization: ${EDITOR_KEY}`];
		transferMs = curlPosts(
			job.chunkFiles.map((chunkFile, part) => ({
				url: created.urlChunk,
				form: ['-F', `part=${part}`, ...curlFilePart(chunkFile, fileName)],
				headers,
			})),
		);
	} else {
		const started = performance.now();
		const cpuBefore = process.cpuUsage();
		for (const [part, chunkFile] of job.chunkFiles.entries()) {
			await undiciPost(created.urlChunk, [['part', String(part)]], chunkFile, fileName, {
				authorization: EDITOR_KEY,
			});
		}
		transferMs = performance.now() - started;
		const cpu = process.cpuUsage(cpuBefore);
		cpuMs = (cpu.user + cpu.system) / 1000;
	}
	const completed = await json(created.urlComplete, { method: 'POST' });
	return { transferMs, cpuMs, resourceId: completed.resource_id };
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
	const fileArgument = curlFilePart(job.filePath, fileName);
	const started = performance.now();
	let transferMs;
	let cpuMs;
	let key;
	let resourceId;
	if (job.path === 'chunked') {
		({ transferMs, cpuMs, resourceId } = await chunkedRaw(job, fileName));
	} else if (job.path === 'presigned') {
		const presign = await request(
			`${job.url}/api/dataset/${encodeURIComponent(job.dataset)}/presign/${encodeURIComponent(fileName)}`,
			{
				method: 'POST',
				headers: { authorization: EDITOR_KEY },
			},
		);
		if (presign.statusCode !== 200)
			throw new Error(`presign answered ${presign.statusCode}: ${await presign.body.text()}`);
		const { url, fields } = await presign.body.json();
		key = fields.key;
		if (job.kind === 'curl') {
			const form = [];
			for (const [name, value] of Object.entries(fields))
				form.push('--form-string', `${name}=${value}`);
			transferMs = curlPost(url, [...form, ...fileArgument]);
		} else {
			({ ms: transferMs, cpuMs } = await undiciPost(
				url,
				Object.entries(fields),
				job.filePath,
				fileName,
			));
		}
	} else {
		const url = `${job.url}/api/dataset/${encodeURIComponent(job.dataset)}/resources`;
		if (job.kind === 'curl')
			transferMs = curlPost(url, fileArgument, [`Authorization: ${EDITOR_KEY}`]);
		else
			({ ms: transferMs, cpuMs } = await undiciPost(url, [], job.filePath, fileName, {
				authorization: EDITOR_KEY,
			}));
	}
	return { totalMs: performance.now() - started, transferMs, cpuMs, key, resourceId };
}

async function childMain() {
	const job = JSON.parse(process.argv[3]);
	try {
		const result = job.kind === 'node' ? await childNode(job) : await childRaw(job);
		process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
		process.exit(0);
	} catch (error) {
		process.stdout.write(
			`\nFAILED ${JSON.stringify(String(error && error.stack ? error.stack : error))}\n`,
		);
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
		const child = spawn(
			process.execPath,
			[
				...(process.env.BENCH_CHILD_FLAGS ? process.env.BENCH_CHILD_FLAGS.split(' ') : []),
				__filename,
				'--child',
				JSON.stringify(job),
			],
			{
				cwd: ROOT,
				// The child's binary data store and harness folders go under our temp dir and are removed with it.
				env: { ...process.env, TMPDIR: tmpDir },
				stdio: ['ignore', 'pipe', 'inherit'],
			},
		);
		let out = '';
		child.stdout.on('data', (chunk) => {
			out += chunk;
		});
		child.on('error', reject);
		child.on('close', () => {
			// For profiling runs (BENCH_CHILD_FLAGS=--trace-gc ...): keep what the child printed.
			if (process.env.BENCH_CHILD_LOG)
				fs.appendFileSync(process.env.BENCH_CHILD_LOG, `== ${job.kind}\n${out}`);
			const result = /\nRESULT (.*)\n/.exec(out);
			if (result) return resolve(JSON.parse(result[1]));
			const failed = /\nFAILED (.*)\n/.exec(out);
			reject(
				new Error(
					`${job.kind} upload of ${path.basename(job.filePath)} failed: ${failed ? JSON.parse(failed[1]) : out.slice(-2000)}`,
				),
			);
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
	const answer = await request(url, {
		...options,
		headers: { authorization: EDITOR_KEY, 'content-type': 'application/json', ...options.headers },
	});
	const text = await answer.body.text();
	if (answer.statusCode >= 300)
		throw new Error(`${options.method || 'GET'} ${url} answered ${answer.statusCode}: ${text}`);
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

/** Size and MD5 of a file, read as a stream. */
async function digestOf(filePath) {
	const hash = crypto.createHash('md5');
	let size = 0;
	for await (const bytes of fs.createReadStream(filePath, { highWaterMark: MIB })) {
		hash.update(bytes);
		size += bytes.length;
	}
	return { size, md5: hash.digest('hex') };
}

/**
 * Checks that the sandbox stored the bytes sent: the file it keeps for an upload has the size and MD5 of
 * the one on disk. Every node upload is checked, and the raw clients' where their file is known
 * (presigned: the storage key; chunked: the resource completion made). A chunked upload's stored file is
 * removed once checked (only disk space is at stake).
 */
async function checkStored(target, uploadPath, kind, result, expected) {
	const { control } = target.sandbox;
	let stored;
	if (uploadPath === 'chunked')
		stored = control.resourceFilePath(target.dataset, result.resourceId);
	else if (uploadPath === 'presigned') {
		const key =
			kind === 'node'
				? ((await control.dataset(target.dataset)).resources[result.resourceId] || {}).origin
				: result.key;
		stored = key && (await control.storedObjectPath(key));
	} else if (kind === 'node') stored = control.resourceFilePath(target.dataset, result.resourceId);
	else return;
	if (!stored)
		throw new Error(
			`${kind} on the ${uploadPath} path: the sandbox has no stored file for ${JSON.stringify(result.resourceId || result.key)}`,
		);
	const got = await digestOf(stored);
	if (got.size !== expected.size || got.md5 !== expected.md5) {
		throw new Error(
			`${kind} on the ${uploadPath} path stored ${got.size} bytes, MD5 ${got.md5}; sent ${expected.size} bytes, MD5 ${expected.md5}`,
		);
	}
	if (uploadPath === 'chunked') fs.rmSync(stored, { force: true });
}

/** The file in 5 MiB chunk files (the chunked path's parts, for the raw clients), in order. */
function splitIntoParts(filePath, directory) {
	fs.mkdirSync(directory, { recursive: true });
	execFileSync('split', [
		'-b',
		String(5 * MIB),
		'-a',
		'5',
		'-d',
		filePath,
		path.join(directory, 'part-'),
	]);
	return fs
		.readdirSync(directory)
		.sort()
		.map((name) => path.join(directory, name));
}

const mib = (bytes) => (bytes / MIB).toFixed(1);
const rate = (bytes, ms) => (bytes / MIB / (ms / 1000)).toFixed(0);

async function parentMain() {
	const sizes = String(argument('sizes', '100,1024'))
		.split(',')
		.map(Number)
		.filter((size) => size > 0);
	const chunkedSizes = String(argument('chunked', argument('sizes', '100,1024')))
		.split(',')
		.map(Number)
		.filter((size) => size > 0);
	const multipartSize = Number(argument('multipart', '90'));
	const runs = Math.max(1, Number(argument('runs', '5')) || 5);
	const verbose = process.argv.includes('--verbose');

	const tmpDir = fs.mkdtempSync(path.join(argument('dir', os.tmpdir()), 'bench-upload-'));
	const { startDatastoreSandboxes } = require(path.join(ROOT, 'sandbox/datapress'));
	const sandbox = await startDatastoreSandboxes({
		api: 'legacy',
		port: 0,
		storagePort: 0,
		dataDir: path.join(tmpDir, 'sandbox'),
	});
	const { control } = sandbox;
	const sandbox4 = await startDatastoreSandboxes({
		api: 'v4',
		port: 0,
		dataDir: path.join(tmpDir, 'sandbox-v4'),
	});
	try {
		const teams = await json(`${sandbox.url}/api/orgs`);
		const team = (Array.isArray(teams) ? teams : Object.values(teams)).find(
			(entry) => entry.slug === 'gla-demo',
		);
		const dataset = await json(`${sandbox.url}/api/dataset`, {
			method: 'POST',
			body: JSON.stringify({
				title: 'Upload benchmark',
				slug: `upload-benchmark-${Date.now()}`,
				parent: team.id,
				sharing: 'private',
			}),
		});
		const dataset4 = await json(`${sandbox4.url}/api/v3/dataset`, {
			method: 'POST',
			body: JSON.stringify({
				title: 'Upload benchmark',
				team: 'g7lad',
				masthead: 'gla',
				sharing: 'private',
			}),
		});
		const legacyTarget = { sandbox, dataset: dataset.slug };
		const targets = {
			presigned: legacyTarget,
			multipart: legacyTarget,
			chunked: { sandbox: sandbox4, dataset: dataset4.dataset.id },
		};

		const plan = [
			...sizes.map((size) => ({ path: 'presigned', size: size * MIB })),
			...chunkedSizes.map((size) => ({ path: 'chunked', size: size * MIB })),
			...(multipartSize > 0 ? [{ path: 'multipart', size: multipartSize * MIB }] : []),
		];
		console.log(
			`London Datastore upload benchmark: ${runs} run(s) each, medians; node ${process.version}, ${os.cpus().length} CPUs, ` +
				`load average ${os.loadavg()[0].toFixed(1)}, files in ${tmpDir}`,
		);
		const rows = [];
		const clients = process.env.BENCH_CLIENTS
			? process.env.BENCH_CLIENTS.split(',')
			: ['node', 'curl', 'undici'];
		for (const { path: uploadPath, size } of plan) {
			const filePath = path.join(tmpDir, `bench-${mib(size)}MiB.bin`);
			await makeFile(filePath, size);
			const expected = await digestOf(filePath);
			const partsDir = path.join(tmpDir, 'parts');
			const chunkFiles = uploadPath === 'chunked' ? splitIntoParts(filePath, partsDir) : undefined;
			const target = targets[uploadPath];
			const results = Object.fromEntries(clients.map((kind) => [kind, []]));
			for (let run = 0; run < runs; run++) {
				const job = {
					path: uploadPath,
					url: target.sandbox.url,
					storageUrl: target.sandbox.storageUrl,
					dataset: target.dataset,
					filePath,
					chunkFiles,
				};
				// Rotate the order so that no client always goes first (warm caches, flushes, load swings).
				const order = clients.map((_, index) => clients[(index + run) % clients.length]);
				for (const kind of order) {
					const result = await runChild({ ...job, kind }, tmpDir);
					if (kind === 'node' && result.method !== uploadPath)
						throw new Error(`the node took the ${result.method} path, not ${uploadPath}`);
					await checkStored(target, uploadPath, kind, result, expected);
					results[kind].push(result);
					if (verbose) {
						const cpu =
							result.cpuMs === undefined
								? ''
								: `, CPU ${(result.cpuMs / (size / MIB)).toFixed(2)} ms/MiB`;
						console.log(
							`  run ${run + 1} ${kind}: ${rate(size, result.transferMs)} MiB/s${cpu}${kind === 'node' ? `, RSS growth ${mib(result.growth)} MiB` : ''}`,
						);
					}
					if (uploadPath === 'presigned' && kind !== 'node')
						await removeStored(control, result.key);
				}
				if (uploadPath === 'presigned') {
					const stored = await control.dataset(dataset.slug);
					for (const resource of Object.values(stored.resources || {}))
						await removeStored(control, resource.origin || resource.key);
				}
			}
			fs.rmSync(filePath, { force: true });
			fs.rmSync(partsDir, { recursive: true, force: true });
			const transfer = (kind) => median(results[kind].map((result) => result.transferMs));
			// The clients of one run went back to back: the median of per-run ratios cancels slow swings in machine load.
			const paired = (kind) =>
				median(
					results.node.map((result, index) => results[kind][index].transferMs / result.transferMs),
				);
			// BENCH_CLIENTS may leave out curl or undici: the row names the clients that ran.
			const baselines = clients.filter((kind) => kind !== 'node');
			const row = {
				path: uploadPath,
				size,
				nodeGrowth: median(results.node.map((result) => result.growth)),
				transfer: Object.fromEntries(clients.map((kind) => [kind, transfer(kind)])),
				ratio: Object.fromEntries(baselines.map((kind) => [kind, paired(kind)])),
				nodeTotal: median(results.node.map((result) => result.totalMs)),
			};
			rows.push(row);
			console.log(
				`${row.path.padEnd(9)} ${`${mib(size)} MiB`.padStart(10)}: node RSS growth ${mib(row.nodeGrowth)} MiB; ` +
					`upload ${clients.map((kind) => `${kind} ${rate(size, row.transfer[kind])} MiB/s`).join(', ')}; ` +
					`${baselines.map((kind) => `node/${kind} ${row.ratio[kind].toFixed(2)}`).join(', ')} (medians of per-run ratios); ` +
					`node's whole operation ${rate(size, row.nodeTotal)} MiB/s`,
			);
		}

		console.log('\nSummary');
		for (const largePath of ['presigned', 'chunked']) {
			const sized = rows.filter((row) => row.path === largePath).sort((a, b) => a.size - b.size);
			if (sized.length < 2) continue;
			const small = sized[0];
			const large = sized[sized.length - 1];
			console.log(
				`- ${largePath}: RSS growth ${mib(small.nodeGrowth)} MiB at ${mib(small.size)} MiB vs ${mib(large.nodeGrowth)} MiB at ${mib(large.size)} MiB ` +
					`for a file x${(large.size / small.size).toFixed(1)} larger (target: flat, and <= 64 MiB at 1 GiB: ${large.nodeGrowth <= 64 * MIB ? 'at most 64 MiB here' : 'OVER 64 MiB'})`,
			);
		}
		for (const row of rows) {
			const verdict = (ratio) => `${ratio.toFixed(2)} (${ratio >= 0.8 ? 'met' : 'NOT met'})`;
			console.log(
				`- ${row.path} ${mib(row.size)} MiB: throughput ${Object.entries(row.ratio)
					.map(([kind, ratio]) => `node/${kind} ${verdict(ratio)}`)
					.join(', ')} (target >= 0.80); ` +
					`RSS growth / file size ${(row.nodeGrowth / row.size).toFixed(3)}`,
			);
		}
		console.log(
			"(upload = the request carrying the file, or the chunked path's part requests. node: from the answer before the first to the last one's answer, seen inside the node's process; " +
				'curl: its time_total (summed over the parts, one curl process); undici: send to answer, streaming the file with 1 MiB reads (the parts one after the other). ' +
				'Whole operation = read dataset, presign, storage POST, attach patch; chunked: read dataset, create, parts, complete. Every stored file was checked: same size and MD5.)',
		);
	} finally {
		await sandbox.close();
		await sandbox4.close();
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
