/**
 * The fault suite: both nodes and the trigger, built from source and run in real n8n-core contexts,
 * against a misbehaving server over real HTTP (test/harness/faultServer.js). Each test is a finding of
 * the hardening review: a server that trickles or hangs, redirects to another origin, answers HTML, cut-off
 * or empty bodies, drops a write after receiving it; and inputs that must fail before any request. A
 * second server stands for another origin and records what reached it. At the end, neither key appears
 * in anything the nodes produced.
 *
 * Timings are kept short with the Timeout option; the tests assert behaviour (what failed, what the
 * servers saw), never elapsed time.
 */
'use strict';

const { runNode, runPoll, serializeError, testCredential } = require('../harness/n8n');
const {
	startFaultServer,
	json,
	html,
	trickle,
	hang,
	drop,
	redirect,
} = require('../harness/faultServer');
const { LondonDatastore } = require('../../nodes/LondonDatastore/LondonDatastore.node.ts');
const { LondonDatastoreApi } = require('../../credentials/LondonDatastoreApi.credentials.ts');
const { UkPlanning } = require('../../nodes/UkPlanning/UkPlanning.node.ts');
const { UkPlanningTrigger } = require('../../nodes/UkPlanningTrigger/UkPlanningTrigger.node.ts');

const DATAPRESS_KEY = 'fault-suite-DATAPRESS-key-9Qz';
const PLANNING_KEY = 'fault-suite-PLANNING-key-4Xw';
const DATASET = {
	id: 'ds1',
	title: 'A dataset',
	updatedAt: '2026-01-01T00:00:00.000Z',
	resources: {},
};

let server;
let otherOrigin;
/** Every error and output produced, searched for both keys at the end. */
const produced = [];

beforeAll(async () => {
	server = await startFaultServer();
	otherOrigin = await startFaultServer();
});

afterAll(async () => {
	await server?.close();
	await otherOrigin?.close();
});

beforeEach(() => {
	server.clear();
	otherOrigin.clear();
});

function record(result) {
	produced.push(result.error ? serializeError(result.error) : JSON.stringify(result.output));
	if (result.context?.hints) produced.push(JSON.stringify(result.context.hints));
	return result;
}

async function datastore(parameters, { key = DATAPRESS_KEY, items, timeout } = {}) {
	const withTimeout = timeout ? { ...parameters, requestOptions: { timeout } } : parameters;
	return record(
		await runNode(LondonDatastore, {
			parameters: withTimeout,
			// The generation is named: asking the site for it would be one more request to the fault server.
			credentials: {
				londonDatastoreApi: { apiKey: key, baseUrl: server.url, apiVersion: 'legacy' },
			},
			items,
		}),
	);
}

async function planning(parameters, { timeout } = {}) {
	const withTimeout = timeout ? { ...parameters, requestOptions: { timeout } } : parameters;
	return record(
		// Version 1's parameters (top-level filters, Fail Without Spending by default), as saved workflows hold them.
		await runNode(UkPlanning, {
			typeVersion: 1,
			parameters: withTimeout,
			credentials: { ukPlanningApi: { apiKey: PLANNING_KEY, baseUrl: `${server.url}/v1` } },
		}),
	);
}

const getDataset = (datasetId = 'ds1') => ({
	resource: 'dataset',
	operation: 'get',
	datasetId,
	simplify: false,
});
const DOWNLOAD_PATH = '/download/ds1/r1/big.bin';
/** A dataset with one file, whose download address is on the fault server. */
const datasetWithFile = () => ({
	...DATASET,
	resources: { r1: { title: 'big.bin', url: `${server.url}${DOWNLOAD_PATH}` } },
});
const download = () => ({
	resource: 'file',
	operation: 'download',
	datasetId: 'ds1',
	resourceId: 'r1',
});
/** The dataset read answered; the download answered by `answer`. */
function downloadAnswers(answer) {
	server.answerWith((request, response) =>
		request.url.startsWith('/download/')
			? answer(request, response)
			: json(response, 200, datasetWithFile()),
	);
}
const count = (extra = {}) => ({
	resource: 'application',
	operation: 'search',
	mode: 'count',
	...extra,
});
const envelope = (response, request = {}) => ({
	request: { datetime: '2026-11-20 12:00:00', key: PLANNING_KEY, ...request },
	response: { api_version: '1.0', status: 'OK', ...response },
});

/** Answers /v1/lpas with one authority (searches check their ids against it) and everything else with `answer`. */
function planningAnswers(answer) {
	server.answerWith((request, response) => {
		if (request.url.startsWith('/v1/lpas'))
			return json(
				response,
				200,
				envelope({ data: [{ id: '1', name: 'bromsgrove', application_count: '10' }] }),
			);
		return answer(request, response);
	});
}

