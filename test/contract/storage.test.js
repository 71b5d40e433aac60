/**
 * Contract tests of the storage sandbox (the S3 bucket behind DataPress's presigned POSTs) over real HTTP:
 * the S3 answers (204, 201 with PostResponse XML), the field order (fields after the file ignored, `key`
 * required before it), SigV4 signature and policy checks, expiry, content-length-range, faults, the
 * Authorization log, and a presigned upload of a file over 100 MB streamed through with its memory
 * figure printed (the sandboxes run in this process, so process.memoryUsage() covers them).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { request } = require('undici');

const { startDatastoreSandboxes, MAX_MULTIPART_BYTES } = require('../../sandbox/datapress');
const { startStorageSandbox } = require('../../sandbox/storage');
const { presignPost } = require('../../sandbox/storage/sigv4');
const { filesUnder, bytesUnder, md5OfStream } = require('../harness/files');
const {
	multipart,
	fieldParts: asParts,
	bufferSource,
	generatedSource,
	MIB,
} = require('../harness/multipart');

const EDITOR = 'demo-editor-key';

let sandbox;
let control;
let dataDir;
let dataset;

beforeAll(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-contract-'));
	sandbox = await startDatastoreSandboxes({ api: 'legacy', port: 0, storagePort: 0, dataDir });
	control = sandbox.control;
	const orgs = await json('GET', '/api/orgs');
	const slug = `storage-contract-${crypto.randomBytes(3).toString('hex')}`;
	dataset = await json('POST', '/api/dataset', {
		key: EDITOR,
		body: {
			title: 'Storage contract',
			slug,
			parent: orgs.find((team) => team.slug === 'gla-demo').id,
			sharing: 'public',
		},
	});
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
	fs.rmSync(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
	await control.setPresignExpirySeconds(3600);
});

async function json(method, urlPath, { key, body } = {}) {
	const headers = {};
	if (key) headers.authorization = key;
	if (body !== undefined) headers['content-type'] = 'application/json';
	const response = await request(`${sandbox.url}${urlPath}`, {
		method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.body.text();
	if (response.statusCode !== 200)
		throw new Error(`${method} ${urlPath} answered ${response.statusCode}: ${text}`);
	return JSON.parse(text);
}

function presign(fileName) {
	return json('POST', `/api/dataset/${dataset.slug}/presign/${encodeURIComponent(fileName)}`, {
		key: EDITOR,
	});
}

async function post(url, parts, headers = {}) {
	const form = multipart(parts);
	const response = await request(url, {
		method: 'POST',
		headers: { ...form.headers, ...headers },
		body: form.body,
	});
	const text = await response.body.text();
	return { status: response.statusCode, headers: response.headers, text };
}

function fieldParts(fields, { omit = [], override = {} } = {}) {
	return asParts({ ...fields, ...override }).filter(({ name }) => !omit.includes(name));
}

function fileOf(name, source) {
	return { name: 'file', filename: name, source };
}

function xmlValue(text, tag) {
	const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text);
	return match ? match[1] : undefined;
}

async function fileMd5(filePath) {
	return (await md5OfStream(fs.createReadStream(filePath))).md5;
}

async function notStored(key) {
	const stored = await control.storedObjectPath(key);
	return !stored || !fs.existsSync(stored);
}

describe('successful uploads', () => {
	test('fields first, file last: 204 with an empty body; the object is stored byte for byte and logged', async () => {
		await control.clearLogs();
		const presigned = await presign('data file.csv');
		const source = bufferSource(crypto.randomBytes(200 * 1024 + 3));
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('data file.csv', source),
		]);
		expect(answer.status).toBe(204);
		expect(answer.text).toBe('');
		const stored = await control.storedObjectPath(presigned.fields.key);
		expect(fs.statSync(stored).size).toBe(source.size);
		expect(await fileMd5(stored)).toBe(source.md5);
		const log = await control.storageLog();
		expect(log).toEqual([
			expect.objectContaining({
				at: expect.any(String),
				method: 'POST',
				path: new URL(presigned.url).pathname,
				hadAuthorization: false,
				status: 204,
			}),
		]);
		expect(log[0].bytes).toBeGreaterThanOrEqual(source.size);
	});

	test('success_action_status=201 among the fields: 201 with a PostResponse (Location, Bucket, Key, ETag)', async () => {
		const presigned = await presign('report.pdf');
		const source = bufferSource(Buffer.from('%PDF-1.4 a tiny pdf\n'));
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			{ name: 'success_action_status', value: '201' },
			fileOf('report.pdf', source),
		]);
		expect(answer.status).toBe(201);
		expect(answer.text).toMatch(/<PostResponse>/);
		expect(xmlValue(answer.text, 'Key')).toBe(presigned.fields.key);
		expect(xmlValue(answer.text, 'Bucket')).toEqual(expect.any(String));
		expect(xmlValue(answer.text, 'Location')).toMatch(/^http/);

		const plain = await presign('report-200.pdf');
		const ok200 = await post(plain.url, [
			...fieldParts(plain.fields),
			{ name: 'success_action_status', value: '200' },
			fileOf('report-200.pdf', source),
		]);
		expect(ok200.status).toBe(200);
		expect(ok200.text).toBe('');
		expect(xmlValue(answer.text, 'ETag')).toBe(`"${source.md5}"`);
	});

	test('a field after the file is ignored, as S3 does (success_action_status=201 there still gives 204)', async () => {
		const presigned = await presign('late-field.txt');
		const source = bufferSource(Buffer.from('late\n'));
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('late-field.txt', source),
			{ name: 'success_action_status', value: '201' },
		]);
		expect(answer.status).toBe(204);
		expect(await fileMd5(await control.storedObjectPath(presigned.fields.key))).toBe(source.md5);
	});

	test('an Authorization header sent to the storage host is recorded (hadAuthorization)', async () => {
		await control.clearLogs();
		const presigned = await presign('with-auth.txt');
		await post(
			presigned.url,
			[...fieldParts(presigned.fields), fileOf('with-auth.txt', bufferSource(Buffer.from('x')))],
			{ authorization: 'leaked-key' },
		);
		await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('with-auth.txt', bufferSource(Buffer.from('y'))),
		]);
		expect((await control.storageLog()).map((entry) => entry.hadAuthorization)).toEqual([
			true,
			false,
		]);
		expect(JSON.stringify(await control.storageLog())).not.toContain('leaked-key');
	});
});

describe('refused uploads (S3 XML errors, nothing stored)', () => {
	async function refused(parts, presigned) {
		const answer = await post(presigned.url, parts);
		expect(answer.headers['content-type']).toMatch(/xml/);
		expect(await notStored(presigned.fields.key)).toBe(true);
		return {
			status: answer.status,
			code: xmlValue(answer.text, 'Code'),
			message: xmlValue(answer.text, 'Message'),
		};
	}
	const file = () => fileOf('x.bin', bufferSource(crypto.randomBytes(1024)));

	test('no key field: 400 InvalidArgument', async () => {
		const presigned = await presign('x.bin');
		expect(
			await refused([...fieldParts(presigned.fields, { omit: ['key'] }), file()], presigned),
		).toEqual(
			expect.objectContaining({
				status: 400,
				code: 'InvalidArgument',
				message: expect.stringMatching(/key/),
			}),
		);
	});

	test('the key after the file does not count: 400 InvalidArgument', async () => {
		const presigned = await presign('x.bin');
		const parts = [
			...fieldParts(presigned.fields, { omit: ['key'] }),
			file(),
			{ name: 'key', value: presigned.fields.key },
		];
		expect(await refused(parts, presigned)).toEqual(
			expect.objectContaining({ status: 400, code: 'InvalidArgument' }),
		);
	});

	test('a wrong signature: 403 SignatureDoesNotMatch', async () => {
		const presigned = await presign('x.bin');
		const signatureName = Object.keys(presigned.fields).find(
			(name) => name.toLowerCase() === 'x-amz-signature',
		);
		const signature = presigned.fields[signatureName];
		const wrong = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
		expect(
			await refused(
				[...fieldParts(presigned.fields, { override: { [signatureName]: wrong } }), file()],
				presigned,
			),
		).toEqual(expect.objectContaining({ status: 403, code: 'SignatureDoesNotMatch' }));
	});

	test('a policy edited after signing: 403 SignatureDoesNotMatch', async () => {
		const presigned = await presign('x.bin');
		const policyName = Object.keys(presigned.fields).find(
			(name) => name.toLowerCase() === 'policy',
		);
		const policy = JSON.parse(Buffer.from(presigned.fields[policyName], 'base64').toString('utf8'));
		policy.expiration = new Date(Date.now() + 365 * 86400 * 1000).toISOString();
		const forged = Buffer.from(JSON.stringify(policy)).toString('base64');
		expect(
			await refused(
				[...fieldParts(presigned.fields, { override: { [policyName]: forged } }), file()],
				presigned,
			),
		).toEqual(expect.objectContaining({ status: 403, code: 'SignatureDoesNotMatch' }));
	});

	test('another key than the signed one: 403 AccessDenied, Invalid according to Policy', async () => {
		const presigned = await presign('x.bin');
		const other = `${presigned.fields.key}.other`;
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields, { override: { key: other } }),
			file(),
		]);
		expect(answer.status).toBe(403);
		expect(xmlValue(answer.text, 'Code')).toBe('AccessDenied');
		expect(xmlValue(answer.text, 'Message')).toMatch(/^Invalid according to Policy: /);
		expect(await notStored(other)).toBe(true);
	});

	test('a field the policy does not cover: 403 AccessDenied (extra input field)', async () => {
		const presigned = await presign('x.bin');
		expect(
			await refused(
				[...fieldParts(presigned.fields), { name: 'acl', value: 'public-read' }, file()],
				presigned,
			),
		).toEqual(
			expect.objectContaining({
				status: 403,
				code: 'AccessDenied',
				message: expect.stringMatching(/Invalid according to Policy: .*acl/),
			}),
		);
	});

	test('an expired policy (setPresignExpirySeconds negative): 403 AccessDenied "Policy expired"', async () => {
		await control.setPresignExpirySeconds(-10);
		const presigned = await presign('x.bin');
		expect(await refused([...fieldParts(presigned.fields), file()], presigned)).toEqual(
			expect.objectContaining({
				status: 403,
				code: 'AccessDenied',
				message: expect.stringMatching(/Invalid according to Policy: Policy expired/),
			}),
		);
	});

	test('no file part: 400', async () => {
		const presigned = await presign('x.bin');
		const answer = await post(presigned.url, fieldParts(presigned.fields));
		expect(answer.status).toBe(400);
		expect(xmlValue(answer.text, 'Code')).toEqual(expect.any(String));
	});

	test('another path than the bucket is 404; other methods are refused', async () => {
		const presigned = await presign('x.bin');
		const wrongBucket = new URL('/no-such-bucket', presigned.url).toString();
		expect((await post(wrongBucket, [...fieldParts(presigned.fields), file()])).status).toBe(404);
		const get = await request(presigned.url);
		await get.body.text();
		expect(get.statusCode).toBeGreaterThanOrEqual(400);
	});
});

describe('content-length-range and signing, on a storage server of its own (policies signed here)', () => {
	const accessKeyId = 'AKIACONTRACTTEST';
	const secretAccessKey = 'contract-test-secret';
	let storage;
	let storageDir;

	beforeAll(async () => {
		storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-only-'));
		storage = await startStorageSandbox({
			port: 0,
			dataDir: storageDir,
			secrets: { [accessKeyId]: secretAccessKey },
		});
	});

	afterAll(async () => {
		if (storage) await storage.close();
		fs.rmSync(storageDir, { recursive: true, force: true });
	});

	function sign(key, { maxBytes = 1000, secret = secretAccessKey, expiresInSeconds = 3600 } = {}) {
		return presignPost({
			url: storage.url,
			bucket: storage.bucket,
			key,
			region: storage.region,
			accessKeyId,
			secretAccessKey: secret,
			nowMs: Date.now(),
			expiresInSeconds,
			maxBytes,
		});
	}

	test('at the maximum of content-length-range the file is stored', async () => {
		const presigned = sign('range/at-max.bin', { maxBytes: 1000 });
		const source = bufferSource(crypto.randomBytes(1000));
		expect(
			(await post(presigned.url, [...fieldParts(presigned.fields), fileOf('at-max.bin', source)]))
				.status,
		).toBe(204);
		expect(storage.object('range/at-max.bin')).toEqual(
			expect.objectContaining({ size: 1000, md5: source.md5 }),
		);
	});

	test('one byte over: 400 EntityTooLarge, measured while streaming; no partial file is kept', async () => {
		const presigned = sign('range/over.bin', { maxBytes: 1000 });
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('over.bin', bufferSource(crypto.randomBytes(1001))),
		]);
		expect(answer.status).toBe(400);
		expect(xmlValue(answer.text, 'Code')).toBe('EntityTooLarge');
		expect(storage.object('range/over.bin')).toBeUndefined();
	});

	test('far over (20 MiB against 1 MiB): refused, and at most the allowed megabyte ever reached the disk', async () => {
		const presigned = sign('range/far-over.bin', { maxBytes: MIB });
		const before = bytesUnder(storageDir);
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('far-over.bin', generatedSource(20 * MIB)),
		]);
		expect(answer.status).toBe(400);
		expect(xmlValue(answer.text, 'Code')).toBe('EntityTooLarge');
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(bytesUnder(storageDir) - before).toBe(0);
		expect(storage.object('range/far-over.bin')).toBeUndefined();
	});

	test('a policy signed with another secret: 403 SignatureDoesNotMatch', async () => {
		const presigned = sign('sig/other-secret.bin', { secret: 'not-the-secret' });
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('x.bin', bufferSource(Buffer.from('x'))),
		]);
		expect(answer.status).toBe(403);
		expect(xmlValue(answer.text, 'Code')).toBe('SignatureDoesNotMatch');
	});
});

describe('faults on the storage server', () => {
	test('a status fault answers it with Retry-After, in S3 XML; the next upload goes through', async () => {
		await control.injectFault({ server: 'storage', status: 503, retryAfter: 3 });
		const presigned = await presign('fault.bin');
		const source = bufferSource(crypto.randomBytes(64 * 1024));
		const faulted = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('fault.bin', source),
		]);
		expect(faulted.status).toBe(503);
		expect(faulted.headers['retry-after']).toBe('3');
		expect(xmlValue(faulted.text, 'Code')).toEqual(expect.any(String));
		expect(await notStored(presigned.fields.key)).toBe(true);
		expect(
			(await post(presigned.url, [...fieldParts(presigned.fields), fileOf('fault.bin', source)]))
				.status,
		).toBe(204);
	});

	test('drop: the connection is destroyed without an answer', async () => {
		await control.injectFault({ server: 'storage', drop: true });
		const presigned = await presign('drop.bin');
		await expect(
			post(presigned.url, [
				...fieldParts(presigned.fields),
				fileOf('drop.bin', bufferSource(Buffer.from('x'))),
			]),
		).rejects.toThrow();
		expect(await notStored(presigned.fields.key)).toBe(true);
	});

	test('dropAfterBytes: the connection dies mid-upload and no object (or partial file) is kept', async () => {
		await control.injectFault({ server: 'storage', dropAfterBytes: 256 * 1024 });
		const presigned = await presign('mid.bin');
		await expect(
			post(presigned.url, [
				...fieldParts(presigned.fields),
				fileOf('mid.bin', generatedSource(4 * MIB)),
			]),
		).rejects.toThrow();
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(await notStored(presigned.fields.key)).toBe(true);
		const leftovers = filesUnder(sandbox.dataDir).filter(
			(file) => fs.statSync(file).size >= 256 * 1024 && /partial/.test(path.basename(file)),
		);
		expect(leftovers).toEqual([]);
	});

	test('delayMs delays the answer, which is then normal', async () => {
		await control.injectFault({ server: 'storage', delayMs: 300 });
		const presigned = await presign('slow.bin');
		const started = Date.now();
		const answer = await post(presigned.url, [
			...fieldParts(presigned.fields),
			fileOf('slow.bin', bufferSource(Buffer.from('slow'))),
		]);
		expect(answer.status).toBe(204);
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
	});
});

/**
 * The uploading client of the big-file test, run as a child process so that this process (the sandboxes)
 * measures only the server side. It generates the file in 1 MiB chunks, sends fields then file with
 * backpressure (the harness's multipart builder), hashes what it sent and prints `{status, md5, text}`.
 */
