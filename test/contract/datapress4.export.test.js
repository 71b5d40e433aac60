/**
 * Contract tests of the DataPress 4 sandbox's export (E14, `/api/v3/datasets/export.json`) as a watcher of
 * the site reads it, and of the sandbox's publishing control (`/_sandbox/changes`, `/_sandbox/schedule`,
 * not part of the real API), over real HTTP.
 *
 * Decisions (datapress-v4.md section 1 and 3.3 say what the export carries; the rest is decided here):
 * - Shape: one JSON array of every dataset the caller may read (public ones without a key; private and
 *   draft ones only with a key whose user may read them), each as GET serves it but with `team`,
 *   `masthead` and `topics` as `{id, title}`, `resources` and `links` as arrays of entries carrying their
 *   `id`, each resource's timeframe flattened to `timeframeFrom`/`timeframeTo` (as a live walk saw), and a
 *   `timestamp` per resource (the sheet: "export has `timestamp`", where the legacy file had
 *   `check_timestamp`): the file's upload time, read from its storage key, to the second.
 * - Validators: by default no `ETag`, no `Last-Modified`, and conditional requests (`If-None-Match`,
 *   `If-Modified-Since`) are ignored (a full 200 every time): no document, recorded answer or client
 *   shows either header on the export or anywhere in DataPress 4, so the sandbox does not invent them, and
 *   a client must work without them. Whether the live site (or a CDN in front of it) sends them is an open
 *   question. So that a client's conditional path can be tested at all, the start option `validators:
 *   { etag, lastModified }` or `POST /_sandbox/validators` (until a reset) makes the export and a dataset's
 *   GET answer as a standard HTTP server or CDN would (RFC 9110): a strong `ETag` (a digest of the body)
 *   and/or `Last-Modified` (when those exact bytes were first served, to the second), and `304` with no
 *   body to a matching If-None-Match (weak comparison, `*` matches) or, without If-None-Match, to an
 *   If-Modified-Since not older than the Last-Modified. The request log records the conditional headers
 *   each request carried (`ifNoneMatch`, `ifModifiedSince`).
 * - No paging and no filters: the documents show none (query parameters are ignored).
 * - Faults a watcher must survive, injected like every fault (`POST /_sandbox/faults`): `status` (5xx, in
 *   the API's error format), `body` (a 200 HTML page, as a proxy's), `cutAfterBytes` (the body stops and
 *   the connection closes), and `keepFirst` (only the first N datasets: a partial export).
 * - Publishing control: changes go through the same rules as the API: a new or replaced file is stored
 *   with its MD5 as `hash` and moves `updatedAt`; a removed file or dataset is gone from GET, export and
 *   downloads; an edit moves `updatedAt` unless `silent` (as a PATCH that leaves `/updatedAt` alone).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { request } = require('undici');

const { startDatastoreSandboxes } = require('../../sandbox/datapress');

const VIEWER = 'demo-viewer-key';
const EDITOR = 'demo-editor-key';
const PRIVATE = 'd9pvt';
const RECORDED = 'vd4q4';
const EXPORT = '/api/v3/datasets/export.json';

let sandbox;
let dataDir;

beforeAll(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'datapress4-export-'));
	sandbox = await startDatastoreSandboxes({ api: 'v4', port: 0, dataDir });
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
	fs.rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
	sandbox.control.reset();
	sandbox.control.clearFaults();
});

async function call(method, urlPath, { key, json, headers = {} } = {}) {
	const sent = { ...headers };
	if (key) sent.authorization = key;
	let body;
	if (json !== undefined) {
		sent['content-type'] = 'application/json';
		body = JSON.stringify(json);
	}
	const response = await request(`${sandbox.url}${urlPath}`, { method, headers: sent, body });
	const text = await response.body.text();
	let parsed;
	try {
		parsed = JSON.parse(text);
	} catch {
		parsed = undefined;
	}
	return { status: response.statusCode, headers: response.headers, text, json: parsed };
}

const exported = async (key) => (await call('GET', EXPORT, { key })).json;
const changes = async (list) => call('POST', '/_sandbox/changes', { json: { changes: list } });

describe('the export as a watcher reads it', () => {
	test('every file has its upload time; timeframes flattened; resources and links are lists with ids', async () => {
		const datasets = await exported();
		for (const dataset of datasets) {
			expect(Array.isArray(dataset.resources)).toBe(true);
			expect(Array.isArray(dataset.links)).toBe(true);
			expect(dataset.team).toEqual({ id: expect.any(String), title: expect.any(String) });
			expect(dataset.masthead).toEqual({ id: expect.any(String), title: expect.any(String) });
			for (const resource of dataset.resources) {
				expect(resource.id).toEqual(expect.any(String));
				expect(resource).not.toHaveProperty('timeframe');
				expect(resource).toHaveProperty('timeframeFrom');
				expect(resource.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
				const stamp = /\/(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\//.exec(resource.origin)[1];
				expect(resource.timestamp).toBe(`${stamp}.000Z`);
			}
		}
	});

	test('private datasets only with a key that may read them', async () => {
		expect((await exported()).map((dataset) => dataset.id)).not.toContain(PRIVATE);
		expect((await exported('unknown-key')).map((dataset) => dataset.id)).not.toContain(PRIVATE);
		expect((await exported(VIEWER)).map((dataset) => dataset.id)).toContain(PRIVATE);
		expect((await exported(EDITOR)).map((dataset) => dataset.id)).toContain(PRIVATE);
	});

	test('by default no ETag or Last-Modified; conditional requests get the whole export', async () => {
		const first = await call('GET', EXPORT);
		expect(first.headers.etag).toBeUndefined();
		expect(first.headers['last-modified']).toBeUndefined();
		const again = await call('GET', EXPORT, {
			headers: { 'if-none-match': '*', 'if-modified-since': new Date().toUTCString() },
		});
		expect(again.status).toBe(200);
		expect(again.json).toEqual(first.json);
	});

	test('validators on: an ETag per body, 304 to a match, 200 again once the export changed', async () => {
		const set = await call('POST', '/_sandbox/validators', { json: { etag: true } });
		expect(set.json).toEqual({ etag: true, lastModified: false });
		const first = await call('GET', EXPORT);
		expect(first.headers.etag).toMatch(/^"[0-9a-f]{40}"$/);
		expect(first.headers['last-modified']).toBeUndefined();
		// The same bytes, the same ETag; another key sees other datasets, so another ETag.
		expect((await call('GET', EXPORT)).headers.etag).toBe(first.headers.etag);
		expect((await call('GET', EXPORT, { key: VIEWER })).headers.etag).not.toBe(first.headers.etag);

		const unchanged = await call('GET', EXPORT, {
			headers: { 'if-none-match': first.headers.etag },
		});
		expect(unchanged.status).toBe(304);
		expect(unchanged.text).toBe('');
		expect(unchanged.headers.etag).toBe(first.headers.etag);
		const weak = await call('GET', EXPORT, {
			headers: { 'if-none-match': `W/${first.headers.etag}` },
		});
		expect(weak.status).toBe(304);
		const other = await call('GET', EXPORT, { headers: { 'if-none-match': '"other"' } });
		expect(other.status).toBe(200);
		expect(other.json).toEqual(first.json);

		await changes([{ kind: 'editDataset', id: RECORDED, set: { title: 'Changed' } }]);
		const changed = await call('GET', EXPORT, { headers: { 'if-none-match': first.headers.etag } });
		expect(changed.status).toBe(200);
		expect(changed.headers.etag).not.toBe(first.headers.etag);
		expect(changed.json.find((dataset) => dataset.id === RECORDED).title).toBe('Changed');

		// A dataset's own GET too.
		const dataset = await call('GET', `/api/v3/dataset/${RECORDED}`);
		expect(dataset.headers.etag).toMatch(/^"[0-9a-f]{40}"$/);
		const again = await call('GET', `/api/v3/dataset/${RECORDED}`, {
			headers: { 'if-none-match': dataset.headers.etag },
		});
		expect(again.status).toBe(304);

		expect(
			sandbox.control
				.requests()
				.filter((entry) => entry.ifNoneMatch !== undefined)
				.map((entry) => [entry.path, entry.status]),
		).toEqual([
			[EXPORT, 304],
			[EXPORT, 304],
			[EXPORT, 200],
			[EXPORT, 200],
			[`/api/v3/dataset/${RECORDED}`, 304],
		]);
		// A reset goes back to no validators.
		await call('POST', '/_sandbox/reset');
		expect((await call('GET', EXPORT)).headers.etag).toBeUndefined();
	});

	test('validators on: Last-Modified is when the body was first served; If-Modified-Since gets 304', async () => {
		sandbox.control.setValidators({ lastModified: true });
		const first = await call('GET', EXPORT);
		expect(first.headers.etag).toBeUndefined();
		const modified = Date.parse(first.headers['last-modified']);
		expect(modified % 1000).toBe(0);
		expect(Date.parse(first.headers.date)).toBeGreaterThanOrEqual(modified);
		const since = (date) => call('GET', EXPORT, { headers: { 'if-modified-since': date } });
		expect((await since(first.headers['last-modified'])).status).toBe(304);
		expect((await since(new Date(modified - 1000).toUTCString())).status).toBe(200);
		// If-None-Match decides when sent: a server without ETags matches no tag.
		const both = await call('GET', EXPORT, {
			headers: { 'if-none-match': '"x"', 'if-modified-since': first.headers['last-modified'] },
		});
		expect(both.status).toBe(200);
		await changes([{ kind: 'editDataset', id: RECORDED, set: { title: 'Changed' } }]);
		const changed = await since(first.headers['last-modified']);
		// New bytes: Last-Modified is now, in whole seconds. Within the second of the old one it cannot
		// move, and the change is answered 304: why a client keeps a Last-Modified only when strong.
		const changedModified = Date.parse(changed.headers['last-modified']);
		expect(changedModified).toBeGreaterThanOrEqual(modified);
		expect(changed.status).toBe(changedModified > modified ? 200 : 304);
	});

	test('the start option turns validators on from the start', async () => {
		const other = await startDatastoreSandboxes({ api: 'v4', port: 0, validators: { etag: true } });
		try {
			const response = await request(`${other.url}${EXPORT}`);
			await response.body.text();
			expect(response.headers.etag).toMatch(/^"[0-9a-f]{40}"$/);
			other.control.reset();
			const afterReset = await request(`${other.url}${EXPORT}`);
			await afterReset.body.text();
			expect(afterReset.headers.etag).toBe(response.headers.etag);
		} finally {
			await other.close();
		}
	});

	test('faults: 5xx, an HTML page, a body cut off, a partial export', async () => {
		const all = await exported();
		sandbox.control.injectFault({ path: EXPORT, status: 503 });
		expect((await call('GET', EXPORT)).status).toBe(503);
		sandbox.control.injectFault({ path: EXPORT, body: '<html><body>Maintenance</body></html>' });
		const page = await call('GET', EXPORT);
		expect(page.status).toBe(200);
		expect(page.headers['content-type']).toBe('text/html');
		expect(page.text).toContain('Maintenance');
		sandbox.control.injectFault({ path: EXPORT, cutAfterBytes: 100 });
		await expect(call('GET', EXPORT)).rejects.toThrow();
		sandbox.control.injectFault({ path: EXPORT, keepFirst: 2 });
		const partial = await exported();
		expect(partial).toEqual(all.slice(0, 2));
		expect(await exported()).toEqual(all);
	});
});

describe('the publishing control', () => {
	test('publish, edit, add, replace and remove files, remove a dataset: GET, export and downloads agree', async () => {
		const published = await changes([
			{
				kind: 'publishDataset',
				team: '4mxpm',
				title: 'Borough counts',
				tags: ['counts'],
				topics: ['demographics'],
				files: [{ fileName: 'counts.csv', content: 'borough,n\nCamden,1\n' }],
			},
		]);
		expect(published.status).toBe(200);
		const { id, resourceIds } = published.json.applied[0];
		expect(id).toMatch(/^[a-z0-9]{5}$/);
		const created = (await call('GET', `/api/v3/dataset/${id}`)).json;
		expect(created.title).toBe('Borough counts');
		const file = created.resources[resourceIds[0]];
		expect(file.hash).toBe(crypto.createHash('md5').update('borough,n\nCamden,1\n').digest('hex'));
		expect(file.size).toBe(19);
		expect((await call('GET', new URL(file.url).pathname)).text).toBe('borough,n\nCamden,1\n');
		expect((await exported()).find((dataset) => dataset.id === id).resources[0].hash).toBe(
			file.hash,
		);

		// A visible edit moves updatedAt; a silent one does not.
		const edited = (
			await changes([{ kind: 'editDataset', id, set: { title: 'Borough counts 2026' } }])
		).json.applied[0];
		expect(Date.parse(edited.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
		const silent = (
			await changes([{ kind: 'editDataset', id, set: { tags: ['x'] }, silent: true }])
		).json.applied[0];
		expect(silent.updatedAt).toBe(edited.updatedAt);

		const replaced = await changes([
			{ kind: 'replaceFile', id, resourceId: resourceIds[0], content: 'borough,n\nCamden,2\n' },
			{ kind: 'addFile', id, fileName: 'more.csv', content: 'a\n' },
		]);
		const added = replaced.json.applied[1].resourceId;
		const after = (await call('GET', `/api/v3/dataset/${id}`)).json;
		expect(after.resources[resourceIds[0]].hash).not.toBe(file.hash);
		expect(after.resources[added].order).toBe(0);
		expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(edited.updatedAt));

		await changes([{ kind: 'removeFile', id, resourceId: added }]);
		const removedFile = (await call('GET', `/api/v3/dataset/${id}`)).json;
		expect(Object.keys(removedFile.resources)).toEqual([resourceIds[0]]);
		expect((await call('GET', new URL(after.resources[added].url).pathname)).status).toBe(404);

		await changes([{ kind: 'removeDataset', id }]);
		expect((await call('GET', `/api/v3/dataset/${id}`)).status).toBe(404);
		expect((await exported()).map((dataset) => dataset.id)).not.toContain(id);
	});

	test('a private dataset published is in the export only for those who may read it', async () => {
		const { id } = (
			await changes([
				{ kind: 'publishDataset', team: 'p9lan', title: 'Internal', sharing: 'private' },
			])
		).json.applied[0];
		expect((await exported()).map((dataset) => dataset.id)).not.toContain(id);
		expect((await exported(EDITOR)).map((dataset) => dataset.id)).toContain(id);
	});

	test('invalid changes are refused with 400 and name the problem', async () => {
		const unknown = await changes([{ kind: 'explode' }]);
		expect(unknown.status).toBe(400);
		expect(unknown.json.error).toMatch(/Unknown change kind "explode"/);
		const missing = await changes([{ kind: 'removeFile', id: RECORDED, resourceId: 'zzz' }]);
		expect(missing.status).toBe(400);
		expect(missing.json.error).toMatch(/No file "zzz"/);
		const field = await changes([{ kind: 'editDataset', id: RECORDED, set: { id: 'x' } }]);
		expect(field.status).toBe(400);
	});

	test('a schedule applies its changes one by one, then stops; reset stops a running one', async () => {
		const before = (await call('GET', `/api/v3/dataset/${RECORDED}`)).json;
		const started = await call('POST', '/_sandbox/schedule', {
			json: {
				everyMs: 20,
				changes: [
					{ kind: 'editDataset', id: RECORDED, set: { tags: ['one'] } },
					{ kind: 'addFile', id: RECORDED, fileName: 'late.csv', content: 'x\n' },
				],
			},
		});
		expect(started.json).toMatchObject({ running: true, everyMs: 20, left: 2 });
		let status;
		do {
			await new Promise((resolve) => setTimeout(resolve, 20));
			status = (await call('GET', '/_sandbox/schedule')).json;
		} while (status.running);
		expect(status.applied.map((change) => change.kind)).toEqual(['editDataset', 'addFile']);
		const after = (await call('GET', `/api/v3/dataset/${RECORDED}`)).json;
		expect(after.tags).toEqual(['one']);
		expect(Object.keys(after.resources)).toHaveLength(Object.keys(before.resources).length + 1);

		await call('POST', '/_sandbox/schedule', { json: { everyMs: 1000, demo: true } });
		expect((await call('GET', '/_sandbox/schedule')).json.running).toBe(true);
		await call('POST', '/_sandbox/reset');
		expect((await call('GET', '/_sandbox/schedule')).json).toEqual({ running: false });
	});

	test('the demo schedule cycles through new file versions, an edit, a file added then removed', async () => {
		const demo = [];
		for (let step = 0; step < 8; step++) {
			const change = await call('POST', '/_sandbox/schedule', {
				json: { everyMs: 10, demo: true, times: 1, datasetId: 'b3pop' },
			});
			expect(change.json.running).toBe(true);
			let status;
			do {
				await new Promise((resolve) => setTimeout(resolve, 10));
				status = (await call('GET', '/_sandbox/schedule')).json;
			} while (status.running);
			expect(status.lastError).toBeNull();
			expect(status.applied[0].id).toBe('b3pop');
			demo.push(status.applied[0].kind);
		}
		expect(demo).toEqual([
			'replaceFile',
			'editDataset',
			'replaceFile',
			'addFile',
			'replaceFile',
			'editDataset',
			'replaceFile',
			'removeFile',
		]);
	});
});