/**
 * The free count answers `count` applications (2 unless given); the paid search is answered by
 * `paidAnswer`.
 */
function paidSearchAnswers(paidAnswer, { count = 2, remaining = 50 } = {}) {
	planningAnswers((request, response) =>
		/return_data=0/.test(request.url)
			? json(
					response,
					200,
					envelope({ application_count: count, credits: { consumed: 0, remaining } }),
				)
			: paidAnswer(request, response),
	);
}
const paidSearch = { resource: 'application', operation: 'search', lpaIds: ['1'] };
const paidRequestsSeen = () => server.requests.filter((entry) => /return_data=1/.test(entry.url));

/** The server closes its side when the client aborts; wait for that event rather than for a time. */
async function closedByClient(entry) {
	for (let tries = 0; tries < 50 && !entry.closedEarly; tries++)
		await new Promise((resolve) => setImmediate(resolve));
	return entry.closedEarly;
}

describe('no call hangs: one wall-clock deadline, across the whole body', () => {
	test('a body trickled a byte at a time is cut off at the Timeout (it was never timed out)', async () => {
		server.answerWith((_request, response) => trickle(response, 200));
		const { error } = await datastore(getDataset(), { timeout: 1000 });
		expect(error.message).toBe('DataPress did not answer in time');
		expect(error.description).toMatch(/GET \/api\/dataset\/ds1 had no complete answer within 1 s/);
		// One attempt: a retry could not begin before the deadline.
		expect(server.requests).toHaveLength(1);
		expect(await closedByClient(server.requests[0])).toBe(true);
	});

	test('a server that never answers holds neither node past its Timeout', async () => {
		server.answerWith(hang);
		const dataset = await datastore(getDataset(), { timeout: 1000 });
		expect(dataset.error.message).toBe('DataPress did not answer in time');
		const counted = await planning(count(), { timeout: 1000 });
		expect(counted.error.message).toBe('The Planning API did not answer in time');
		expect(server.requests).toHaveLength(2);
	});

	test('the trigger: a trickling free count fails the poll at its budget and moves no state', async () => {
		server.answerWith((_request, response) => trickle(response, 200));
		const staticData = { state: { untouched: true } };
		const result = await runPoll(UkPlanningTrigger, {
			typeVersion: 1,
			parameters: { lpaIds: ['1'], triggerOptions: { timeout: 1000 } },
			credentials: { ukPlanningApi: { apiKey: PLANNING_KEY, baseUrl: `${server.url}/v1` } },
			staticData,
			pollBudgetMs: 3000,
		});
		record(result);
		expect(result.error.message).toBe('The Planning API did not answer in time');
		expect(result.staticData).toEqual({ state: { untouched: true } });
		// Slow attempts of a free call are retried, but none begins past the 3 s budget.
		expect(server.requests.length).toBeGreaterThanOrEqual(1);
		expect(server.requests.length).toBeLessThanOrEqual(3);
	});
});

describe('downloads: streamed, yet under the same one deadline', () => {
	test('a download trickled a byte at a time is cut off at the Timeout plus the allowance for its declared size', async () => {
		downloadAnswers((_request, response) => {
			// 1000 bytes declared: one more second than the Timeout, as an upload of that size gets.
			response.writeHead(200, {
				'Content-Type': 'application/octet-stream',
				'Content-Length': 1000,
			});
			response.write('x');
			const timer = setInterval(() => {
				if (response.destroyed || response.writableEnded) return clearInterval(timer);
				response.write('x');
			}, 200);
			response.on('close', () => clearInterval(timer));
		});
		const { error } = await datastore(download(), { timeout: 1000 });
		expect(error.message).toBe('DataPress did not answer in time');
		expect(error.description).toMatch(
			new RegExp(`GET ${DOWNLOAD_PATH} had no complete answer within 2 s`),
		);
		const downloads = server.requests.filter((entry) => entry.path === DOWNLOAD_PATH);
		expect(downloads).toHaveLength(1);
		expect(downloads[0].headers.authorization).toBe(DATAPRESS_KEY);
		expect(await closedByClient(downloads[0])).toBe(true);
	});

	test('a download whose connection drops mid-body fails the item, worded and scrubbed', async () => {
		downloadAnswers((request, response) => {
			response.writeHead(200, {
				'Content-Type': 'application/octet-stream',
				'Content-Length': 100_000,
			});
			response.write(Buffer.alloc(10_000));
			setImmediate(() => request.socket.destroy());
		});
		const { error } = await datastore(download());
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(
			/^DataPress (could not be reached: the connection was dropped|answered GET \/download\/ds1\/r1\/big\.bin with a download cut off before its end)$/,
		);
	});

	test('a download redirected to another host is not followed, and nothing reaches that host', async () => {
		downloadAnswers((_request, response) =>
			redirect(response, 302, `${otherOrigin.url}/bucket/big.bin?X-Amz-Signature=abc`),
		);
		const { error } = await datastore(download());
		expect(error.message).toBe(
			`DataPress redirected GET ${DOWNLOAD_PATH} to another host (${otherOrigin.url}): not followed`,
		);
		expect(otherOrigin.requests).toEqual([]);
	});

	test('a file whose address is on another host is refused before any request to it', async () => {
		server.answerWith((_request, response) =>
			json(response, 200, {
				...DATASET,
				resources: { r1: { title: 'x', url: `${otherOrigin.url}/x.csv` } },
			}),
		);
		const { error } = await datastore(download());
		expect(error.message).toBe(
			`File "r1" of dataset "ds1" cannot be downloaded: it links to another site (${otherOrigin.url}), not a file the site holds; the API key is not sent there`,
		);
		expect(otherOrigin.requests).toEqual([]);
	});
});