const UPLOAD_CLIENT = `
const job = JSON.parse(process.env.UPLOAD_JOB);
const { request } = require(job.undiciPath);
const { multipart, fieldParts, generatedSource } = require(job.multipartPath);
const source = generatedSource(job.size, { hashWhileSending: true });
const form = multipart([...fieldParts(job.fields), { name: 'file', filename: job.fileName, source }]);
(async () => {
	const response = await request(job.url, { method: 'POST', headers: form.headers, body: form.body });
	const text = await response.body.text();
	process.stdout.write(JSON.stringify({ status: response.statusCode, md5: source.md5, text }));
})().catch((error) => {
	process.stderr.write(String(error && error.stack));
	process.exit(1);
});
`;

function runUploadClient(job) {
	return new Promise((resolve, reject) => {
		execFile(
			process.execPath,
			['-e', UPLOAD_CLIENT],
			{
				env: {
					...process.env,
					UPLOAD_JOB: JSON.stringify({
						...job,
						undiciPath: require.resolve('undici'),
						multipartPath: require.resolve('../harness/multipart'),
					}),
				},
				maxBuffer: 1024 * 1024,
			},
			(error, stdout, stderr) =>
				error
					? reject(new Error(`upload client failed: ${stderr || error.message}`))
					: resolve(JSON.parse(stdout)),
		);
	});
}

