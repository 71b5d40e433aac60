const crypto = require('crypto');
const { Readable } = require('stream');
const busboy = require('busboy');

const {
	checkPatch,
	diffFields,
	previewPatch,
	isProblem,
	bumpUpdatedAt,
	testUpdatedAt,
} = require('../../nodes/LondonDatastore/helpers/patch');
const { slugify } = require('../../nodes/LondonDatastore/helpers/slugify');
const {
	chooseUploadPath,
	LARGE_FILE_BYTES,
	MAX_MULTIPART_BYTES,
} = require('../../nodes/LondonDatastore/helpers/threshold');
const { md5OfStream, md5OfBuffer } = require('../../nodes/LondonDatastore/helpers/md5');
const {
	frameMultipart,
	multipartBody,
	uploadFileName,
} = require('../../nodes/LondonDatastore/helpers/multipart');
const {
	apiErrorMessages,
	parseStorageError,
	explainDatapressFailure,
	explainStorageFailure,
} = require('../../nodes/LondonDatastore/helpers/errors');
const { checkDataset } = require('../../nodes/LondonDatastore/transport');

const dataset = {
	id: '3f741e00-111f-4134-b04f-8b103f78bbe7',
	slug: 'ldd',
	title: 'Planning permissions',
	updatedAt: '2019-01-11T15:14:11.944Z',
	tags: ['planning', 'planning-application'],
	sharing: 'public',
	resources: { r1: { title: 'LDD', order: 0 } },
	readonly: { auth: { package_update: true } },
};

describe('checkPatch', () => {
	test('accepts a well-formed patch and returns its operations', () => {
		const patch = [
			{ op: 'replace', path: '/title', value: 'New' },
			{ op: 'remove', path: '/tags/0' },
			{ op: 'move', from: '/tags/0', path: '/tags/1' },
			{ op: 'test', path: '/updatedAt', value: 'x' },
		];
		expect(checkPatch(patch)).toEqual({ operations: patch });
	});

	test.each([
		['not an array', { op: 'add' }, -1, /must be a JSON array/],
		['an operation that is not an object', ['x'], 0, /operation 1 is not an object/],
		[
			'an unknown op',
			[{ op: 'frobnicate', path: '/title' }],
			0,
			/operation 1 \(frobnicate \/title\): "op" must be one of/,
		],
		[
			'a path without a leading slash',
			[{ op: 'replace', path: 'title', value: 1 }],
			0,
			/"path" must be a JSON Pointer/,
		],
		[
			'add without value',
			[
				{ op: 'replace', path: '/a', value: 1 },
				{ op: 'add', path: '/title' },
			],
			1,
			/operation 2 \(add \/title\): "add" needs a "value"/,
		],
		['copy without from', [{ op: 'copy', path: '/title' }], 0, /"copy" needs a "from"/],
		[
			'a change of /id',
			[{ op: 'replace', path: '/id', value: 'x' }],
			0,
			/operation 1 \(replace \/id\) would change \/id/,
		],
		[
			'a change inside /readonly',
			[{ op: 'add', path: '/readonly/auth/package_update', value: true }],
			0,
			/would change \/readonly/,
		],
		[
			'a move out of /readonly',
			[{ op: 'move', from: '/readonly/licence', path: '/licence2' }],
			0,
			/would move from \/readonly/,
		],
		[
			'a copy out of /id',
			[
				{ op: 'add', path: '/a', value: 1 },
				{ op: 'copy', from: '/id', path: '/b' },
			],
			1,
			/operation 2 \(copy \/b\) would copy from \/id/,
		],
		[
			'a replace of the whole document',
			[{ op: 'replace', path: '', value: {} }],
			0,
			/would change the whole dataset/,
		],
	])('refuses %s, naming the operation', (_label, patch, index, message) => {
		const result = checkPatch(patch);
		expect(isProblem(result)).toBe(true);
		expect(result.index).toBe(index);
		expect(result.problem).toMatch(message);
	});

	test('allows fields that only start with "id"', () => {
		expect(isProblem(checkPatch([{ op: 'add', path: '/identifier', value: 'x' }]))).toBe(false);
	});
});