describe('redirects never carry a key to another origin', () => {
	test('DataPress: a 302 to another host is not followed, and nothing reaches that host', async () => {
		server.answerWith((_request, response) =>
			redirect(response, 302, `${otherOrigin.url}/collect`),
		);
		const { error } = await datastore(getDataset());
		expect(error.message).toBe(
			`DataPress redirected GET /api/dataset/ds1 to another host (${otherOrigin.url}): not followed`,
		);
		expect(error.description).toMatch(/Base URL/);
		expect(otherOrigin.requests).toEqual([]);
		expect(server.requests).toHaveLength(1);
	});

	test('the Planning API: the same, with the key in the query string', async () => {
		server.answerWith((_request, response) =>
			redirect(response, 307, `${otherOrigin.url}/v1/search?key=${PLANNING_KEY}`),
		);
		const { error } = await planning(count());
		expect(error.message).toMatch(/redirected GET \/v1\/search to another host/);
		expect(otherOrigin.requests).toEqual([]);
	});

	test('a redirect within the origin is followed, with the credential', async () => {
		server.answerWith((request, response) => {
			if (request.url === '/api/dataset/old-name')
				return redirect(response, 301, '/api/dataset/ds1');
			return json(response, 200, DATASET);
		});
		const { output, error } = await datastore(getDataset('old-name'));
		expect(error).toBeUndefined();
		expect(output[0][0].json).toEqual(DATASET);
		expect(server.requests.map((entry) => [entry.path, entry.headers.authorization])).toEqual([
			['/api/dataset/old-name', DATAPRESS_KEY],
			['/api/dataset/ds1', DATAPRESS_KEY],
		]);
	});
});

describe('answers are checked before use', () => {
	const MAINTENANCE =
		'<html><head><title>Down for maintenance</title></head><body>Back soon</body></html>';

	test('Dataset Get: an HTML page with 200 fails the item (it was output as json)', async () => {
		server.answerWith((_request, response) => html(response, 200, MAINTENANCE));
		const { error } = await datastore(getDataset());
		expect(error.message).toBe(
			'DataPress answered GET /api/dataset/ds1 with an HTML page ("Down for maintenance")',
		);
		expect(error.description).toMatch(/Base URL of the credential may point at a website/);
		expect(server.requests).toHaveLength(1);
	});

	test('Team Get Many: a JSON string fails the item (it gave one item per character)', async () => {
		server.answerWith((_request, response) => json(response, 200, '"teams"'));
		const { error, output } = await datastore({
			resource: 'team',
			operation: 'getAll',
			returnAll: true,
		});
		expect(output).toBeUndefined();
		expect(error.message).toBe(
			'DataPress answered GET /api/orgs with a JSON string that is not a list of teams',
		);
	});

	test('Set Fields over an HTML read fails clearly (it crashed with a TypeError) and patches nothing', async () => {
		server.answerWith((_request, response) => html(response, 200, MAINTENANCE));
		const { error } = await datastore({
			resource: 'dataset',
			operation: 'update',
			datasetId: 'ds1',
			updateMode: 'setFields',
			fields: { title: 'New title' },
		});
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/with an HTML page/);
		expect(server.requests.map((entry) => entry.method)).toEqual(['GET']);
	});

	test('Upload after an HTML answer to its dataset read sends no file (it posted it)', async () => {
		server.answerWith((_request, response) => html(response, 200, MAINTENANCE));
		const item = {
			json: {},
			binary: {
				data: {
					data: Buffer.from('a,b\n1,2\n').toString('base64'),
					mimeType: 'text/csv',
					fileName: 'x.csv',
				},
			},
		};
		const { error } = await datastore(
			{ resource: 'file', operation: 'upload', datasetId: 'ds1', binaryPropertyName: 'data' },
			{ items: [item] },
		);
		expect(error.message).toMatch(/with an HTML page/);
		expect(server.requests.map((entry) => entry.method)).toEqual(['GET']);
	});

	test('a cut-off JSON body of a read is retried, then fails naming what came back', async () => {
		server.answerWith((_request, response) => json(response, 200, '{"id": "ds1", "title": "A dat'));
		const { error } = await datastore(getDataset(), { timeout: 60000 });
		expect(error.message).toBe(
			'DataPress answered GET /api/dataset/ds1 with incomplete JSON (29 characters, cut off)',
		);
		expect(error.description).toMatch(/\(4 attempts\)/);
		expect(server.requests).toHaveLength(4);
	});

	test('an empty 200 body fails the item', async () => {
		server.answerWith((_request, response) => json(response, 200, ''));
		const { error } = await datastore(getDataset());
		expect(error.message).toBe('DataPress answered GET /api/dataset/ds1 with an empty body');
		expect(server.requests).toHaveLength(1);
	});

	test('the Planning API: a 200 that is not an envelope fails (it read as a made-up status ERROR)', async () => {
		server.answerWith((_request, response) => json(response, 200, { ok: true }));
		const { error } = await planning(count());
		expect(error.message).toBe(
			'The Planning API answered GET /v1/search with a JSON object without the Planning API\'s "response" part',
		);
	});
});