describe('the three-step upload of a file over 100 MB', () => {
	test('streams through storage to disk; MD5 and downloaded bytes identical; sandbox memory stays flat (figure printed)', async () => {
		const size = MAX_MULTIPART_BYTES + 10 * MIB + 7; // 115,343,367 bytes: over 100 MB and over 100 MiB
		const fileName = 'big planning extract.bin';
		await control.clearLogs();

		const presigned = await presign(fileName);
		const samples = { rss: 0, heapUsed: 0, arrayBuffers: 0, peakRss: 0 };
		const base = process.memoryUsage();
		const timer = setInterval(() => {
			const now = process.memoryUsage();
			samples.peakRss = Math.max(samples.peakRss, now.rss);
			samples.rss = Math.max(samples.rss, now.rss - base.rss);
			samples.heapUsed = Math.max(samples.heapUsed, now.heapUsed - base.heapUsed);
			samples.arrayBuffers = Math.max(samples.arrayBuffers, now.arrayBuffers - base.arrayBuffers);
		}, 20);
		let uploaded;
		try {
			uploaded = await runUploadClient({
				url: presigned.url,
				fields: presigned.fields,
				fileName,
				size,
			});
		} finally {
			clearInterval(timer);
		}
		expect(uploaded.status).toBe(204);
		const file = { md5: uploaded.md5 };
		const mib = (bytes) => (bytes / MIB).toFixed(1);
		// The figure for the report: this process holds both sandboxes; the client is a child process.
		console.log(
			`[storage memory] sandbox process during a presigned POST of ${size} bytes (${mib(size)} MiB): peak rss +${mib(samples.rss)} MiB, ` +
				`heapUsed +${mib(samples.heapUsed)} MiB, arrayBuffers +${mib(samples.arrayBuffers)} MiB ` +
				`(${((samples.rss / size) * 100).toFixed(1)}% of the file; rss ${mib(base.rss)} MiB before, ${mib(samples.peakRss)} MiB at peak)`,
		);

		const stored = await control.storedObjectPath(presigned.fields.key);
		expect(fs.statSync(stored).size).toBe(size);
		expect(await fileMd5(stored)).toBe(file.md5);
		const log = await control.storageLog();
		expect(log.filter((entry) => entry.method === 'POST')).toEqual([
			expect.objectContaining({ status: 204, hadAuthorization: false }),
		]);

		const attached = await json('PATCH', `/api/dataset/${dataset.slug}`, {
			key: EDITOR,
			body: [
				{
					op: 'add',
					path: '/resources/any_id_here',
					value: { origin: presigned.fields.key, title: fileName, order: -1 },
				},
				{ op: 'replace', path: '/updatedAt', value: new Date().toISOString() },
			],
		});
		const [resourceId, resource] = Object.entries(attached.resources).find(
			([, entry]) => entry.title === fileName,
		);
		expect(resource).toEqual(
			expect.objectContaining({ order: 0, check_hash: file.md5, check_size: size }),
		);

		const response = await request(
			`${sandbox.url}/download/${dataset.slug}/${resourceId}/${encodeURIComponent(fileName)}`,
		);
		expect(response.statusCode).toBe(200);
		expect(await md5OfStream(response.body)).toEqual({ md5: file.md5, length: size });
	});
});