describe('diffFields', () => {
	test('gives the minimal patch for the fields given and leaves the others alone', () => {
		const result = diffFields(dataset, {
			title: 'Planning permissions',
			tags: ['planning', 'housing'],
			maintainer: 'GLA',
		});
		expect(result.operations).toEqual([
			{ op: 'replace', path: '/tags/1', value: 'housing' },
			{ op: 'add', path: '/maintainer', value: 'GLA' },
		]);
	});

	test('gives no operations when nothing differs', () => {
		expect(
			diffFields(dataset, { title: 'Planning permissions', sharing: 'public' }).operations,
		).toEqual([]);
	});

	test('refuses to set id or readonly', () => {
		const result = diffFields(dataset, { id: 'other' });
		expect(result.problem).toMatch(/"id" cannot be set/);
	});
});

describe('bumpUpdatedAt', () => {
	test('stamps the current time when it is past every known stamp', () => {
		expect(
			bumpUpdatedAt(new Date('2026-03-01T10:00:00.000Z'), '2026-02-01T00:00:00.000Z', undefined),
		).toEqual({
			op: 'replace',
			path: '/updatedAt',
			value: '2026-03-01T10:00:00.000Z',
		});
	});

	test('moves 1 ms past a stamp from the same millisecond, so the stamp always changes', () => {
		const stamp = '2026-03-01T10:00:00.000Z';
		expect(bumpUpdatedAt(new Date(stamp), stamp).value).toBe('2026-03-01T10:00:00.001Z');
	});

	test('moves past the latest known stamp when the clock is behind it', () => {
		const bump = bumpUpdatedAt(
			new Date('2026-03-01T10:00:00.000Z'),
			'2026-03-01T10:00:05.000Z',
			'2026-03-01T10:00:09.500Z',
		);
		expect(bump.value).toBe('2026-03-01T10:00:09.501Z');
	});

	test('ignores known values that are not dates', () => {
		expect(bumpUpdatedAt(new Date('2026-03-01T10:00:00.000Z'), 'soon', 42, null).value).toBe(
			'2026-03-01T10:00:00.000Z',
		);
	});
});

describe('previewPatch', () => {
	test('returns the dataset as it would become, leaving the original untouched', () => {
		const patch = [
			{ op: 'replace', path: '/title', value: 'New' },
			bumpUpdatedAt(new Date('2026-01-01T00:00:00.000Z')),
		];
		const result = previewPatch(dataset, patch);
		expect(result.dataset.title).toBe('New');
		expect(result.dataset.updatedAt).toBe('2026-01-01T00:00:00.000Z');
		expect(dataset.title).toBe('Planning permissions');
	});

	test('reports a failing test operation as a conflict', () => {
		const result = previewPatch(dataset, [
			testUpdatedAt('2000-01-01T00:00:00Z'),
			{ op: 'replace', path: '/title', value: 'x' },
		]);
		expect(result.conflict).toMatch(/operation 1 \(test \/updatedAt\) failed/);
		expect(result.index).toBe(0);
	});

	test('reports an operation that cannot apply, naming it', () => {
		const result = previewPatch(dataset, [{ op: 'remove', path: '/nonexistent' }]);
		expect(result.problem).toMatch(/operation 1 \(remove \/nonexistent\) cannot be applied/);
	});
});

describe('slugify', () => {
	test.each([
		[
			'Planning permissions on the London Development Database (LDD)',
			'planning-permissions-on-the-london-development-database-ldd',
		],
		['  Café & Bar — 2026 ', 'cafe-and-bar-2026'],
		['Created via the API', 'created-via-the-api'],
		['!!!', ''],
	])('%s → %s', (title, slug) => {
		expect(slugify(title)).toBe(slug);
	});

	test('stays within 100 characters without a trailing hyphen', () => {
		const slug = slugify(`${'a'.repeat(99)} b`);
		expect(slug.length).toBeLessThanOrEqual(100);
		expect(slug.endsWith('-')).toBe(false);
	});
});

