/**
 * London Datastore Trigger in a real n8n-core PollContext (test/harness) against the DataPress sandboxes
 * over real HTTP: first poll silent, every event kind once (changes made through the sandbox's publishing
 * control and through the London Datastore node), scope filters, restarts from static data saved the way
 * n8n saves it (only when a poll emits), faults (5xx, an HTML page, a cut body, a partial export) moving
 * no state, the manual test event moving nothing, Chosen Datasets on DataPress 4 and on a legacy site,
 * and the API key never in what the trigger produces.
 */
'use strict';

const path = require('node:path');
const { request } = require('undici');

const ROOT = path.resolve(__dirname, '../..');
const { startDatastoreSandboxes } = require(path.join(ROOT, 'sandbox/datapress'));
const { runPoll, serializeError, binaryItem } = require(path.join(ROOT, 'test/harness/n8n.js'));
const { datastoreRunner, uploadParameters } = require(
	path.join(ROOT, 'test/harness/datastoreNode.js'),
);
const { LondonDatastoreTrigger } = require(
	path.join(ROOT, 'nodes/LondonDatastoreTrigger/LondonDatastoreTrigger.node.ts'),
);

const KEY = 'demo-editor-key';
const EXPORT = '/api/v3/datasets/export.json';
const RECORDED = 'vd4q4';
const ALL_EVENTS = [
	'newDataset',
	'datasetUpdated',
	'newFile',
	'fileChanged',
	'fileRemoved',
	'datasetRemoved',
];

let v4;
let legacy;
const produced = [];

beforeAll(async () => {
	v4 = await startDatastoreSandboxes({ api: 'v4', port: 0 });
	legacy = await startDatastoreSandboxes({ api: 'legacy', port: 0 });
});

afterAll(async () => {
	// The key never appears in anything the trigger produced: items, errors, state.
	for (const text of produced) expect(text).not.toContain(KEY);
	await Promise.all([v4, legacy].filter(Boolean).map((sandbox) => sandbox.close()));
});

beforeEach(() => {
	for (const sandbox of [v4, legacy]) {
		sandbox.control.reset();
		sandbox.control.clearFaults();
	}
});

const credentials = (sandbox = v4, apiVersion = 'v4') => ({
	londonDatastoreApi: { apiKey: KEY, baseUrl: sandbox.url, apiVersion },
});

/**
 * An active workflow's trigger as n8n runs it: static data kept in memory between polls and saved to the
 * database only when a poll emits (and at activation, after the first poll). `restart()` throws the
 * memory away and goes on from the saved copy.
 */
function activeTrigger(parameters, { sandbox = v4, apiVersion = 'v4' } = {}) {
	let memory = {};
	let saved = {};
	let polls = 0;
	const save = () => {
		saved = JSON.parse(JSON.stringify(memory));
	};
	return {
		async poll(mode = 'trigger') {
			const result = await runPoll(LondonDatastoreTrigger, {
				parameters,
				credentials: credentials(sandbox, apiVersion),
				staticData: mode === 'manual' ? JSON.parse(JSON.stringify(memory)) : memory,
				mode,
			});
			produced.push(
				result.error ? serializeError(result.error) : JSON.stringify(result.output ?? null),
				JSON.stringify(result.staticData ?? null),
			);
			if (mode === 'manual') return result;
			memory = result.staticData;
			polls++;
			if (polls === 1 || result.output) save();
			return result;
		},
		restart() {
			memory = JSON.parse(JSON.stringify(saved));
		},
		get memory() {
			return memory;
		},
	};
}

const items = (result) => {
	if (result.error) throw new Error(`The poll failed: ${serializeError(result.error)}`);
	return result.output ? result.output[0].map((item) => item.json) : [];
};
const kinds = (list) => list.map((item) => `${item.event}:${item.dataset.id}`);

async function changes(sandbox, list) {
	const response = await request(`${sandbox.url}/_sandbox/changes`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ changes: list }),
	});
	const body = await response.body.json();
	if (response.statusCode !== 200) throw new Error(JSON.stringify(body));
	return body.applied;
}

