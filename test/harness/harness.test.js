/**
 * The harness is what every node test stands on, so it is tested itself: a tiny node run through it must see
 * n8n's real behaviour (credential authentication applied to the wire, parameter defaults, binary streams,
 * static data carried between polls, a credential tested through the node's `testedBy` function).
 */
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');

const {
	runNode,
	runPoll,
	testCredential,
	binaryItem,
	inlineBinaryItem,
	serializeError,
} = require('./n8n');
const { LondonDatastoreApi } = require('../../credentials/LondonDatastoreApi.credentials');

let server;
let baseUrl;
const seenRequests = [];

beforeAll(async () => {
	server = http.createServer((request, response) => {
		seenRequests.push({ url: request.url, authorization: request.headers.authorization });
		if (request.url === '/api/v3/whoami') {
			const known = request.headers.authorization === 'good-key';
			response.setHeader('content-type', 'application/json');
			response.end(JSON.stringify(known ? { id: 'u1', title: 'Demo' } : null));
			return;
		}
		response.setHeader('content-type', 'application/json');
		response.end(JSON.stringify({ path: request.url }));
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${server.address().port}`;
});

afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
});

/** A minimal action node: one request with the London Datastore credential, and a binary digest. */
class ProbeNode {
	constructor() {
		this.description = {
			displayName: 'Probe',
			name: 'probe',
			group: ['transform'],
			version: 1,
			defaults: { name: 'Probe' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'londonDatastoreApi', required: true }],
			properties: [
				{ displayName: 'Path', name: 'path', type: 'string', default: '/api/default-path' },
				{ displayName: 'Digest Binary', name: 'digest', type: 'boolean', default: false },
			],
		};
	}

	async execute() {
		const items = this.getInputData();
		const results = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const credentials = await this.getCredentials('londonDatastoreApi');
			const answer = await this.helpers.httpRequestWithAuthentication.call(
				this,
				'londonDatastoreApi',
				{
					method: 'GET',
					url: `${credentials.baseUrl}${this.getNodeParameter('path', itemIndex)}`,
					json: true,
				},
			);
			const json = { answer };
			if (this.getNodeParameter('digest', itemIndex)) {
				const binary = this.helpers.assertBinaryData(itemIndex, 'data');
				const stream = binary.id
					? await this.helpers.getBinaryStream(binary.id)
					: require('node:stream').Readable.from(
							await this.helpers.getBinaryDataBuffer(itemIndex, 'data'),
						);
				const hash = crypto.createHash('md5');
				for await (const chunk of stream) hash.update(chunk);
				json.md5 = hash.digest('hex');
				json.streamedFromStore = Boolean(binary.id);
			}
			results.push({ json, pairedItem: { item: itemIndex } });
		}
		return [results];
	}
}

/** A minimal polling trigger that counts its polls in static data. */
class CountingTrigger {
	constructor() {
		this.description = {
			displayName: 'Counting Trigger',
			name: 'countingTrigger',
			group: ['trigger'],
			version: 1,
			defaults: { name: 'Counting Trigger' },
			polling: true,
			inputs: [],
			outputs: ['main'],
			properties: [],
		};
	}

	async poll() {
		const staticData = this.getWorkflowStaticData('node');
		staticData.polls = (staticData.polls || 0) + 1;
		return [
			[{ json: { polls: staticData.polls, budget: this.getPollBudgetMs(), mode: this.getMode() } }],
		];
	}
}

test('runNode applies the credential authenticate to the wire and the description defaults to parameters', async () => {
	seenRequests.length = 0;
	const { output, error } = await runNode(ProbeNode, {
		credentials: { londonDatastoreApi: { apiKey: 'good-key', baseUrl } },
	});
	expect(error).toBeUndefined();
	expect(output[0][0].json.answer).toEqual({ path: '/api/default-path' });
	expect(seenRequests).toEqual([{ url: '/api/default-path', authorization: 'good-key' }]);
});

test('runNode streams stored binary data and reads inline binary data', async () => {
	const bytes = crypto.randomBytes(300000);
	const expected = crypto.createHash('md5').update(bytes).digest('hex');
	const stored = await binaryItem(bytes, { fileName: 'probe.bin' });
	expect(typeof stored.binary.data.id).toBe('string');
	const { output, error } = await runNode(ProbeNode, {
		parameters: { digest: true },
		credentials: { londonDatastoreApi: { apiKey: 'good-key', baseUrl } },
		items: [stored, inlineBinaryItem(bytes)],
	});
	expect(error).toBeUndefined();
	expect(output[0].map((item) => item.json.md5)).toEqual([expected, expected]);
	expect(output[0].map((item) => item.json.streamedFromStore)).toEqual([true, false]);
});

test('runPoll carries static data between consecutive polls and passes the poll budget', async () => {
	const staticData = {};
	const first = await runPoll(CountingTrigger, { staticData, pollBudgetMs: 1234 });
	const second = await runPoll(CountingTrigger, { staticData });
	expect(first.error).toBeUndefined();
	expect(first.output[0][0].json).toEqual({ polls: 1, budget: 1234, mode: 'trigger' });
	expect(second.output[0][0].json.polls).toBe(2);
	expect(staticData.polls).toBe(2);
});

/** A trigger that notes each poll in static data, then emits nothing or fails, as the parameter says. */
class NotingTrigger extends CountingTrigger {
	async poll() {
		const staticData = this.getWorkflowStaticData('node');
		staticData.polls = (staticData.polls || 0) + 1;
		staticData.seen = { ...staticData.seen, [staticData.polls]: true };
		if (staticData.polls === 2) throw new Error('the second poll fails');
		return null;
	}
}

test('runPoll mutates the very static data object passed in, also when the poll emits nothing or throws', async () => {
	// n8n keeps the workflow, so its static data, in memory between polls whatever they returned; the
	// trigger benchmark relies on this to persist copies only where n8n would.
	const staticData = {};
	const first = await runPoll(NotingTrigger, { staticData });
	const second = await runPoll(NotingTrigger, { staticData });
	const third = await runPoll(NotingTrigger, { staticData });
	expect([first.output, first.error]).toEqual([null, undefined]);
	expect(second.error.message).toContain('the second poll fails');
	expect(third.error).toBeUndefined();
	expect(staticData).toEqual({ polls: 3, seen: { 1: true, 2: true, 3: true } });
});

test("testCredential runs the node's testedBy function when the credential has no declarative test", async () => {
	seenRequests.length = 0;
	const good = await testCredential(LondonDatastoreApi, {
		apiKey: 'good-key',
		baseUrl: `${baseUrl}/`,
	});
	const bad = await testCredential(LondonDatastoreApi, { apiKey: 'wrong-key', baseUrl });
	expect(good).toEqual({
		status: 'OK',
		message: 'Connection successful: a DataPress 4 site that knows this key',
	});
	expect(bad.status).toBe('Error');
	expect(bad.message).toMatch(/does not know this API key/);
	expect(seenRequests).toEqual([
		{ url: '/api/v3/whoami', authorization: 'good-key' },
		{ url: '/api/v3/whoami', authorization: 'wrong-key' },
	]);
});

test('serializeError reaches nested causes and own properties', () => {
	const inner = new Error('inner detail');
	inner.config = { url: 'http://x/?key=secret-123' };
	const outer = new Error('outer', { cause: inner });
	outer.context = { itemIndex: 3 };
	const text = serializeError(outer);
	expect(text).toContain('secret-123');
	expect(text).toContain('itemIndex');
	expect(text).toContain('inner detail');
});

test('multipart frames fields and files in the order given, with the exact content-length', async () => {
	const busboy = require('busboy');
	const { multipart, fieldParts, bufferSource, generatedSource } = require('./multipart');
	const small = crypto.randomBytes(1000);
	const large = generatedSource(3 * 1024 * 1024 + 5);
	const form = multipart([
		...fieldParts({ key: 'a/b.csv', policy: 'p' }),
		{ name: 'file', filename: 'b.csv', source: bufferSource(small), contentType: 'text/csv' },
		{ name: 'raw', filename: 'raw.bin', source: small },
		{ name: 'big', filename: 'big.bin', source: large },
		{ name: 'after', value: 'last' },
	]);
	const chunks = [];
	for await (const chunk of form.body) chunks.push(chunk);
	const body = Buffer.concat(chunks);
	expect(String(body.length)).toBe(form.headers['content-length']);

	const seen = [];
	await new Promise((resolve, reject) => {
		const parser = busboy({ headers: form.headers });
		parser.on('field', (name, value) => seen.push({ name, value }));
		parser.on('file', (name, stream, info) => {
			// Recorded when the part starts, so that the order is the order on the wire.
			const file = { name, filename: info.filename, type: info.mimeType, size: 0 };
			seen.push(file);
			const hash = crypto.createHash('md5');
			stream.on('data', (chunk) => {
				hash.update(chunk);
				file.size += chunk.length;
			});
			stream.on('end', () => (file.md5 = hash.digest('hex')));
		});
		parser.on('close', resolve);
		parser.on('error', reject);
		parser.end(body);
	});
	const md5 = crypto.createHash('md5').update(small).digest('hex');
	expect(seen).toEqual([
		{ name: 'key', value: 'a/b.csv' },
		{ name: 'policy', value: 'p' },
		{ name: 'file', filename: 'b.csv', type: 'text/csv', size: 1000, md5 },
		{ name: 'raw', filename: 'raw.bin', type: 'application/octet-stream', size: 1000, md5 },
		{
			name: 'big',
			filename: 'big.bin',
			type: 'application/octet-stream',
			size: large.size,
			md5: large.md5,
		},
		{ name: 'after', value: 'last' },
	]);
});