/** Headers and the start of a JSON body, then the connection closes: a body cut off in transfer. */
function cutOff(request, response, body) {
	const text = JSON.stringify(body);
	response.writeHead(200, {
		'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(text),
	});
	response.write(text.slice(0, Math.floor(text.length / 2)));
	setImmediate(() => request.socket.destroy());
}

describe('a body cut off in transfer', () => {
	test('a read cut off once is retried like a dropped connection, and succeeds', async () => {
		let calls = 0;
		server.answerWith((request, response) => {
			calls += 1;
			if (calls === 1) return cutOff(request, response, DATASET);
			return json(response, 200, DATASET);
		});
		const { error, output } = await datastore(getDataset(), { timeout: 60000 });
		expect(error).toBeUndefined();
		expect(output[0][0].json).toEqual(DATASET);
		expect(server.requests.map((entry) => entry.path)).toEqual([
			'/api/dataset/ds1',
			'/api/dataset/ds1',
		]);
	});

	test('a read cut off every time fails after the retries, saying so (it read "could not be made")', async () => {
		server.answerWith((request, response) => cutOff(request, response, DATASET));
		const { error } = await datastore(getDataset(), { timeout: 60000 });
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toBe(
			'DataPress answered GET /api/dataset/ds1 with an answer cut off before its end',
		);
		expect(error.description).toMatch(/\(4 attempts\)/);
		expect(error.description).not.toMatch(/Base URL/);
		expect(server.requests).toHaveLength(4);
	});

	test('a PATCH whose answer is cut off is not repeated and may have been applied', async () => {
		server.answerWith((request, response) => cutOff(request, response, { ...DATASET, title: 'T' }));
		const { error } = await datastore({
			resource: 'dataset',
			operation: 'update',
			datasetId: 'ds1',
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: '[{"op": "replace", "path": "/title", "value": "T"}]',
		});
		expect(error.message).toBe(
			'DataPress answered PATCH /api/dataset/ds1 with an answer cut off before its end',
		);
		expect(error.description).toMatch(/may have been applied although its answer was lost/);
		expect(server.requests.filter((entry) => entry.method === 'PATCH')).toHaveLength(1);
	});

	test('a paid search whose connection closes mid-body (a transfer cut off, not bad JSON) is not repeated, and says credits may have been charged', async () => {
		paidSearchAnswers((request, response) =>
			cutOff(
				request,
				response,
				envelope({ application_count: 2, data: [{ keyval: 'A1' }, { keyval: 'A2' }] }),
			),
		);
		const { error } = await planning(paidSearch);
		expect(error.message).toMatch(
			/^The Planning API answered GET \/v1\/search with an answer cut off/,
		);
		expect(error.description).toMatch(/credits may have been charged; check Account → Get Credits/);
		expect(paidRequestsSeen()).toHaveLength(1);
	});
});