describe('DataPress 4: the whole site from the export', () => {
	test('the first poll is silent; then every event kind once, in one poll; nothing twice', async () => {
		const trigger = activeTrigger({ events: ALL_EVENTS });
		const first = await trigger.poll();
		expect(first.error).toBeUndefined();
		expect(first.output).toBeNull();
		expect(Object.keys(trigger.memory.watch.datasets)).toContain(RECORDED);

		const recorded = v4.control.dataset(RECORDED);
		const [replaced, removedFile] = Object.keys(recorded.resources);
		const removedFiles = Object.keys(v4.control.dataset('c5ext').resources);
		expect(removedFiles.length).toBeGreaterThan(0);
		const [published] = await changes(v4, [
			{
				kind: 'publishDataset',
				team: '4mxpm',
				title: 'Births by borough',
				files: [{ fileName: 'births.csv', content: 'borough,births\nCamden,10\n' }],
			},
			{ kind: 'replaceFile', id: RECORDED, resourceId: replaced, content: 'new bytes\n' },
			{ kind: 'removeFile', id: RECORDED, resourceId: removedFile },
			{ kind: 'addFile', id: RECORDED, fileName: 'extra.csv', content: 'a,b\n' },
			{ kind: 'editDataset', id: 'b3pop', set: { title: 'Population estimates 2026' } },
			{ kind: 'removeDataset', id: 'c5ext' },
		]);
		const emitted = items(await trigger.poll());
		expect(kinds(emitted).sort()).toEqual(
			[
				`newDataset:${published.id}`,
				`newFile:${published.id}`,
				`fileChanged:${RECORDED}`,
				`fileRemoved:${RECORDED}`,
				`newFile:${RECORDED}`,
				'datasetUpdated:b3pop',
				'datasetRemoved:c5ext',
				// The removed dataset's files are File Removed too.
				...removedFiles.map(() => 'fileRemoved:c5ext'),
			].sort(),
		);
		const changed = emitted.find((item) => item.event === 'fileChanged');
		expect(changed.file).toMatchObject({
			id: replaced,
			hash: require('node:crypto').createHash('md5').update('new bytes\n').digest('hex'),
			previousHash: recorded.resources[replaced].hash,
			size: 10,
			url: expect.stringContaining(`/download/${RECORDED}/${replaced}/`),
		});
		expect(changed.dataset).toMatchObject({ id: RECORDED, title: recorded.title });
		expect(changed.seenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		const updated = emitted.find((item) => item.event === 'datasetUpdated');
		expect(updated.changes).toEqual([
			{ field: 'title', old: expect.any(String), new: 'Population estimates 2026' },
		]);
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('one request per poll with the API version set; a file uploaded by the London Datastore node is File Changed once', async () => {
		const trigger = activeTrigger({ events: ['fileChanged', 'newFile'] });
		await trigger.poll();
		const recorded = v4.control.dataset(RECORDED);
		const fileId = Object.keys(recorded.resources)[0];
		v4.control.clearLogs();
		expect(items(await trigger.poll())).toEqual([]);
		expect(v4.control.requests().map((entry) => `${entry.method} ${entry.path}`)).toEqual([
			`GET ${EXPORT}`,
		]);

		const { ok } = datastoreRunner(() => credentials(), produced);
		await ok(uploadParameters(RECORDED, { uploadMode: 'replace', resourceId: fileId }), {
			items: [await binaryItem(Buffer.from('year,value\n2026,1\n'), { fileName: 'data.csv' })],
		});
		const emitted = items(await trigger.poll());
		expect(kinds(emitted)).toEqual([`fileChanged:${RECORDED}`]);
		expect(emitted[0].file.id).toBe(fileId);
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('Simplify off gives the dataset as the export lists it', async () => {
		const trigger = activeTrigger({ events: ['datasetUpdated'], simplify: false });
		await trigger.poll();
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { tags: ['x'] } }]);
		const [item] = items(await trigger.poll());
		expect(item.dataset.team).toEqual({ id: '4mxpm', title: 'GLA Demography' });
		expect(Array.isArray(item.dataset.resources)).toBe(true);
		expect(item.changes).toEqual([
			{ field: 'tags', old: ['births', 'fertility', 'demographics', 'population'], new: ['x'] },
		]);
	});

	test('On Activation: Emit the Last Days emits what the datasets show changed in the window', async () => {
		const [published] = await changes(v4, [
			{
				kind: 'publishDataset',
				team: '4mxpm',
				title: 'Fresh',
				files: [{ fileName: 'f.csv', content: 'x' }],
			},
		]);
		const trigger = activeTrigger({ events: ALL_EVENTS, onActivation: 'lastDays', days: 1 });
		const emitted = items(await trigger.poll());
		expect(kinds(emitted)).toEqual([`newDataset:${published.id}`, `newFile:${published.id}`]);
		expect(items(await trigger.poll())).toEqual([]);
	});
});

describe('scope', () => {
	test.each([
		['team', { watch: 'team', team: '4mxpm' }, RECORDED, 'b3pop'],
		['topic', { watch: 'topic', topic: 'Demographics' }, RECORDED, 'e4tub'],
		['tag', { watch: 'tag', tag: 'FERTILITY' }, RECORDED, 'b3pop'],
		['text', { watch: 'text', text: 'fertility rates' }, RECORDED, 'b3pop'],
	])('%s: changes inside are emitted, outside not', async (name, parameters, inside, outside) => {
		const trigger = activeTrigger({ events: ['datasetUpdated'], ...parameters });
		expect((await trigger.poll()).output).toBeNull();
		expect(Object.keys(trigger.memory.watch.datasets)).toContain(inside);
		expect(Object.keys(trigger.memory.watch.datasets)).not.toContain(outside);
		await changes(v4, [
			{ kind: 'editDataset', id: inside, set: { custom: { note: 'in' } } },
			{ kind: 'editDataset', id: outside, set: { custom: { note: 'out' } } },
		]);
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${inside}`]);
	});

	test('a changed scope learns again silently', async () => {
		const trigger = activeTrigger({ events: ['datasetUpdated'], watch: 'tag', tag: 'fertility' });
		await trigger.poll();
		await changes(v4, [{ kind: 'editDataset', id: 'b3pop', set: { title: 'Changed' } }]);
		const other = await runPoll(LondonDatastoreTrigger, {
			parameters: { events: ['datasetUpdated'], watch: 'site' },
			credentials: credentials(),
			staticData: trigger.memory,
		});
		expect(other.output).toBeNull();
	});

	test('private datasets are watched with a key that may read them', async () => {
		const trigger = activeTrigger({ events: ['fileChanged'] });
		await trigger.poll();
		const privateId = 'd9pvt';
		expect(Object.keys(trigger.memory.watch.datasets)).toContain(privateId);
		const fileId = Object.keys(v4.control.dataset(privateId).resources)[0];
		await changes(v4, [{ kind: 'replaceFile', id: privateId, resourceId: fileId, content: 'p' }]);
		expect(kinds(items(await trigger.poll()))).toEqual([`fileChanged:${privateId}`]);
	});
});

describe('restarts and the manual test event', () => {
	test('restarts go on from the copy n8n saved: nothing twice, nothing missed', async () => {
		const trigger = activeTrigger({ events: ALL_EVENTS });
		await trigger.poll();
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'One' } }]);
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
		// A silent poll (not saved), then a restart: the saved copy already holds the emitted change.
		expect(items(await trigger.poll())).toEqual([]);
		trigger.restart();
		expect(items(await trigger.poll())).toEqual([]);
		// A change made while n8n was down is emitted after the restart, once.
		trigger.restart();
		await changes(v4, [{ kind: 'editDataset', id: 'b3pop', set: { title: 'Two' } }]);
		expect(kinds(items(await trigger.poll()))).toEqual(['datasetUpdated:b3pop']);
		trigger.restart();
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('Fetch Test Event returns the newest change as a poll shapes it and moves no state', async () => {
		const trigger = activeTrigger({ events: ['fileChanged', 'newFile'] });
		const before = await trigger.poll('manual');
		expect(before.error).toBeUndefined();
		expect(before.output[0]).toHaveLength(1);
		expect(['fileChanged', 'newFile']).toContain(before.output[0][0].json.event);
		expect(trigger.memory).toEqual({});

		await trigger.poll();
		const learned = JSON.stringify(trigger.memory);
		const fileId = Object.keys(v4.control.dataset(RECORDED).resources)[0];
		await changes(v4, [{ kind: 'replaceFile', id: RECORDED, resourceId: fileId, content: 'z' }]);
		const test = await trigger.poll('manual');
		expect(test.output[0][0].json).toMatchObject({ event: 'fileChanged', file: { id: fileId } });
		expect(JSON.stringify(trigger.memory)).toBe(learned);
		// The real poll still emits it.
		expect(kinds(items(await trigger.poll()))).toEqual([`fileChanged:${RECORDED}`]);
	});
});

describe('faults: a failed poll moves no state, never mass removal', () => {
	const faults = [
		['5xx after the retries', { status: 503, times: 20 }, /503|unavailable/i],
		['an HTML page', { body: '<html><body>Please wait</body></html>' }, /JSON|HTML/i],
		[
			'a body cut off at every attempt',
			{ cutAfterBytes: 2000, times: 20 },
			/answered GET \/api\/v3\/datasets\/export\.json with an answer cut off before its end \(4 attempts\)|cut off/,
		],
	];
	test.each(faults)('%s', async (name, fault, message) => {
		const trigger = activeTrigger({ events: ALL_EVENTS });
		await trigger.poll();
		const learned = JSON.stringify(trigger.memory);
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'During the fault' } }]);
		v4.control.injectFault({ path: EXPORT, ...fault });
		const failed = await trigger.poll();
		expect(failed.error).toBeDefined();
		expect(serializeError(failed.error)).toMatch(message);
		expect(JSON.stringify(trigger.memory)).toBe(learned);
		v4.control.clearFaults();
		// Nothing missed: the next good poll emits the change once.
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
	});

	test('a body cut off once is retried within the poll: the change is emitted once', async () => {
		const trigger = activeTrigger({ events: ALL_EVENTS });
		await trigger.poll();
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'Cut once' } }]);
		v4.control.clearLogs();
		v4.control.injectFault({ path: EXPORT, cutAfterBytes: 2000 });
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
		const exports = v4.control.requests().filter((entry) => entry.path === EXPORT);
		expect(exports).toHaveLength(2);
		expect(exports[1].status).toBe(200);
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('a partial export is suspect: no removals, the rest still emitted, whole again nothing', async () => {
		const trigger = activeTrigger({ events: ALL_EVENTS });
		await trigger.poll();
		const known = Object.keys(trigger.memory.watch.datasets).length;
		const firstId = Object.keys(trigger.memory.watch.datasets)[0];
		await changes(v4, [{ kind: 'editDataset', id: firstId, set: { title: 'Edited' } }]);
		v4.control.injectFault({ path: EXPORT, keepFirst: 1 });
		const partial = await trigger.poll();
		expect(kinds(items(partial))).toEqual([`datasetUpdated:${firstId}`]);
		expect(Object.keys(trigger.memory.watch.datasets)).toHaveLength(known);
		expect(items(await trigger.poll())).toEqual([]);
	});
});

describe('Chosen Datasets', () => {
	const chosen = (...ids) => ({
		watch: 'datasets',
		datasets: { dataset: ids.map((value) => ({ datasetId: { __rl: true, mode: 'id', value } })) },
	});

	test('DataPress 4: one request per dataset; by page address too; a removed dataset is Dataset Removed', async () => {
		const trigger = activeTrigger({
			events: ALL_EVENTS,
			watch: 'datasets',
			datasets: {
				dataset: [
					{ datasetId: { __rl: true, mode: 'id', value: RECORDED } },
					{
						datasetId: {
							__rl: true,
							mode: 'url',
							value: `${v4.url}/dataset/population-b3pop`,
						},
					},
				],
			},
		});
		v4.control.clearLogs();
		expect((await trigger.poll()).output).toBeNull();
		expect(
			v4.control
				.requests()
				.map((entry) => entry.path)
				.sort(),
		).toEqual(['/api/v3/dataset/b3pop', `/api/v3/dataset/${RECORDED}`]);
		await changes(v4, [
			{ kind: 'addFile', id: RECORDED, fileName: 'n.csv', content: 'n' },
			{ kind: 'removeDataset', id: 'b3pop' },
		]);
		const emitted = kinds(items(await trigger.poll()));
		expect(emitted).toContain(`newFile:${RECORDED}`);
		expect(emitted).toContain('datasetRemoved:b3pop');
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('a chosen dataset that does not exist fails the first poll, naming it', async () => {
		const trigger = activeTrigger({ events: ALL_EVENTS, ...chosen(RECORDED, 'zz9zz') });
		const failed = await trigger.poll();
		expect(serializeError(failed.error)).toMatch(/no dataset "zz9zz" on this site \(404\)/);
		expect(trigger.memory).toEqual({});
	});

	test('a chosen dataset that cannot be read fails the first poll; later it is kept and read again', async () => {
		const trigger = activeTrigger({ events: ['datasetUpdated'], ...chosen(RECORDED, 'b3pop') });
		v4.control.injectFault({ path: '/api/v3/dataset/b3pop', status: 500, times: 20 });
		const failed = await trigger.poll();
		expect(failed.error).toBeDefined();
		expect(trigger.memory).toEqual({});
		v4.control.clearFaults();
		await trigger.poll();
		await changes(v4, [
			{ kind: 'editDataset', id: 'b3pop', set: { title: 'B' } },
			{ kind: 'editDataset', id: RECORDED, set: { title: 'A' } },
		]);
		v4.control.injectFault({ path: '/api/v3/dataset/b3pop', status: 500, times: 20 });
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
		v4.control.clearFaults();
		expect(kinds(items(await trigger.poll()))).toEqual(['datasetUpdated:b3pop']);
	});

	test('legacy site: Whole Site is refused with what to do; Chosen Datasets work by slug', async () => {
		const whole = activeTrigger({ events: ALL_EVENTS }, { sandbox: legacy, apiVersion: 'auto' });
		const refused = await whole.poll();
		expect(serializeError(refused.error)).toMatch(/legacy DataPress API lists no datasets/);
		expect(serializeError(refused.error)).toMatch(/Chosen Datasets/);

		const trigger = activeTrigger(
			{ events: ALL_EVENTS, ...chosen('borough-population-estimates') },
			{ sandbox: legacy, apiVersion: 'legacy' },
		);
		expect((await trigger.poll()).output).toBeNull();
		const patched = await request(`${legacy.url}/api/dataset/borough-population-estimates`, {
			method: 'PATCH',
			headers: { authorization: KEY, 'content-type': 'application/json' },
			body: JSON.stringify([{ op: 'replace', path: '/title', value: 'Borough population 2026' }]),
		});
		expect(patched.statusCode).toBe(200);
		await patched.body.text();
		const [item] = items(await trigger.poll());
		expect(item).toMatchObject({
			event: 'datasetUpdated',
			changes: [{ field: 'title', new: 'Borough population 2026' }],
		});
		expect(items(await trigger.poll())).toEqual([]);
	});
});

describe('conditional requests', () => {
	const exportRequests = () => v4.control.requests().filter((entry) => entry.path === EXPORT);
	const conditionalSent = (entry) =>
		entry.ifNoneMatch !== undefined || entry.ifModifiedSince !== undefined;

	test('an export with an ETag: the next poll sends If-None-Match, gets 304, emits nothing, stores nothing new; a change is emitted once', async () => {
		v4.control.setValidators({ etag: true });
		const trigger = activeTrigger({ events: ALL_EVENTS });
		v4.control.clearLogs();
		await trigger.poll();
		const [learning] = exportRequests();
		expect(conditionalSent(learning)).toBe(false);
		const etag = trigger.memory.watch.c.e;
		expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
		const learned = JSON.stringify(trigger.memory);

		v4.control.clearLogs();
		expect((await trigger.poll()).output).toBeNull();
		expect(exportRequests()).toEqual([expect.objectContaining({ ifNoneMatch: etag, status: 304 })]);
		expect(JSON.stringify(trigger.memory)).toBe(learned);

		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'Changed' } }]);
		v4.control.clearLogs();
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
		expect(exportRequests()).toEqual([expect.objectContaining({ ifNoneMatch: etag, status: 200 })]);
		const moved = trigger.memory.watch.c.e;
		expect(moved).not.toBe(etag);

		// Nothing twice: 304 again, also after a restart from the copy n8n saved with the emission.
		v4.control.clearLogs();
		expect(items(await trigger.poll())).toEqual([]);
		trigger.restart();
		expect(items(await trigger.poll())).toEqual([]);
		expect(exportRequests()).toEqual([
			expect.objectContaining({ ifNoneMatch: moved, status: 304 }),
			expect.objectContaining({ ifNoneMatch: moved, status: 304 }),
		]);
	});

	test('without validators on the site nothing conditional is sent and none is stored', async () => {
		const trigger = activeTrigger({ events: ALL_EVENTS });
		v4.control.clearLogs();
		await trigger.poll();
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'Changed' } }]);
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
		await trigger.poll();
		expect(exportRequests()).toHaveLength(3);
		expect(exportRequests().filter(conditionalSent)).toEqual([]);
		expect(trigger.memory.watch).not.toHaveProperty('c');
	});

	test('a failed poll stores no validator: neither at activation nor later', async () => {
		v4.control.setValidators({ etag: true });
		const trigger = activeTrigger({ events: ALL_EVENTS });
		v4.control.injectFault({ path: EXPORT, status: 503, times: 20 });
		expect((await trigger.poll()).error).toBeDefined();
		expect(trigger.memory).toEqual({});
		v4.control.clearFaults();
		await trigger.poll();
		const learned = JSON.stringify(trigger.memory);
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'During' } }]);
		// The changed export's head arrives with its new ETag, then the body is cut off at every attempt.
		v4.control.injectFault({ path: EXPORT, cutAfterBytes: 2000, times: 20 });
		expect((await trigger.poll()).error).toBeDefined();
		expect(JSON.stringify(trigger.memory)).toBe(learned);
		v4.control.clearFaults();
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
	});

	test('a Last-Modified is kept only once strong, then sent as If-Modified-Since', async () => {
		v4.control.setValidators({ lastModified: true });
		const trigger = activeTrigger({ events: ALL_EVENTS });
		await trigger.poll();
		// The export was first served just now: its date would not move for a change within the second.
		expect(trigger.memory.watch).not.toHaveProperty('c');
		const exported = async () => {
			const response = await request(`${v4.url}${EXPORT}`, { headers: { authorization: KEY } });
			await response.body.text();
			return response.headers;
		};
		let headers = await exported();
		while (Date.parse(headers.date) - Date.parse(headers['last-modified']) < 1000) {
			await new Promise((resolve) => setTimeout(resolve, 200));
			headers = await exported();
		}
		expect(items(await trigger.poll())).toEqual([]);
		expect(trigger.memory.watch.c).toEqual({ l: headers['last-modified'] });
		v4.control.clearLogs();
		expect(items(await trigger.poll())).toEqual([]);
		expect(exportRequests()).toEqual([
			expect.objectContaining({ ifModifiedSince: headers['last-modified'], status: 304 }),
		]);
		expect(exportRequests()[0].ifNoneMatch).toBeUndefined();
	});

	test('a partial export answered 304 afterwards still counts its missing datasets: removed at the third poll, as without validators', async () => {
		v4.control.setValidators({ etag: true });
		const trigger = activeTrigger({ events: ALL_EVENTS });
		await trigger.poll();
		const known = Object.keys(trigger.memory.watch.datasets);
		v4.control.injectFault({ path: EXPORT, keepFirst: 1, times: 10 });
		v4.control.clearLogs();
		expect(items(await trigger.poll())).toEqual([]);
		const missing = Object.entries(trigger.memory.watch.datasets).filter(([, kept]) => kept.x);
		expect(missing).toHaveLength(known.length - 1);
		expect(items(await trigger.poll())).toEqual([]);
		const removed = items(await trigger.poll());
		expect(exportRequests().map((entry) => entry.status)).toEqual([200, 304, 304]);
		expect(kinds(removed.filter((item) => item.event === 'datasetRemoved')).sort()).toEqual(
			missing.map(([id]) => `datasetRemoved:${id}`).sort(),
		);
		expect(Object.keys(trigger.memory.watch.datasets)).toHaveLength(1);
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('Chosen Datasets: each dataset read conditionally on its own validator', async () => {
		v4.control.setValidators({ etag: true });
		const trigger = activeTrigger({
			events: ALL_EVENTS,
			watch: 'datasets',
			datasets: {
				dataset: [RECORDED, 'b3pop'].map((value) => ({
					datasetId: { __rl: true, mode: 'id', value },
				})),
			},
		});
		await trigger.poll();
		const kept = trigger.memory.watch.datasets;
		expect(kept[RECORDED].c.e).toMatch(/^"[0-9a-f]{40}"$/);
		expect(trigger.memory.watch).not.toHaveProperty('c');
		const learned = JSON.stringify(trigger.memory);
		v4.control.clearLogs();
		expect(items(await trigger.poll())).toEqual([]);
		expect(JSON.stringify(trigger.memory)).toBe(learned);
		const statuses = () =>
			Object.fromEntries(
				v4.control
					.requests()
					.map((entry) => [entry.path.split('/').pop(), [entry.ifNoneMatch, entry.status]]),
			);
		expect(statuses()).toEqual({
			[RECORDED]: [kept[RECORDED].c.e, 304],
			b3pop: [kept.b3pop.c.e, 304],
		});
		await changes(v4, [{ kind: 'editDataset', id: RECORDED, set: { title: 'Chosen change' } }]);
		v4.control.clearLogs();
		expect(kinds(items(await trigger.poll()))).toEqual([`datasetUpdated:${RECORDED}`]);
		expect(statuses()).toEqual({
			[RECORDED]: [kept[RECORDED].c.e, 200],
			b3pop: [kept.b3pop.c.e, 304],
		});
		expect(trigger.memory.watch.datasets[RECORDED].c.e).not.toBe(kept[RECORDED].c.e);
		expect(trigger.memory.watch.datasets.b3pop).toEqual(kept.b3pop);
		expect(items(await trigger.poll())).toEqual([]);
	});

	test('Fetch Test Event reads the whole export, unconditionally, and moves nothing', async () => {
		v4.control.setValidators({ etag: true });
		const trigger = activeTrigger({ events: ['fileChanged', 'newFile'] });
		await trigger.poll();
		const learned = JSON.stringify(trigger.memory);
		v4.control.clearLogs();
		const test = await trigger.poll('manual');
		expect(test.output[0]).toHaveLength(1);
		expect(exportRequests()).toEqual([expect.objectContaining({ status: 200 })]);
		expect(exportRequests().filter(conditionalSent)).toEqual([]);
		expect(JSON.stringify(trigger.memory)).toBe(learned);
	});
});