describe('chooseUploadPath', () => {
	test('multipart up to and including 10^8 bytes, the large-file path above, whichever "100 MB" a site means', () => {
		expect(LARGE_FILE_BYTES).toBe(100_000_000);
		expect(MAX_MULTIPART_BYTES).toBe(104857600);
		expect(chooseUploadPath(0, 'auto', 'v4')).toBe('multipart');
		expect(chooseUploadPath(100_000_000, 'auto', 'legacy')).toBe('multipart');
		expect(chooseUploadPath(100_000_001, 'auto', 'legacy')).toBe('presigned');
		expect(chooseUploadPath(100_000_001, 'auto', 'v4')).toBe('chunked');
	});

	test("a forced choice wins; Large File is the site generation's own path", () => {
		expect(chooseUploadPath(10, 'presigned', 'legacy')).toBe('presigned');
		expect(chooseUploadPath(10, 'presigned', 'v4')).toBe('chunked');
		expect(chooseUploadPath(104857601, 'multipart', 'v4')).toBe('multipart');
	});
});

describe('parts and hashes of large files', () => {
	const {
		partCount,
		partsOf,
		fileHashes,
		readServerHash,
		sameFile,
		PART_BYTES,
	} = require('../../nodes/LondonDatastore/helpers/chunks');
	const crypto = require('node:crypto');
	async function* trickled(buffer, piece) {
		for (let offset = 0; offset < buffer.length; offset += piece)
			yield buffer.subarray(offset, offset + piece);
	}
	/** S3's multipart ETag, computed here independently: MD5 of the concatenated binary part MD5s, -<parts>. */
	function s3Etag(buffer) {
		const digests = [];
		for (let offset = 0; offset < buffer.length; offset += PART_BYTES) {
			digests.push(
				crypto
					.createHash('md5')
					.update(buffer.subarray(offset, offset + PART_BYTES))
					.digest(),
			);
		}
		return `${crypto.createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
	}

	test('5 MiB parts, the last one shorter, read from any piece size', async () => {
		expect(PART_BYTES).toBe(5 * 1024 * 1024);
		expect([0, 1, PART_BYTES, PART_BYTES + 1].map((size) => partCount(size))).toEqual([1, 1, 1, 2]);
		const file = crypto.randomBytes(2 * PART_BYTES + 12345);
		const sizes = [];
		const joined = [];
		for await (const part of partsOf(trickled(file, 777_777))) {
			sizes.push(part.length);
			joined.push(part);
		}
		expect(sizes).toEqual([PART_BYTES, PART_BYTES, 12345]);
		expect(Buffer.concat(joined).equals(file)).toBe(true);
		const fromBuffer = [];
		for await (const part of partsOf(file)) fromBuffer.push(part.length);
		expect(fromBuffer).toEqual(sizes);
	});

	test('parts in one reused buffer: the same bytes for a consumer done with each part before the next', async () => {
		const file = crypto.randomBytes(2 * PART_BYTES + 4321);
		const copies = [];
		const backings = new Set();
		for await (const part of partsOf(trickled(file, 1_048_576), PART_BYTES, true)) {
			copies.push(Buffer.from(part));
			backings.add(part.buffer);
		}
		expect(copies.map((part) => part.length)).toEqual([PART_BYTES, PART_BYTES, 4321]);
		expect(Buffer.concat(copies).equals(file)).toBe(true);
		expect(backings.size).toBe(1);
		// A stream ending on a part boundary gives no empty last part; an empty stream gives one empty part.
		const exact = [];
		for await (const part of partsOf(
			trickled(file.subarray(0, PART_BYTES), 999_999),
			PART_BYTES,
			true,
		))
			exact.push(part.length);
		expect(exact).toEqual([PART_BYTES]);
		const empty = [];
		for await (const part of partsOf(trickled(Buffer.alloc(0), 1), PART_BYTES, true))
			empty.push(part.length);
		expect(empty).toEqual([0]);
	});

	test('the multipart ETag and the MD5 in one pass; an unchanged file is recognised by either', async () => {
		const file = crypto.randomBytes(PART_BYTES * 2 + 99);
		const hashes = await fileHashes(trickled(file, 1_000_000));
		expect(hashes.md5).toBe(crypto.createHash('md5').update(file).digest('hex'));
		expect(hashes.etag).toBe(s3Etag(file));
		expect(sameFile(readServerHash(hashes.etag), hashes, file.length)).toBe(true);
		expect(sameFile(readServerHash(hashes.md5.toUpperCase()), hashes, file.length)).toBe(true);
		// The same bytes but one: neither matches.
		const other = Buffer.from(file);
		other[0] ^= 1;
		expect(sameFile(readServerHash(hashes.etag), await fileHashes(other), other.length)).toBe(
			false,
		);
		// An ETag counted with other parts cannot be compared.
		expect(
			sameFile({ kind: 'etag', hex: hashes.etag.slice(0, 32), parts: 7 }, hashes, file.length),
		).toBe(false);
		expect(readServerHash('not a hash')).toBeUndefined();
		expect(readServerHash('1bb566cbda08156238fc6fc00f20dab2-6')).toEqual({
			kind: 'etag',
			hex: '1bb566cbda08156238fc6fc00f20dab2',
			parts: 6,
		});
	});
});

describe('md5', () => {
	test('of a stream in many chunks equals that of the whole buffer', async () => {
		const data = crypto.randomBytes(3 * 65536 + 17);
		const chunks = [];
		for (let offset = 0; offset < data.length; offset += 5000)
			chunks.push(data.subarray(offset, offset + 5000));
		const expected = crypto.createHash('md5').update(data).digest('hex');
		expect(await md5OfStream(Readable.from(chunks))).toBe(expected);
		expect(md5OfBuffer(data)).toBe(expected);
	});
});

function readAll(body) {
	return (async () => {
		const parts = [];
		for await (const chunk of body.stream()) parts.push(Buffer.from(chunk));
		return Buffer.concat(parts);
	})();
}

function parseForm(contentType, bytes) {
	return new Promise((resolve, reject) => {
		const fields = [];
		const parser = busboy({ headers: { 'content-type': contentType } });
		parser.on('field', (name, value) => fields.push(['field', name, value]));
		parser.on('file', (name, stream, info) => {
			const chunks = [];
			stream.on('data', (c) => chunks.push(c));
			stream.on('end', () =>
				fields.push(['file', name, info.filename, info.mimeType, Buffer.concat(chunks)]),
			);
		});
		parser.on('close', () => resolve(fields));
		parser.on('error', reject);
		parser.end(bytes);
	});
}

describe('multipart framing', () => {
	const presignedFields = [
		['key', 'uploads/abc/report.csv'],
		['bucket', 'datapress'],
		['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
		['Policy', 'eyJ4IjoxfQ=='],
	];

	test('fields in the given order, the file last, and an exact Content-Length', async () => {
		const file = crypto.randomBytes(200000);
		const framing = frameMultipart(presignedFields, {
			fieldName: 'file',
			fileName: 'report "final".csv',
			contentType: 'text/csv',
			size: file.length,
		});
		const chunks = [];
		for (let offset = 0; offset < file.length; offset += 65536)
			chunks.push(file.subarray(offset, offset + 65536));
		const body = multipartBody(framing, async () => Readable.from(chunks), file.length);
		expect(Object.prototype.toString.call(body)).toBe('[object Blob]');
		expect(body.type).toBe(framing.contentType);
		const bytes = await readAll(body);
		expect(bytes.length).toBe(framing.contentLength);
		expect(body.size).toBe(bytes.length);
		const parsed = await parseForm(framing.contentType, bytes);
		expect(parsed.map((p) => p[1])).toEqual(['key', 'bucket', 'X-Amz-Algorithm', 'Policy', 'file']);
		expect(parsed.slice(0, 4).map((p) => p[2])).toEqual(presignedFields.map(([, value]) => value));
		const [, , fileName, mimeType, content] = parsed[4];
		expect(fileName).toBe('report %22final%22.csv');
		expect(mimeType).toBe('text/csv');
		expect(content.equals(file)).toBe(true);
	});

	test('works from a Buffer and for an empty file', async () => {
		const framing = frameMultipart([['title', 'Empty']], {
			fieldName: 'file',
			fileName: 'e.txt',
			contentType: 'text/plain',
			size: 0,
		});
		const bytes = await readAll(multipartBody(framing, async () => Buffer.alloc(0), 0));
		expect(bytes.length).toBe(framing.contentLength);
		const parsed = await parseForm(framing.contentType, bytes);
		expect(parsed[0]).toEqual(['field', 'title', 'Empty']);
		expect(parsed[1][4].length).toBe(0);
	});

	test('fails instead of sending a body whose length would lie', async () => {
		const framing = frameMultipart([], {
			fieldName: 'file',
			fileName: 'f',
			contentType: 'application/octet-stream',
			size: 10,
		});
		await expect(
			readAll(multipartBody(framing, async () => Readable.from([Buffer.alloc(9)]), 10)),
		).rejects.toThrow(/has 9 bytes, not the 10/);
	});

	test('opens the file only when the body is read', async () => {
		let opened = 0;
		const framing = frameMultipart([], {
			fieldName: 'file',
			fileName: 'f',
			contentType: 'text/plain',
			size: 1,
		});
		const body = multipartBody(
			framing,
			async () => {
				opened++;
				return Buffer.from('x');
			},
			1,
		);
		expect(opened).toBe(0);
		await readAll(body);
		expect(opened).toBe(1);
	});
});

describe('error helpers', () => {
	const report = (failure, extra = {}) => ({
		failure,
		method: 'PATCH',
		path: '/api/dataset/abc',
		attempts: 1,
		stopped: 'final',
		outcomeUnknown: false,
		scope: { dataset: 'abc' },
		...extra,
	});

	test('apiErrorMessages reads {error} and {errors: [...]}', () => {
		expect(apiErrorMessages({ error: 'Dataset not found' })).toEqual(['Dataset not found']);
		expect(apiErrorMessages({ errors: ['slug is taken', 'title is required'] })).toEqual([
			'slug is taken',
			'title is required',
		]);
		expect(apiErrorMessages(undefined)).toEqual([]);
	});

	test('parseStorageError reads the S3 XML error', () => {
		const xml =
			'<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>';
		expect(parseStorageError(xml)).toEqual({
			code: 'AccessDenied',
			message: 'Invalid according to Policy: Policy expired.',
		});
		expect(parseStorageError('')).toEqual({ code: undefined, message: undefined });
	});

	test('a step and what it left behind frame the message and the description', () => {
		const explained = explainDatapressFailure(
			report(
				{ kind: 'status', status: 500, body: { error: 'boom' } },
				{
					outcomeUnknown: true,
					scope: {
						dataset: 'abc',
						step: 'Upload step 2 of 2 (patch)',
						leftBehind: 'The file is already in the dataset.',
					},
				},
			),
		);
		expect(explained.message).toBe(
			'Upload step 2 of 2 (patch) failed: DataPress failed with HTTP 500: boom',
		);
		expect(explained.description).toMatch(/may have been applied/);
		expect(explained.description).toMatch(/Dataset → Get/);
		expect(explained.description).toMatch(/The file is already in the dataset\.$/);
	});

	test("403 on a read and on a write, 409 with the caller's message, 429 past the cap", () => {
		expect(
			explainDatapressFailure(report({ kind: 'status', status: 403, body: {} }, { method: 'GET' }))
				.message,
		).toBe('The API key may not read dataset "abc"');
		expect(explainDatapressFailure(report({ kind: 'status', status: 403, body: {} })).message).toBe(
			'The API key has no editor rights on dataset "abc"',
		);
		const conflict = explainDatapressFailure(
			report(
				{ kind: 'status', status: 409, body: {} },
				{ scope: { conflictMessage: 'changed since' } },
			),
		);
		expect(conflict.message).toBe('changed since');
		const limited = explainDatapressFailure(
			report(
				{ kind: 'status', status: 429, body: {}, retryAfterSeconds: 3600 },
				{ stopped: 'retryAfter' },
			),
		);
		expect(limited.message).toMatch(/try again after 3600 seconds/);
		expect(limited.description).toMatch(/longer than the 30 s/);
		expect(
			explainDatapressFailure(report({ kind: 'status', status: 431, body: '' })).message,
		).toMatch(/too large \(HTTP 431\)/);
	});

	test('retries are mentioned only when they happened', () => {
		const once = explainDatapressFailure(
			report({ kind: 'status', status: 502, body: '' }, { method: 'GET' }),
		);
		expect(once.description).not.toMatch(/attempt|retr/);
		const four = explainDatapressFailure(
			report(
				{ kind: 'status', status: 502, body: '' },
				{ method: 'GET', attempts: 4, stopped: 'attempts' },
			),
		);
		expect(four.description).toMatch(/\(4 attempts\)/);
	});

	test('storage failures say the dataset is unchanged, and read an expired policy behind a closed connection', () => {
		const scope = {
			step: 'Upload step 2 of 3 (storage)',
			file: { name: 'big.csv', size: 5 },
			policyExpiration: '2026-11-20T12:00:00.000Z',
		};
		const tooLarge = explainStorageFailure(
			report(
				{
					kind: 'status',
					status: 400,
					body: '<Error><Code>EntityTooLarge</Code><Message>Too big</Message></Error>',
				},
				{ scope },
			),
		);
		expect(tooLarge.message).toBe(
			'Upload step 2 of 3 (storage) failed: the storage refused the file as too large (5 bytes)',
		);
		expect(tooLarge.description).toMatch(
			/"big.csv" did not reach the storage host completely, so the dataset was not patched/,
		);
		const closed = explainStorageFailure(
			report({ kind: 'network', code: 'ECONNRESET' }, { scope }),
			Date.parse('2026-11-20T13:00:00Z'),
		);
		expect(closed.message).toMatch(/policy had expired \(at 2026-11-20T12:00:00.000Z\)/);
		const dropped = explainStorageFailure(
			report({ kind: 'network', code: 'ECONNRESET' }, { scope }),
			Date.parse('2026-11-20T11:00:00Z'),
		);
		expect(dropped.message).toMatch(/could not be reached: the connection was dropped/);
	});

	test('checkDataset accepts a legacy dataset and a wrapped one, and names anything else', () => {
		expect(checkDataset({ id: 'x', title: 't' })).toBeUndefined();
		expect(checkDataset({ dataset: { id: 'vd4q4' } })).toBeUndefined();
		expect(checkDataset('<html>')).toBe('a JSON string');
		expect(checkDataset([1])).toBe('a JSON array');
		expect(checkDataset({ title: 'no id' })).toMatch(/not a dataset/);
	});

	test('uploadFileName: the same safe name on every upload path', () => {
		expect(uploadFileName('a"b/c\\d.csv')).toBe('a_b_c_d.csv');
		expect(uploadFileName('line\r\nbreak.csv')).toBe('line__break.csv');
		expect(uploadFileName('..')).toBe('file');
		expect(uploadFileName('plain name.csv')).toBe('plain name.csv');
	});
});

describe('presign policy', () => {
	const {
		readPolicy,
		sizeRefusal,
		policyExpired,
	} = require('../../nodes/LondonDatastore/helpers/policy');
	const encode = (document) => Buffer.from(JSON.stringify(document)).toString('base64');
	const fields = {
		key: 'uploads/x.csv',
		Policy: encode({
			expiration: '2026-11-20T13:00:00.000Z',
			conditions: [
				{ bucket: 'b' },
				['starts-with', '$key', 'uploads/'],
				['content-length-range', 0, 1000],
			],
		}),
	};

	test('reads the expiration and the content-length-range (Policy or policy)', () => {
		expect(readPolicy(fields)).toEqual({
			expiration: '2026-11-20T13:00:00.000Z',
			minBytes: 0,
			maxBytes: 1000,
		});
		expect(readPolicy({ policy: fields.Policy }).maxBytes).toBe(1000);
	});

	test('an absent or unreadable policy allows everything it cannot know', () => {
		expect(readPolicy({ key: 'k' })).toEqual({});
		expect(readPolicy({ Policy: 'not base64 json' })).toEqual({});
		expect(readPolicy({ Policy: encode({ expiration: 'soon', conditions: 'none' }) })).toEqual({});
		expect(sizeRefusal({}, 10 ** 12)).toBeUndefined();
		expect(policyExpired({}, Date.now())).toBe(false);
	});

	test('sizes outside the range are refused with both numbers', () => {
		const policy = readPolicy(fields);
		expect(sizeRefusal(policy, 1000)).toBeUndefined();
		expect(sizeRefusal(policy, 1001)).toBe(
			'the storage policy allows at most 1000 bytes and the file has 1001',
		);
		expect(sizeRefusal({ minBytes: 5 }, 4)).toBe(
			'the storage policy needs at least 5 bytes and the file has 4',
		);
	});

	test('expiry is judged against the given clock', () => {
		const policy = readPolicy(fields);
		expect(policyExpired(policy, Date.parse('2026-11-20T12:59:59Z'))).toBe(false);
		expect(policyExpired(policy, Date.parse('2026-11-20T13:00:00Z'))).toBe(true);
	});
});

describe('multipart file names', () => {
	const { fileNameParameters } = require('../../nodes/LondonDatastore/helpers/multipart');

	test('ASCII names go as a plain quoted filename', () => {
		expect(fileNameParameters('report 2026.csv')).toBe('filename="report 2026.csv"');
		expect(fileNameParameters('a"b\r\n.csv')).toBe('filename="a%22b  .csv"');
	});

	test('other names add RFC 5987 filename* with an ASCII fallback, which busboy decodes back', async () => {
		const name = "Schedule 36 – part 1 (Café's).csv";
		const parameters = fileNameParameters(name);
		expect(parameters).toBe(
			"filename=\"Schedule 36 _ part 1 (Cafe's).csv\"; filename*=UTF-8''Schedule%2036%20%E2%80%93%20part%201%20%28Caf%C3%A9%27s%29.csv",
		);
		const boundary = 'b0undary';
		const body = Buffer.from(
			`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${parameters}\r\nContent-Type: text/csv\r\n\r\nx\r\n--${boundary}--\r\n`,
		);
		const seen = await new Promise((resolve, reject) => {
			const parser = busboy({
				headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
			});
			parser.on('file', (_field, stream, info) => {
				stream.resume();
				resolve(info.filename);
			});
			parser.on('error', reject);
			parser.end(body);
		});
		expect(seen).toBe(name);
	});
});

describe('datapress4Fields', () => {
	const { datapress4Fields } = require('../../nodes/LondonDatastore/helpers/fields');

	test('legacy field names go where DataPress 4 keeps them, merged into what the dataset has', () => {
		const current = {
			title: 'T',
			contact: { title: 'Old team', email: 'old@example.org' },
			custom: { geo: 'Borough' },
			licence: null,
		};
		expect(
			datapress4Fields(current, {
				title: 'New',
				maintainer: 'Data team',
				update_frequency: 'Monthly',
				licence: 'OGL v3',
			}),
		).toEqual({
			title: 'New',
			contact: { title: 'Data team', email: 'old@example.org' },
			custom: { geo: 'Borough', update_frequency: 'Monthly' },
			licence: { title: 'OGL v3', url: '' },
		});
	});

	test('a new contact gets both members, as DataPress 4 requires', () => {
		expect(datapress4Fields({ contact: null }, { maintainer: 'E2E team' })).toEqual({
			contact: { title: 'E2E team', email: '' },
		});
		expect(datapress4Fields({}, { maintainer_email: 'a@example.org' })).toEqual({
			contact: { email: 'a@example.org', title: '' },
		});
	});

	test('objects given whole pass unchanged', () => {
		expect(datapress4Fields({}, { contact: { title: 'X', email: 'x@example.org' } })).toEqual({
			contact: { title: 'X', email: 'x@example.org' },
		});
	});
});