describe('conditional requests in the HTTP core', () => {
	const { httpCall } = require('../../nodes/shared/http/request.ts');
	const { DATAPRESS } = require('../../nodes/LondonDatastore/transport/index.ts');
	/** A node whose one call is a GET of a dataset through the HTTP core, with these validators. */
	const probe = (conditional) => ({
		description: {
			displayName: 'Conditional probe',
			name: 'conditionalProbe',
			group: ['transform'],
			version: 1,
			defaults: { name: 'Conditional probe' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'londonDatastoreApi', required: true }],
			properties: [],
		},
		async execute() {
			const answer = await httpCall(this, DATAPRESS, {
				method: 'GET',
				path: '/api/dataset/ds1',
				conditional,
				retry: 'safe',
				expect: 'json',
				redirects: 'sameOrigin',
				scope: { dataset: 'ds1' },
			});
			return [[{ json: { status: answer.status, body: answer.body ?? null } }]];
		},
	});
	const run = async (conditional) =>
		record(
			await runNode(probe(conditional), {
				credentials: {
					londonDatastoreApi: { apiKey: DATAPRESS_KEY, baseUrl: server.url, apiVersion: 'legacy' },
				},
			}),
		);
	/** A server that answers 304 to a matching If-None-Match or to any If-Modified-Since. */
	const validating = (request, response) => {
		if (request.headers['if-none-match'] === '"v1"' || request.headers['if-modified-since']) {
			response.writeHead(304, { ETag: '"v1"' });
			return response.end();
		}
		return json(response, 200, DATASET, { ETag: '"v1"' });
	};

	test('an ETag is sent as If-None-Match, and the 304 is an answer: not an error, not retried', async () => {
		server.answerWith(validating);
		const { error, output } = await run({ etag: '"v1"' });
		expect(error).toBeUndefined();
		expect(output[0][0].json).toEqual({ status: 304, body: null });
		expect(server.requests).toHaveLength(1);
		expect(server.requests[0].headers['if-none-match']).toBe('"v1"');
		expect(server.requests[0].headers['if-modified-since']).toBeUndefined();
	});

	test('a Last-Modified alone is sent as If-Modified-Since', async () => {
		server.answerWith(validating);
		const lastModified = 'Mon, 07 Dec 2026 10:00:00 GMT';
		const { output } = await run({ lastModified });
		expect(output[0][0].json.status).toBe(304);
		expect(server.requests[0].headers['if-modified-since']).toBe(lastModified);
		expect(server.requests[0].headers['if-none-match']).toBeUndefined();
	});

	test('a validator that no longer matches gets the whole answer', async () => {
		server.answerWith(validating);
		const { output } = await run({ etag: '"v0"' });
		expect(output[0][0].json).toEqual({ status: 200, body: DATASET });
	});

	test('without validators nothing conditional is sent, and a 304 stays a failure, as before', async () => {
		server.answerWith((request, response) => {
			response.writeHead(304);
			response.end();
		});
		const { error } = await run(undefined);
		expect(error.message).toMatch(/^DataPress redirected GET \/api\/dataset\/ds1/);
		expect(server.requests).toHaveLength(1);
		expect(server.requests[0].headers['if-none-match']).toBeUndefined();
		expect(server.requests[0].headers['if-modified-since']).toBeUndefined();
	});
});

describe('writes that may have happened say so, and are not repeated', () => {
	const patch = {
		resource: 'dataset',
		operation: 'update',
		datasetId: 'ds1',
		updateMode: 'jsonPatch',
		patchInput: 'json',
		patchJson: '[{"op": "replace", "path": "/title", "value": "T"}]',
	};

	test('a PATCH whose connection drops after sending: one request, "may have been applied"', async () => {
		server.answerWith((request) => drop(request));
		const { error } = await datastore(patch);
		expect(error.message).toBe('DataPress could not be reached: the connection was dropped');
		expect(error.description).toMatch(
			/may have been applied although its answer was lost: read the dataset \(Dataset → Get\)/,
		);
		expect(error.description).not.toMatch(/Check the Base URL.*only/);
		expect(server.requests.filter((entry) => entry.method === 'PATCH')).toHaveLength(1);
	});

	test('a PATCH answered 500 is not repeated and may have been applied', async () => {
		server.answerWith((_request, response) => json(response, 500, { error: 'internal' }));
		const { error } = await datastore(patch);
		expect(error.message).toBe('DataPress failed with HTTP 500: internal');
		expect(error.description).toMatch(/may have been applied/);
		expect(server.requests).toHaveLength(1);
	});

	test('a PATCH answered 429 ran nothing, so it is repeated after Retry-After', async () => {
		let calls = 0;
		server.answerWith((_request, response) => {
			calls += 1;
			if (calls === 1) return json(response, 429, { error: 'slow down' }, { 'Retry-After': '1' });
			return json(response, 200, { ...DATASET, title: 'T' });
		});
		const { error, output } = await datastore(patch);
		expect(error).toBeUndefined();
		expect(output[0][0].json.dataset.title).toBe('T');
		expect(server.requests.map((entry) => entry.method)).toEqual(['PATCH', 'PATCH']);
	});

	test('Generate Key answered 503 is not repeated (it could create a second key)', async () => {
		server.answerWith((_request, response) => html(response, 503, '<h1>Service Unavailable</h1>'));
		const { error } = await planning({
			resource: 'account',
			operation: 'generateKey',
			email: 'someone@example.com',
		});
		expect(error.httpCode).toBe('503');
		expect(error.description).toMatch(/a key may have been created for someone@example.com/);
		expect(server.requests).toHaveLength(1);
		expect(server.requests[0].url).not.toMatch(/key=/);
	});

	test.each([
		['500, JSON', (response) => json(response, 500, { error: 'internal' }), '500'],
		['502, a gateway page', (response) => html(response, 502, '<h1>Bad Gateway</h1>'), '502'],
		['503 without Retry-After', (response) => html(response, 503, '<h1>Unavailable</h1>'), '503'],
		['504, a gateway page', (response) => html(response, 504, '<h1>Gateway Timeout</h1>'), '504'],
		['507, any other 5xx', (response) => json(response, 507, { error: 'storage' }), '507'],
	])(
		'a paid search answered %s may have run: one request, and the error says credits may have been charged',
		async (_name, answer, httpCode) => {
			paidSearchAnswers((_request, response) => answer(response));
			const { error } = await planning(paidSearch);
			expect(error.httpCode).toBe(httpCode);
			expect(error.message).toBe(
				`The Planning API had a server error (HTTP ${httpCode}): credits may have been charged; check Account → Get Credits`,
			);
			expect(error.description).toMatch(/It was not sent again/);
			expect(error.description).toMatch(
				/credits may have been charged; check Account → Get Credits before running it again/,
			);
			expect(error.description).not.toMatch(/nothing was charged/);
			expect(paidRequestsSeen()).toHaveLength(1);
		},
	);

	test.each([
		['429', (response) => json(response, 429, { error: 'slow down' }, { 'Retry-After': '1' })],
		[
			'503 carrying Retry-After',
			(response) => json(response, 503, { error: 'busy' }, { 'Retry-After': '1' }),
		],
	])('a paid search answered %s did not run: sent again after the wait', async (_name, refuse) => {
		let paidCalls = 0;
		paidSearchAnswers((_request, response) => {
			paidCalls += 1;
			if (paidCalls === 1) return refuse(response);
			return json(
				response,
				200,
				envelope({
					application_count: 2,
					credits: { consumed: 2, remaining: 48 },
					data: [
						{ keyval: 'A1', lpa_id: 1, validated: '2026-01-01' },
						{ keyval: 'A2', lpa_id: 1, validated: '2026-01-01' },
					],
				}),
			);
		});
		const { error, output } = await planning(paidSearch);
		expect(error).toBeUndefined();
		expect(output[0]).toHaveLength(2);
		expect(paidRequestsSeen()).toHaveLength(2);
	});

	test('a paid search whose complete answer is truncated JSON says credits may have been charged, and is not repeated', async () => {
		paidSearchAnswers((_request, response) =>
			json(response, 200, '{"request": {}, "response": {"status": "OK", "data": [{"keyval": "A1"'),
		);
		const { error } = await planning(paidSearch);
		expect(error.message).toMatch(
			/^The Planning API answered GET \/v1\/search with incomplete JSON/,
		);
		expect(error.description).toMatch(/credits may have been charged; check Account → Get Credits/);
		expect(paidRequestsSeen()).toHaveLength(1);
	});
});

describe('output data is exactly what the API returned', () => {
	test('an application whose text holds "?key=" is not rewritten; the request echo holds no key', async () => {
		const application = {
			keyval: 'A1',
			lpa_id: '1',
			title: 'See https://example.com/doc?key=ABC123',
			address: '1 High St',
			validated: '2026-11-19',
		};
		paidSearchAnswers(
			(_request, response) =>
				json(
					response,
					200,
					envelope({
						application_count: 1,
						credits: { consumed: 1, remaining: 49 },
						data: [application],
					}),
				),
			{ count: 1 },
		);
		const { error, output } = await planning({
			resource: 'application',
			operation: 'search',
			lpaIds: ['1'],
			output: 'summary',
		});
		expect(error).toBeUndefined();
		expect(output[0][0].json.applications[0].title).toBe('See https://example.com/doc?key=ABC123');
		expect(JSON.stringify(output)).not.toContain(PLANNING_KEY);
	});
});

describe('validated before any request', () => {
	test.each([
		['an empty Dataset', '', /Invalid "Dataset": it is empty/],
		['a Dataset of dots', '..', /Invalid "Dataset": "\.\." is not an id/],
		['a single dot', '.', /Invalid "Dataset"/],
	])(
		'%s fails locally (it sent GET /api/dataset/ or PATCH /api/)',
		async (_name, datasetId, message) => {
			const read = await datastore(getDataset(datasetId));
			expect(read.error.message).toMatch(message);
			const write = await datastore({
				resource: 'dataset',
				operation: 'update',
				datasetId,
				updateMode: 'jsonPatch',
				patchInput: 'json',
				patchJson: '[{"op": "remove", "path": "/x"}]',
			});
			expect(write.error.message).toMatch(message);
			expect(server.requests).toEqual([]);
		},
	);

	test('an empty DataPress key says the key is missing (not "no editor rights")', async () => {
		const { error } = await datastore(getDataset(), { key: '' });
		expect(error.message).toBe('The London Datastore API credential has no API key');
		expect(server.requests).toEqual([]);
	});

	test.each([[0], [-1], ['many'], [2.5]])(
		'Max Credits %p fails before the free count',
		async (maxCredits) => {
			const { error } = await planning({
				resource: 'application',
				operation: 'search',
				lpaIds: ['1'],
				maxCredits,
			});
			expect(error.message).toMatch(/^Invalid "Max Credits": must be a whole number of at least 1/);
			expect(server.requests).toEqual([]);
		},
	);

	test.each([[-1], [0], ['NaN']])(
		'Limit %p of Authority and Team Get Many fails (it gave 0 or all but one)',
		async (limit) => {
			const authorities = await planning({
				resource: 'authority',
				operation: 'getAll',
				returnAll: false,
				limit,
			});
			expect(authorities.error.message).toMatch(/^Invalid "Limit"/);
			const teams = await datastore({
				resource: 'team',
				operation: 'getAll',
				returnAll: false,
				limit,
			});
			expect(teams.error.message).toMatch(/^Invalid "Limit"/);
			expect(server.requests).toEqual([]);
		},
	);

	test('a Timeout under a second fails the item', async () => {
		const { error } = await datastore(getDataset(), { timeout: 10 });
		expect(error.message).toMatch(/^Invalid option "Timeout"/);
		expect(server.requests).toEqual([]);
	});

	test('the trigger refuses a negative Max Credits per Poll (it was clamped to 1)', async () => {
		const result = record(
			await runPoll(UkPlanningTrigger, {
				typeVersion: 1,
				parameters: { lpaIds: ['1'], triggerOptions: { maxCreditsPerPoll: -5 } },
				credentials: { ukPlanningApi: { apiKey: PLANNING_KEY, baseUrl: `${server.url}/v1` } },
				staticData: {},
			}),
		);
		expect(result.error.message).toMatch(
			/^Invalid option "Max Credits per Poll": must be a whole number of at least 1 \(got -5\)/,
		);
		expect(server.requests).toEqual([]);
	});

	test('{{ new Date(...) }} in a date filter is taken as that day (it was refused)', async () => {
		server.answerWith((_request, response) =>
			json(
				response,
				200,
				envelope({ application_count: 0, credits: { consumed: 0, remaining: 5 } }),
			),
		);
		const { error } = await planning(
			count({ dateFrom: '={{ new Date("2026-11-20T15:04:05Z") }}' }),
		);
		expect(error).toBeUndefined();
		expect(new URL(server.requests[0].url, server.url).searchParams.get('date_from')).toBe(
			'2026-11-20',
		);
	});
});

describe('credit caps are caps', () => {
	const app = (index) => ({
		keyval: `K${index}`,
		lpa_id: '1',
		title: `Application ${index}`,
		validated: '2026-11-19',
	});

	test('a narrowed part that grew after it was planned is counted again and not paid for', async () => {
		// 10 match, the cap is 4: the planner finds 3 validated on the server's day (2026-11-20) and 7 the day
		// before (too many for the one credit left). The server's day has 5 by the time it is paid for.
		const countsOf = new Map();
		planningAnswers((request, response) => {
			const url = new URL(request.url, server.url);
			const from = url.searchParams.get('date_from');
			if (url.searchParams.get('return_data') === '0') {
				const seen = (countsOf.get(from) ?? 0) + 1;
				countsOf.set(from, seen);
				const counts = { null: 10, '2026-11-20': seen === 1 ? 3 : 5, '2026-11-19': 10 };
				return json(
					response,
					200,
					envelope({ application_count: counts[from], credits: { consumed: 0, remaining: 500 } }),
				);
			}
			return json(response, 500, { error: 'no paid request was expected' });
		});
		const result = await planning({
			resource: 'application',
			operation: 'search',
			lpaIds: ['1'],
			maxCredits: 4,
			overCap: 'newestFirst',
			output: 'summary',
		});
		expect(result.error).toBeUndefined();
		const summary = result.output[0][0].json;
		expect(summary).toMatchObject({ count: 10, fetched: 0, creditsSpent: 0, narrowed: true });
		expect(summary.coverage).toMatchObject({
			fullyCoveredFrom: '2026-11-20',
			partsSkippedAfterRecount: 1,
		});
		expect(countsOf.get('2026-11-20')).toBe(2);
		expect(server.requests.filter((entry) => /return_data=1/.test(entry.url))).toEqual([]);
	});

	test('spending past Max Credits (published within the last instant) is reported loudly, never silently', async () => {
		paidSearchAnswers(
			(_request, response) =>
				json(
					response,
					200,
					envelope({
						application_count: 5,
						credits: { consumed: 5, remaining: 495 },
						data: [1, 2, 3, 4, 5].map(app),
					}),
				),
			{ count: 3, remaining: 500 },
		);
		const result = await planning({
			resource: 'application',
			operation: 'search',
			lpaIds: ['1'],
			maxCredits: 4,
			output: 'summary',
		});
		expect(result.error).toBeUndefined();
		const summary = result.output[0][0].json;
		expect(summary.creditsSpent).toBe(5);
		expect(summary.warning).toMatch(/spent 5 credits, more than Max Credits \(4\)/);
		expect(result.context.hints).toEqual([
			expect.objectContaining({ type: 'warning', message: summary.warning }),
		]);
		// A whole search is paid for straight after its only count: a recount would shorten no window.
		const searches = server.requests.filter((entry) => entry.url.startsWith('/v1/search'));
		expect(
			searches.map((entry) => new URL(entry.url, server.url).searchParams.get('return_data')),
		).toEqual(['0', '1']);
	});
});

describe('smaller findings', () => {
	test('a 431 says the text was too long', async () => {
		server.answerWith((_request, response) => json(response, 431, ''));
		const { error } = await planning(count({ keyword: 'x'.repeat(50) }));
		expect(error.message).toBe('The Planning API refused the request as too long (HTTP 431)');
		expect(error.description).toMatch(/shorten the Keyword filter/);
	});

	test('"after retrying" only when a retry happened', async () => {
		server.answerWith((_request, response) => json(response, 404, { error: 'Dataset not found' }));
		const { error } = await datastore(getDataset());
		expect(error.description).not.toMatch(/attempt|retr/i);
		expect(server.requests).toHaveLength(1);
	});
});

describe('the London Datastore credential test', () => {
	async function credentialTest() {
		const result = await testCredential(LondonDatastoreApi, {
			apiKey: DATAPRESS_KEY,
			baseUrl: server.url,
		});
		produced.push(JSON.stringify(result));
		return result;
	}

	test('a 302 to another host is not followed: the key never reaches it', async () => {
		server.answerWith((_request, response) =>
			redirect(response, 302, `${otherOrigin.url}/collect`),
		);
		const result = await credentialTest();
		expect(result).toEqual({
			status: 'Error',
			message: `The site answered GET /api/v3/whoami with a redirect (302 to ${otherOrigin.url}/collect). Set the Base URL to the address the site redirects to; the key is not sent on to another address.`,
		});
		expect(otherOrigin.requests).toEqual([]);
	});

	test('an HTML page with 200 is not taken for a user', async () => {
		server.answerWith((_request, response) => html(response, 200, '<h1>Welcome</h1>'));
		const result = await credentialTest();
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(
			/^The site answered GET \/api\/v3\/whoami with something that is not JSON/,
		);
	});

	test('a 500 names the status; a dropped connection says the site could not be reached', async () => {
		server.answerWith((_request, response) => json(response, 500, { error: 'internal' }));
		expect((await credentialTest()).message).toMatch(
			/^The site answered GET \/api\/v3\/whoami with 500\./,
		);
		server.answerWith((request) => drop(request));
		expect((await credentialTest()).message).toMatch(/^Could not reach http:\/\/127\.0\.0\.1:\d+/);
	});
});

test('neither key appears in anything the nodes produced', () => {
	expect(produced.length).toBeGreaterThan(30);
	for (const text of produced) {
		expect(text).not.toContain(DATAPRESS_KEY);
		expect(text).not.toContain(PLANNING_KEY);
	}
});
