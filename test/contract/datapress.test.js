/**
 * Contract tests of the legacy DataPress sandbox (`{ api: 'legacy' }`) over real HTTP (undici): every
 * endpoint of the API document and every decided error (api-facts.md), the document's own examples (the
 * title patch, the create call, the three-step presigned upload), atomic patches, uploads streamed to disk
 * with their MD5, the 413 over 100 MiB, attaching a stored object by `origin`, downloads, and the control
 * API (in-process and HTTP).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { request } = require('undici');

const { startDatastoreSandboxes, MAX_MULTIPART_BYTES } = require('../../sandbox/datapress');
const { bytesUnder, md5OfStream } = require('../harness/files');
const { multipart, bufferSource, generatedSource, MIB } = require('../harness/multipart');

const EDITOR = 'demo-editor-key';
const VIEWER = 'demo-viewer-key';
const ADMIN = 'demo-admin-key';
const LDD = 'london-development-database';
/** Seeded: private, team planning-team (the editor's and the viewer's team). */
const PRIVATE = 'planning-team-working-notes';
/** Seeded: public, team transport-team (no rights for the demo editor). */
const OTHER_TEAM = 'tube-station-entries';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MD5 = /^[0-9a-f]{32}$/;

let sandbox;
let control;
let dataDir;
let teams;

beforeAll(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'datapress-contract-'));
	sandbox = await startDatastoreSandboxes({ api: 'legacy', port: 0, storagePort: 0, dataDir });
	control = sandbox.control;
	teams = (await call('GET', '/api/orgs')).json;
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
	fs.rmSync(dataDir, { recursive: true, force: true });
});

/** One HTTP call (a path on the sandbox, or a whole URL); the body is parsed as JSON when it is JSON. */
async function call(method, urlPath, { key, json, body, headers = {} } = {}) {
	const sent = { ...headers };
	if (key !== undefined && key !== null) sent.authorization = key;
	let payload = body;
	if (json !== undefined) {
		sent['content-type'] = 'application/json';
		payload = typeof json === 'string' ? json : JSON.stringify(json);
	}
	const url = urlPath.startsWith('http') ? urlPath : `${sandbox.url}${urlPath}`;
	const response = await request(url, {
		method,
		headers: sent,
		body: payload,
	});
	const text = await response.body.text();
	let parsed;
	try {
		parsed = JSON.parse(text);
	} catch {
		parsed = undefined;
	}
	return { status: response.statusCode, headers: response.headers, text, json: parsed };
}

function team(slug) {
	const found = teams.find((entry) => entry.slug === slug);
	if (!found) throw new Error(`no team "${slug}" in /api/orgs`);
	return found;
}

function postMultipart(url, parts, { key } = {}) {
	const form = multipart(parts);
	return call('POST', url, { key, headers: form.headers, body: form.body });
}

function uploadResource(slug, parts, key = EDITOR, resourceId) {
	const suffix = resourceId ? `/${resourceId}` : '';
	return postMultipart(
		`${sandbox.url}/api/dataset/${encodeURIComponent(slug)}/resources${suffix}`,
		parts,
		{ key },
	);
}

async function newDataset(extra = {}) {
	const slug = `contract-${crypto.randomBytes(4).toString('hex')}`;
	const created = await call('POST', '/api/dataset', {
		key: EDITOR,
		json: {
			title: `Contract ${slug}`,
			slug,
			parent: team('gla-demo').id,
			sharing: 'public',
			...extra,
		},
	});
	expect(created.status).toBe(200);
	return created.json;
}

/** The stored dataset, detached from the sandbox's memory. */
async function stored(idOrSlug) {
	return JSON.parse(JSON.stringify(await control.dataset(idOrSlug)));
}

async function download(urlPath, key) {
	const response = await request(
		urlPath.startsWith('http') ? urlPath : `${sandbox.url}${urlPath}`,
		{
			headers: key ? { authorization: key } : {},
		},
	);
	return {
		status: response.statusCode,
		headers: response.headers,
		...(await md5OfStream(response.body)),
	};
}

function sortedResourceIds(dataset) {
	return Object.entries(dataset.resources)
		.sort(([, a], [, b]) => a.order - b.order)
		.map(([id]) => id);
}

describe('GET /api/dataset/:id', () => {
	test('the LDD dataset, by slug, shaped as the document shows', async () => {
		const { status, json } = await call('GET', `/api/dataset/${LDD}`);
		expect(status).toBe(200);
		expect(json).toEqual(
			expect.objectContaining({
				id: expect.stringMatching(UUID),
				slug: LDD,
				title: expect.any(String),
				parent: team('planning-team').id,
				state: 'active',
				sharing: 'public',
				tags: expect.any(Array),
				topics: expect.any(Array),
				licence: expect.any(String),
				// The custom string fields of the document's LDD example.
				author_email: expect.any(String),
				licence_notes: expect.any(String),
				'odi-certificate': expect.any(String),
				maintainer_email: expect.any(String),
				update_frequency: expect.any(String),
				london_bounding_box: expect.any(String),
				london_smallest_geography: expect.any(String),
				shares: { users: {}, orgs: {} },
				createdAt: expect.any(String),
				updatedAt: expect.any(String),
				description: expect.any(String),
				resources: expect.any(Object),
				readonly: expect.objectContaining({
					auth: { package_update: false },
					shares: expect.any(Object),
					licence: expect.objectContaining({ title: expect.any(String) }),
					parent: expect.objectContaining({ id: team('planning-team').id }),
					rootOrg: expect.any(Object),
					topics: expect.any(Object),
				}),
			}),
		);
		const resources = Object.entries(json.resources);
		expect(resources.length).toBeGreaterThan(0);
		for (const [id, resource] of resources) {
			expect(id).toMatch(UUID);
			expect(resource).toEqual(
				expect.objectContaining({
					order: expect.any(Number),
					title: expect.any(String),
					check_hash: expect.stringMatching(MD5),
					check_size: expect.any(Number),
					check_mimetype: expect.any(String),
					check_timestamp: expect.any(String),
				}),
			);
		}
		for (const topic of json.topics)
			expect(json.readonly.topics[topic]).toEqual(
				expect.objectContaining({ title: expect.any(String) }),
			);
	});

	test('by UUID gives the same dataset', async () => {
		const bySlug = (await call('GET', `/api/dataset/${LDD}`)).json;
		const byId = await call('GET', `/api/dataset/${bySlug.id}`);
		expect(byId.status).toBe(200);
		expect(byId.json).toEqual(bySlug);
	});

	test('the seeded resource downloads with the size and MD5 the dataset states', async () => {
		const dataset = (await call('GET', `/api/dataset/${LDD}`)).json;
		const [resourceId, resource] = Object.entries(dataset.resources)[0];
		const fileName = decodeURIComponent(String(resource.url).split('/').pop() || 'file');
		const got = await download(`/download/${LDD}/${resourceId}/${encodeURIComponent(fileName)}`);
		expect(got).toEqual(
			expect.objectContaining({
				status: 200,
				md5: resource.check_hash,
				length: resource.check_size,
			}),
		);
	});

	test('an unknown dataset is 404 {"error": "Dataset not found"}', async () => {
		const { status, json } = await call('GET', '/api/dataset/no-such-dataset');
		expect(status).toBe(404);
		expect(json).toEqual({ error: 'Dataset not found' });
		expect((await call('GET', `/api/dataset/${crypto.randomUUID()}`)).status).toBe(404);
	});

	test('readonly.auth.package_update says whether the key may edit', async () => {
		expect(
			(await call('GET', `/api/dataset/${LDD}`, { key: EDITOR })).json.readonly.auth.package_update,
		).toBe(true);
		expect(
			(await call('GET', `/api/dataset/${LDD}`, { key: ADMIN })).json.readonly.auth.package_update,
		).toBe(true);
		expect(
			(await call('GET', `/api/dataset/${LDD}`, { key: VIEWER })).json.readonly.auth.package_update,
		).toBe(false);
		expect(
			(await call('GET', `/api/dataset/${OTHER_TEAM}`, { key: EDITOR })).json.readonly.auth
				.package_update,
		).toBe(false);
	});

	test('a private dataset: hidden as 404 without a key or with an unknown key, readable by team members and admins', async () => {
		for (const key of [undefined, 'not-a-key']) {
			const hidden = await call('GET', `/api/dataset/${PRIVATE}`, { key });
			expect(hidden.status).toBe(404);
			expect(hidden.json).toEqual({ error: 'Dataset not found' });
		}
		for (const key of [EDITOR, VIEWER, ADMIN]) {
			const seen = await call('GET', `/api/dataset/${PRIVATE}`, { key });
			expect(seen.status).toBe(200);
			expect(seen.json).toEqual(expect.objectContaining({ slug: PRIVATE, sharing: 'private' }));
		}
		// A known key without membership of the dataset's team: 403 (decided in the sandbox).
		await control.addUser({
			key: 'contract-outsider-key',
			title: 'Outsider',
			email: 'outsider@example.test',
			editorOf: ['transport-team'],
		});
		const outsider = await call('GET', `/api/dataset/${PRIVATE}`, { key: 'contract-outsider-key' });
		expect(outsider.status).toBe(403);
		expect(outsider.json).toEqual({ error: expect.any(String) });
	});
});

describe('PATCH /api/dataset/:id', () => {
	test("the document's example: add /title answers the full dataset with readonly.updates", async () => {
		const dataset = await newDataset();
		const patch = [{ op: 'add', path: '/title', value: 'Dataset has a new title!' }];
		const { status, json } = await call('PATCH', `/api/dataset/${dataset.slug}`, {
			key: EDITOR,
			json: patch,
		});
		expect(status).toBe(200);
		expect(json).toEqual(
			expect.objectContaining({
				id: dataset.id,
				slug: dataset.slug,
				title: 'Dataset has a new title!',
			}),
		);
		expect(json.readonly.updates).toEqual(patch);
		expect(json.updatedAt).toBe(dataset.updatedAt);
		const after = await call('GET', `/api/dataset/${dataset.id}`);
		expect(after.json.title).toBe('Dataset has a new title!');
		expect(after.json.readonly.updates).toBeUndefined();
	});

	test('several operations (add, replace, remove, copy, move, test) apply in order; updatedAt only when patched', async () => {
		const dataset = await newDataset({ tags: ['x', 'y'], author: 'Someone' });
		const bump = new Date().toISOString();
		const patch = [
			{ op: 'test', path: '/author', value: 'Someone' },
			{ op: 'copy', from: '/author', path: '/maintainer' },
			{ op: 'move', from: '/tags/1', path: '/tags/0' },
			{ op: 'remove', path: '/author' },
			{ op: 'add', path: '/update_frequency', value: 'Weekly' },
			{ op: 'replace', path: '/updatedAt', value: bump },
		];
		const { status, json } = await call('PATCH', `/api/dataset/${dataset.slug}`, {
			key: EDITOR,
			json: patch,
		});
		expect(status).toBe(200);
		expect(json.readonly.updates).toEqual(patch);
		const after = await stored(dataset.slug);
		expect(after).toEqual(
			expect.objectContaining({
				maintainer: 'Someone',
				tags: ['y', 'x'],
				update_frequency: 'Weekly',
				updatedAt: bump,
			}),
		);
		expect(after).not.toHaveProperty('author');
	});

	test('atomic: a failing test operation is 409 and nothing of the patch is applied', async () => {
		const dataset = await newDataset();
		const before = await stored(dataset.slug);
		const { status, json } = await call('PATCH', `/api/dataset/${dataset.slug}`, {
			key: EDITOR,
			json: [
				{ op: 'replace', path: '/title', value: 'Applied first' },
				{ op: 'add', path: '/maintainer', value: 'Someone' },
				{ op: 'test', path: '/updatedAt', value: '2001-01-01T00:00:00.000Z' },
			],
		});
		expect(status).toBe(409);
		expect(json).toEqual({ error: 'Operation 2 (test /updatedAt) failed: the dataset changed' });
		expect(await stored(dataset.slug)).toEqual(before);
	});

	test('atomic: an operation that cannot apply (remove of a missing path) is 400 and nothing is applied', async () => {
		const dataset = await newDataset();
		const before = await stored(dataset.slug);
		const { status, json } = await call('PATCH', `/api/dataset/${dataset.slug}`, {
			key: EDITOR,
			json: [
				{ op: 'replace', path: '/title', value: 'Applied first' },
				{ op: 'remove', path: '/no_such_field' },
			],
		});
		expect(status).toBe(400);
		expect(json).toEqual({
			error: expect.stringMatching(/^Operation 1 \(remove \/no_such_field\): \S/),
		});
		expect(await stored(dataset.slug)).toEqual(before);
	});

	const refused = [
		['not JSON', '[{"op": '],
		['not an array', { op: 'replace', path: '/title', value: 'x' }],
		['an unknown op', [{ op: 'frobnicate', path: '/title', value: 'x' }]],
		['a path that is no JSON Pointer', [{ op: 'replace', path: 'title', value: 'x' }]],
		['a replace without a value', [{ op: 'replace', path: '/title' }]],
		['a move without from', [{ op: 'move', path: '/maintainer' }]],
		['a replace of /id', [{ op: 'replace', path: '/id', value: crypto.randomUUID() }]],
		['a remove of /id', [{ op: 'remove', path: '/id' }]],
		['a move from /id', [{ op: 'move', from: '/id', path: '/old_id' }]],
		['an add under /readonly', [{ op: 'add', path: '/readonly/auth/package_update', value: true }]],
		['a replace of /readonly', [{ op: 'replace', path: '/readonly', value: {} }]],
		['an empty title', [{ op: 'replace', path: '/title', value: '' }]],
		['a removed title', [{ op: 'remove', path: '/title' }]],
	];
	test.each(refused)(
		'400 for %s, after a valid operation, nothing applied',
		async (_name, patch) => {
			const dataset = await newDataset();
			const before = await stored(dataset.slug);
			const body = Array.isArray(patch)
				? [{ op: 'add', path: '/maintainer', value: 'Would be applied' }, ...patch]
				: patch;
			const { status, json } = await call('PATCH', `/api/dataset/${dataset.slug}`, {
				key: EDITOR,
				json: body,
			});
			expect(status).toBe(400);
			expect(json).toEqual({ error: expect.any(String) });
			expect(await stored(dataset.slug)).toEqual(before);
		},
	);

	test('rights: no key or an unknown key is refused, a viewer and an editor of another team get 403', async () => {
		const before = await stored(LDD);
		const patch = [{ op: 'replace', path: '/title', value: 'Not allowed' }];
		for (const key of [undefined, 'not-a-key']) {
			const { status, json } = await call('PATCH', `/api/dataset/${LDD}`, { key, json: patch });
			expect([401, 403]).toContain(status);
			expect(json).toEqual({ error: expect.any(String) });
		}
		const viewer = await call('PATCH', `/api/dataset/${LDD}`, { key: VIEWER, json: patch });
		expect(viewer.status).toBe(403);
		expect(viewer.json).toEqual({ error: expect.any(String) });
		expect(viewer.text).not.toContain(VIEWER);
		expect(
			(await call('PATCH', `/api/dataset/${OTHER_TEAM}`, { key: EDITOR, json: patch })).status,
		).toBe(403);
		expect(await stored(LDD)).toEqual(before);
		// An admin may edit any dataset.
		const otherBefore = await stored(OTHER_TEAM);
		const admin = await call('PATCH', `/api/dataset/${OTHER_TEAM}`, {
			key: ADMIN,
			json: [{ op: 'replace', path: '/maintainer', value: 'Admin was here' }],
		});
		expect(admin.status).toBe(200);
		await call('PATCH', `/api/dataset/${OTHER_TEAM}`, {
			key: ADMIN,
			json: [{ op: 'replace', path: '/maintainer', value: otherBefore.maintainer }],
		});
	});

	test('an unknown dataset is 404', async () => {
		const { status, json } = await call('PATCH', '/api/dataset/no-such-dataset', {
			key: EDITOR,
			json: [{ op: 'replace', path: '/title', value: 'x' }],
		});
		expect(status).toBe(404);
		expect(json).toEqual({ error: 'Dataset not found' });
	});
});

describe('POST /api/dataset', () => {
	test("the document's create call", async () => {
		const slug = `api-test-${crypto.randomBytes(3).toString('hex')}`;
		const body = {
			title: 'Created via the API',
			slug,
			parent: team('gla-demo').id,
			sharing: 'private',
			description: '...',
		};
		const { status, json } = await call('POST', '/api/dataset', { key: EDITOR, json: body });
		expect(status).toBe(200);
		expect(json).toEqual(
			expect.objectContaining({
				...body,
				id: expect.stringMatching(UUID),
				resources: {},
				createdAt: expect.any(String),
				updatedAt: expect.any(String),
			}),
		);
		expect(json.readonly).toEqual(
			expect.objectContaining({ parent: expect.objectContaining({ id: team('gla-demo').id }) }),
		);
		expect((await call('GET', `/api/dataset/${slug}`, { key: EDITOR })).json.id).toBe(json.id);
		expect((await call('GET', `/api/dataset/${json.id}`, { key: EDITOR })).json.slug).toBe(slug);
		// Private: hidden from anonymous readers.
		expect((await call('GET', `/api/dataset/${slug}`)).status).toBe(404);
		expect((await stored(slug)).title).toBe('Created via the API');
		// Without `sharing` a new dataset is private (decided in the sandbox).
		const quiet = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: { title: 'Quiet', slug: `${slug}-quiet`, parent: team('gla-demo').id },
		});
		expect(quiet.status).toBe(200);
		expect(quiet.json.sharing).toBe('private');
	});

	test('extra fields are kept; an id or readonly in the body is refused with 400 (the server sets them)', async () => {
		const slug = `extra-${crypto.randomBytes(3).toString('hex')}`;
		const base = { title: 'Extra', slug, parent: team('planning-team').id };
		const created = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: { ...base, tags: ['a', 'b'], licence: 'ogl-v3', update_frequency: 'Weekly' },
		});
		expect(created.status).toBe(200);
		expect(created.json).toEqual(
			expect.objectContaining({ tags: ['a', 'b'], licence: 'ogl-v3', update_frequency: 'Weekly' }),
		);
		expect(created.json.readonly.auth.package_update).toBe(true);

		for (const extra of [{ id: 'mine' }, { readonly: { auth: { package_update: true } } }]) {
			const refused = await call('POST', '/api/dataset', {
				key: EDITOR,
				json: { ...base, slug: `${slug}-x`, ...extra },
			});
			expect(refused.status).toBe(400);
			expect(refused.json.errors.join(' ')).toMatch(/id|readonly/);
		}
		expect((await call('GET', `/api/dataset/${slug}-x`, { key: EDITOR })).status).toBe(404);
	});

	test('validation: title, slug and parent are required, all errors listed at once', async () => {
		const { status, json } = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: { description: 'no title' },
		});
		expect(status).toBe(400);
		expect(json).toEqual({ errors: expect.any(Array) });
		expect(json.errors.length).toBeGreaterThanOrEqual(3);
		const text = json.errors.join('\n');
		expect(text).toMatch(/title/i);
		expect(text).toMatch(/slug/i);
		expect(text).toMatch(/parent/i);
	});

	test('validation: a bad slug and an unknown parent are both listed; a taken slug is refused', async () => {
		const bad = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: { title: 'Bad', slug: 'Not A Valid Slug!!', parent: 'no-such-team' },
		});
		expect(bad.status).toBe(400);
		expect(bad.json.errors.length).toBeGreaterThanOrEqual(2);
		const taken = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: { title: 'Taken', slug: LDD, parent: team('planning-team').id },
		});
		expect(taken.status).toBe(400);
		expect(taken.json.errors.join(' ')).toMatch(/slug/i);
		const sharing = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: {
				title: 'Odd sharing',
				slug: `odd-${crypto.randomBytes(3).toString('hex')}`,
				parent: team('gla-demo').id,
				sharing: 'everyone',
			},
		});
		expect(sharing.status).toBe(400);
		const notJson = await call('POST', '/api/dataset', { key: EDITOR, json: '{"title": ' });
		expect(notJson.status).toBe(400);
	});

	test('rights: editor rights on the parent team are needed', async () => {
		const body = (parent) => ({
			title: 'Rights',
			slug: `rights-${crypto.randomBytes(3).toString('hex')}`,
			parent,
		});
		expect(
			(await call('POST', '/api/dataset', { key: VIEWER, json: body(team('gla-demo').id) })).status,
		).toBe(403);
		expect(
			(await call('POST', '/api/dataset', { key: EDITOR, json: body(team('transport-team').id) }))
				.status,
		).toBe(403);
		expect([401, 403]).toContain(
			(await call('POST', '/api/dataset', { json: body(team('gla-demo').id) })).status,
		);
		expect(
			(await call('POST', '/api/dataset', { key: ADMIN, json: body(team('transport-team').id) }))
				.status,
		).toBe(200);
	});
});

describe('POST /api/dataset/:id/resources[/:resource_id] (multipart)', () => {
	test('a new file goes to the top, streamed to disk with its MD5; updates show url, check_hash, check_timestamp, title', async () => {
		const dataset = await newDataset();
		const first = bufferSource(Buffer.from('borough,count\nCamden,1\n'));
		const one = await uploadResource(dataset.slug, [
			{ name: 'title', value: 'First file' },
			{ name: 'description', value: 'About it' },
			{ name: 'file', filename: 'first.csv', contentType: 'text/csv', source: first },
		]);
		expect(one.status).toBe(200);
		const [firstId] = Object.keys(one.json.resources);
		expect(firstId).toMatch(UUID);
		expect(one.json.resources[firstId]).toEqual(
			expect.objectContaining({
				order: 0,
				title: 'First file',
				description: 'About it',
				check_hash: first.md5,
				check_size: first.size,
				check_mimetype: 'text/csv',
				check_timestamp: expect.any(String),
				url: expect.any(String),
			}),
		);
		const paths = one.json.readonly.updates.map((operation) => operation.path);
		for (const field of ['url', 'check_hash', 'check_timestamp', 'title'])
			expect(paths).toContain(`/resources/${firstId}/${field}`);
		expect(
			one.json.readonly.updates.find(
				(operation) => operation.path === `/resources/${firstId}/check_hash`,
			).value,
		).toBe(first.md5);
		expect(one.json.updatedAt).toBe(dataset.updatedAt);

		// A second upload without a title takes the file name and goes on top; the first moves down.
		const second = bufferSource(crypto.randomBytes(300 * 1024 + 5));
		const two = await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'second.bin', source: second },
		]);
		expect(two.status).toBe(200);
		const secondId = Object.keys(two.json.resources).find((id) => id !== firstId);
		expect(two.json.resources[secondId]).toEqual(
			expect.objectContaining({
				order: 0,
				title: 'second.bin',
				check_hash: second.md5,
				check_size: second.size,
			}),
		);
		expect(two.json.resources[firstId].order).toBe(1);
		expect(sortedResourceIds(await stored(dataset.slug))).toEqual([secondId, firstId]);

		for (const [id, source, name] of [
			[firstId, first, 'first.csv'],
			[secondId, second, 'second.bin'],
		]) {
			expect(await download(`/download/${dataset.slug}/${id}/${name}`)).toEqual(
				expect.objectContaining({ status: 200, md5: source.md5, length: source.size }),
			);
			const url = two.json.resources[id].url;
			if (/^https?:/.test(url)) expect((await download(url)).md5).toBe(source.md5);
		}
	});

	test('replacing a file keeps the resource id and order, takes the new bytes and a new title', async () => {
		const dataset = await newDataset();
		const added = await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'report.csv', source: bufferSource(Buffer.from('a,b\n1,2\n')) },
		]);
		const [id] = Object.keys(added.json.resources);
		const replacement = bufferSource(Buffer.from('a,b\n3,4\n5,6\n'));
		const replaced = await uploadResource(
			dataset.slug,
			[
				{ name: 'title', value: 'Report v2' },
				{ name: 'file', filename: 'report.csv', source: replacement },
			],
			EDITOR,
			id,
		);
		expect(replaced.status).toBe(200);
		expect(Object.keys(replaced.json.resources)).toEqual([id]);
		expect(replaced.json.resources[id]).toEqual(
			expect.objectContaining({
				order: 0,
				title: 'Report v2',
				check_hash: replacement.md5,
				check_size: replacement.size,
			}),
		);
		expect(replaced.json.readonly.updates.map((operation) => operation.path)).toContain(
			`/resources/${id}/check_hash`,
		);
		expect((await download(`/download/${dataset.slug}/${id}/report.csv`)).md5).toBe(
			replacement.md5,
		);

		const unknown = await uploadResource(
			dataset.slug,
			[{ name: 'file', filename: 'x.csv', source: bufferSource(Buffer.from('x')) }],
			EDITOR,
			crypto.randomUUID(),
		);
		expect(unknown.status).toBe(404);
		expect(unknown.json).toEqual({ error: expect.any(String) });
	});

	test('refusals: viewer 403, no key refused, unknown dataset 404, no file field 400 — nothing added', async () => {
		const dataset = await newDataset();
		const file = () => [
			{ name: 'file', filename: 'x.txt', source: bufferSource(Buffer.from('x')) },
		];
		const viewer = await uploadResource(dataset.slug, file(), VIEWER);
		expect(viewer.status).toBe(403);
		expect(viewer.json).toEqual({ error: expect.any(String) });
		expect([401, 403]).toContain((await uploadResource(dataset.slug, file(), null)).status);
		expect((await uploadResource(OTHER_TEAM, file(), EDITOR)).status).toBe(403);
		expect((await uploadResource('no-such-dataset', file(), EDITOR)).status).toBe(404);
		const noFile = await uploadResource(dataset.slug, [{ name: 'title', value: 'No file' }]);
		expect(noFile.status).toBe(400);
		expect(noFile.json).toEqual({ error: expect.any(String) });
		expect((await stored(dataset.slug)).resources).toEqual({});
	});

	test('a file of 100 MiB + 1 byte is refused with 413; nothing added, no partial file kept', async () => {
		expect(MAX_MULTIPART_BYTES).toBe(104857600);
		const dataset = await newDataset();
		const before = await stored(dataset.slug);
		const sizeBefore = bytesUnder(sandbox.dataDir);
		const big = generatedSource(MAX_MULTIPART_BYTES + 1);
		const answer = await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'too-big.bin', source: big },
		]);
		expect(answer.status).toBe(413);
		expect(answer.json).toEqual({ error: expect.any(String) });
		expect(await stored(dataset.slug)).toEqual(before);
		// Give an asynchronous unlink a moment; then no part of the 100 MiB may remain on disk.
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(bytesUnder(sandbox.dataDir) - sizeBefore).toBeLessThan(MIB);
	});
});

describe('presign and attach by origin (the three-step upload)', () => {
	async function presign(slug, fileName, key = EDITOR) {
		return call(
			'POST',
			`/api/dataset/${encodeURIComponent(slug)}/presign/${encodeURIComponent(fileName)}`,
			{ key },
		);
	}

	test('presign answers an S3-style POST: url on the storage host, SigV4 fields, a policy of 1 hour and 0..5 GiB', async () => {
		const dataset = await newDataset();
		const { status, json } = await presign(dataset.slug, 'Schedule 36 part 1.pdf');
		expect(status).toBe(200);
		expect(new URL(json.url).origin).toBe(new URL(sandbox.storageUrl).origin);
		// S3 form field names are case-insensitive.
		const fields = Object.fromEntries(
			Object.entries(json.fields).map(([name, value]) => [name.toLowerCase(), value]),
		);
		expect(fields).toEqual(
			expect.objectContaining({
				key: expect.stringContaining('Schedule 36 part 1.pdf'),
				policy: expect.any(String),
				'x-amz-algorithm': 'AWS4-HMAC-SHA256',
				'x-amz-credential': expect.stringMatching(/^[^/]+\/\d{8}\/[^/]+\/s3\/aws4_request$/),
				'x-amz-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
				'x-amz-signature': expect.stringMatching(/^[0-9a-f]{64}$/),
			}),
		);
		const policy = JSON.parse(Buffer.from(fields.policy, 'base64').toString('utf8'));
		const lifetime = Date.parse(policy.expiration) - Date.now();
		expect(lifetime).toBeGreaterThan(3500 * 1000);
		expect(lifetime).toBeLessThanOrEqual(3600 * 1000);
		const flat = JSON.stringify(policy.conditions);
		expect(flat).toContain(JSON.stringify(json.fields.key));
		expect(flat).toMatch(/"bucket"/);
		expect(policy.conditions).toContainEqual(['content-length-range', 0, 5 * 1024 * 1024 * 1024]);
		// Two presigns of one file name give two keys: no upload overwrites another.
		expect((await presign(dataset.slug, 'Schedule 36 part 1.pdf')).json.fields.key).not.toBe(
			json.fields.key,
		);
	});

	test('presign refusals: a viewer 403, no key refused, unknown dataset 404', async () => {
		expect((await presign(LDD, 'x.bin', VIEWER)).status).toBe(403);
		expect([401, 403]).toContain((await presign(LDD, 'x.bin', null)).status);
		expect((await presign(OTHER_TEAM, 'x.bin', EDITOR)).status).toBe(403);
		expect((await presign('no-such-dataset', 'x.bin', EDITOR)).status).toBe(404);
	});

	test("the document's three requests: presign, POST to storage (fields first, file last), PATCH by origin to the top", async () => {
		const dataset = await newDataset();
		const existing = await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'old.csv', source: bufferSource(Buffer.from('old\n')) },
		]);
		const [oldId] = Object.keys(existing.json.resources);
		const file = generatedSource(3 * MIB + 17);
		const fileName = 'Schedule 36 part 1.pdf';

		const r1 = await presign(dataset.slug, fileName);
		expect(r1.status).toBe(200);
		const r2 = await postMultipart(r1.json.url, [
			...Object.entries(r1.json.fields).map(([name, value]) => ({ name, value })),
			{ name: 'file', filename: fileName, contentType: 'application/pdf', source: file },
		]);
		expect(r2.status).toBe(204);
		expect(r2.text).toBe('');

		const bump = new Date().toISOString();
		const patch = [
			{
				op: 'add',
				path: '/resources/any_id_here',
				value: { origin: r1.json.fields.key, title: fileName, order: -1 },
			},
			{ op: 'replace', path: '/updatedAt', value: bump },
		];
		const r3 = await call('PATCH', `/api/dataset/${dataset.slug}`, { key: EDITOR, json: patch });
		expect(r3.status).toBe(200);
		expect(r3.json.resources).not.toHaveProperty('any_id_here');
		const newId = Object.keys(r3.json.resources).find((id) => id !== oldId);
		expect(newId).toMatch(UUID);
		expect(r3.json.resources[newId]).toEqual(
			expect.objectContaining({
				title: fileName,
				order: 0,
				url: expect.any(String),
				check_hash: file.md5,
				check_size: file.size,
				check_mimetype: expect.any(String),
				check_timestamp: expect.any(String),
			}),
		);
		expect(r3.json.resources[oldId].order).toBe(1);
		expect(r3.json.updatedAt).toBe(bump);
		expect(JSON.stringify(r3.json.readonly.updates)).toContain(`/resources/${newId}`);

		const got = await download(
			`/download/${dataset.slug}/${newId}/${encodeURIComponent(fileName)}`,
		);
		expect(got).toEqual(expect.objectContaining({ status: 200, md5: file.md5, length: file.size }));
		const onDisk = await control.storedObjectPath(r1.json.fields.key);
		expect(fs.statSync(onDisk).size).toBe(file.size);
	});

	test('order omitted appends at the bottom', async () => {
		const dataset = await newDataset();
		await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'a.txt', source: bufferSource(Buffer.from('a')) },
		]);
		await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'b.txt', source: bufferSource(Buffer.from('b')) },
		]);
		const r1 = await presign(dataset.slug, 'last.txt');
		const file = bufferSource(Buffer.from('last\n'));
		const r2 = await postMultipart(r1.json.url, [
			...Object.entries(r1.json.fields).map(([name, value]) => ({ name, value })),
			{ name: 'file', filename: 'last.txt', source: file },
		]);
		expect(r2.status).toBe(204);
		const r3 = await call('PATCH', `/api/dataset/${dataset.slug}`, {
			key: EDITOR,
			json: [
				{
					op: 'add',
					path: '/resources/placeholder',
					value: { origin: r1.json.fields.key, title: 'Last' },
				},
			],
		});
		expect(r3.status).toBe(200);
		const ids = sortedResourceIds(r3.json);
		expect(ids).toHaveLength(3);
		expect(r3.json.resources[ids[2]]).toEqual(
			expect.objectContaining({ title: 'Last', check_hash: file.md5 }),
		);
	});

	test('an origin that was never stored is 400 and nothing of the patch is applied', async () => {
		const dataset = await newDataset();
		const before = await stored(dataset.slug);
		const presigned = await presign(dataset.slug, 'never-uploaded.bin');
		for (const origin of [presigned.json.fields.key, 'no/such/key.bin']) {
			const { status, json } = await call('PATCH', `/api/dataset/${dataset.slug}`, {
				key: EDITOR,
				json: [
					{ op: 'replace', path: '/title', value: 'Would change' },
					{ op: 'add', path: '/resources/any_id_here', value: { origin, title: 'Ghost' } },
				],
			});
			expect(status).toBe(400);
			expect(json).toEqual({ error: expect.any(String) });
		}
		expect(await stored(dataset.slug)).toEqual(before);
	});
});

describe('GET /api/orgs and /api/whoami', () => {
	test('orgs lists the teams with UUIDs, slugs and titles', async () => {
		const { status, json } = await call('GET', '/api/orgs');
		expect(status).toBe(200);
		expect(Array.isArray(json)).toBe(true);
		for (const entry of json)
			expect(entry).toEqual(
				expect.objectContaining({
					id: expect.stringMatching(UUID),
					slug: expect.any(String),
					title: expect.any(String),
				}),
			);
		expect(json.map((entry) => entry.slug)).toEqual(
			expect.arrayContaining(['gla-demo', 'planning-team']),
		);
	});

	test("whoami gives the key's user and memberships, never the key; null for a missing or unknown key", async () => {
		const editor = await call('GET', '/api/whoami', { key: EDITOR });
		expect(editor.status).toBe(200);
		expect(editor.json).toEqual(
			expect.objectContaining({
				id: expect.any(String),
				title: expect.any(String),
				email: expect.any(String),
				admin: false,
				memberships: expect.any(Array),
			}),
		);
		const memberships = JSON.stringify(editor.json.memberships);
		expect(memberships).toContain(team('gla-demo').id);
		expect(memberships).toContain(team('planning-team').id);
		expect(editor.text).not.toContain(EDITOR);
		expect((await call('GET', '/api/whoami', { key: ADMIN })).json.admin).toBe(true);
		// The raw key only: a "Bearer" prefix makes it an unknown key.
		for (const key of [undefined, 'not-a-key', '', `Bearer ${EDITOR}`]) {
			const anonymous = await call('GET', '/api/whoami', { key });
			expect(anonymous.status).toBe(200);
			expect(anonymous.json).toBeNull();
		}
	});
});

describe('downloads', () => {
	test('unknown dataset or resource is 404; a private dataset needs a reader key', async () => {
		const dataset = (await call('GET', `/api/dataset/${LDD}`)).json;
		expect((await download(`/download/${LDD}/${crypto.randomUUID()}/x.csv`)).status).toBe(404);
		expect(
			(await download(`/download/no-such-dataset/${Object.keys(dataset.resources)[0]}/x.csv`))
				.status,
		).toBe(404);

		const created = await call('POST', '/api/dataset', {
			key: EDITOR,
			json: {
				title: 'Private download',
				slug: `private-dl-${crypto.randomBytes(3).toString('hex')}`,
				parent: team('planning-team').id,
				sharing: 'private',
			},
		});
		const source = bufferSource(Buffer.from('secret,rows\n'));
		const uploaded = await uploadResource(created.json.slug, [
			{ name: 'file', filename: 'secret.csv', source },
		]);
		const [id] = Object.keys(uploaded.json.resources);
		const urlPath = `/download/${created.json.slug}/${id}/secret.csv`;
		expect((await download(urlPath)).status).toBe(404);
		expect(await download(urlPath, VIEWER)).toEqual(
			expect.objectContaining({ status: 200, md5: source.md5 }),
		);
	});
});

describe('control', () => {
	test('requests() logs DataPress calls with status; clearLogs() empties it; control calls are not logged', async () => {
		await control.clearLogs();
		expect(await control.requests()).toEqual([]);
		await call('GET', `/api/dataset/${LDD}`);
		await call('GET', '/api/dataset/no-such-dataset');
		await call('GET', '/_sandbox/requests');
		const log = await control.requests();
		expect(log).toEqual([
			expect.objectContaining({
				at: expect.any(String),
				method: 'GET',
				path: `/api/dataset/${LDD}`,
				status: 200,
			}),
			expect.objectContaining({ method: 'GET', path: '/api/dataset/no-such-dataset', status: 404 }),
		]);
		expect(JSON.stringify(log)).not.toContain(EDITOR);
	});

	test('injectFault: status with Retry-After for the next N matching requests (path prefix and method)', async () => {
		await control.clearLogs();
		await control.injectFault({
			server: 'datapress',
			path: '/api/orgs',
			method: 'GET',
			status: 429,
			retryAfter: 7,
			times: 2,
		});
		// Another method on the path, and another path, are not affected.
		expect((await call('GET', `/api/dataset/${LDD}`)).status).toBe(200);
		const first = await call('GET', '/api/orgs');
		expect(first.status).toBe(429);
		expect(first.headers['retry-after']).toBe('7');
		expect((await call('GET', '/api/orgs')).status).toBe(429);
		expect((await call('GET', '/api/orgs')).status).toBe(200);
		expect(
			(await control.requests())
				.filter((entry) => entry.path === '/api/orgs')
				.map((entry) => entry.status),
		).toEqual([429, 429, 200]);

		await control.injectFault({
			server: 'datapress',
			path: '^/api/dataset/[^/]+$',
			method: 'PATCH',
			status: 503,
		});
		const dataset = await newDataset();
		const before = await stored(dataset.slug);
		expect(
			(
				await call('PATCH', `/api/dataset/${dataset.slug}`, {
					key: EDITOR,
					json: [{ op: 'replace', path: '/title', value: 'x' }],
				})
			).status,
		).toBe(503);
		expect(await stored(dataset.slug)).toEqual(before);
	});

	test('injectFault: a status fault on an upload leaves the dataset as it was', async () => {
		const dataset = await newDataset();
		await control.injectFault({
			server: 'datapress',
			path: `/api/dataset/${dataset.slug}/resources`,
			method: 'POST',
			status: 500,
		});
		const failed = await uploadResource(dataset.slug, [
			{ name: 'file', filename: 'x.bin', source: bufferSource(crypto.randomBytes(64 * 1024)) },
		]);
		expect(failed.status).toBe(500);
		expect((await stored(dataset.slug)).resources).toEqual({});
	});

	test('injectFault: dropAfterBytes kills a multipart upload midway; nothing is added and no partial file is kept', async () => {
		const dataset = await newDataset();
		const sizeBefore = bytesUnder(sandbox.dataDir);
		await control.injectFault({
			server: 'datapress',
			path: `/api/dataset/${dataset.slug}/resources`,
			method: 'POST',
			dropAfterBytes: 256 * 1024,
		});
		await expect(
			uploadResource(dataset.slug, [
				{ name: 'file', filename: 'cut.bin', source: generatedSource(4 * MIB) },
			]),
		).rejects.toThrow();
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect((await stored(dataset.slug)).resources).toEqual({});
		expect(bytesUnder(sandbox.dataDir) - sizeBefore).toBeLessThan(64 * 1024);
	});

	test('injectFault: drop destroys the connection without an answer; delayMs answers normally afterwards', async () => {
		await control.injectFault({ server: 'datapress', path: '/api/whoami', drop: true });
		await expect(call('GET', '/api/whoami', { key: EDITOR })).rejects.toThrow();
		expect((await call('GET', '/api/whoami', { key: EDITOR })).status).toBe(200);

		await control.injectFault({ server: 'datapress', path: '/api/whoami', delayMs: 300 });
		const started = Date.now();
		const delayed = await call('GET', '/api/whoami', { key: EDITOR });
		expect(delayed.status).toBe(200);
		expect(delayed.json.title).toEqual(expect.any(String));
		// A lower bound: the delay happened.
		expect(Date.now() - started).toBeGreaterThanOrEqual(250);
	});

	test('addUser: a new key with editor rights on one team', async () => {
		await control.addUser({
			key: 'contract-new-editor',
			title: 'New Editor',
			email: 'new@example.test',
			editorOf: ['gla-demo'],
		});
		const me = await call('GET', '/api/whoami', { key: 'contract-new-editor' });
		expect(me.json).toEqual(
			expect.objectContaining({ title: 'New Editor', email: 'new@example.test', admin: false }),
		);
		const dataset = await newDataset();
		expect(
			(
				await call('PATCH', `/api/dataset/${dataset.slug}`, {
					key: 'contract-new-editor',
					json: [{ op: 'replace', path: '/maintainer', value: 'New' }],
				})
			).status,
		).toBe(200);
		expect(
			(
				await call('PATCH', `/api/dataset/${LDD}`, {
					key: 'contract-new-editor',
					json: [{ op: 'replace', path: '/maintainer', value: 'New' }],
				})
			).status,
		).toBe(403);
	});

	test('dataset() gives the stored JSON by slug or id', async () => {
		const bySlug = await stored(LDD);
		expect(bySlug.slug).toBe(LDD);
		expect(await stored(bySlug.id)).toEqual(bySlug);
	});

	test('the same control over HTTP under /_sandbox/', async () => {
		const post = (route, json) => call('POST', `/_sandbox/${route}`, { json: json || {} });
		expect((await post('logs/clear')).status).toBe(200);
		await call('GET', '/api/orgs');
		const requests = await call('GET', '/_sandbox/requests');
		expect(requests.status).toBe(200);
		expect(requests.json).toEqual([
			expect.objectContaining({ method: 'GET', path: '/api/orgs', status: 200 }),
		]);

		expect(
			(
				await post('users', {
					key: 'contract-http-user',
					title: 'HTTP User',
					email: 'http@example.test',
					editorOf: ['gla-demo'],
				})
			).status,
		).toBe(200);
		expect((await call('GET', '/api/whoami', { key: 'contract-http-user' })).json.title).toBe(
			'HTTP User',
		);

		expect(
			(await post('faults', { server: 'datapress', path: '/api/orgs', status: 502 })).status,
		).toBe(200);
		expect((await call('GET', '/api/orgs')).status).toBe(502);
		expect((await call('GET', '/api/orgs')).status).toBe(200);

		const dataset = await call('GET', `/_sandbox/datasets/${LDD}`);
		expect(dataset.status).toBe(200);
		expect(dataset.json).toEqual(await stored(LDD));

		expect((await post('presign-expiry', { seconds: -5 })).status).toBe(200);
		const presigned = await call('POST', `/api/dataset/${LDD}/presign/x.bin`, { key: EDITOR });
		const policyField = Object.entries(presigned.json.fields).find(
			([name]) => name.toLowerCase() === 'policy',
		)[1];
		expect(
			Date.parse(JSON.parse(Buffer.from(policyField, 'base64').toString('utf8')).expiration),
		).toBeLessThan(Date.now());
		expect((await post('presign-expiry', { seconds: 3600 })).status).toBe(200);

		const storageLog = await call('GET', '/_sandbox/storage-log');
		expect(storageLog.status).toBe(200);
		expect(Array.isArray(storageLog.json)).toBe(true);

		await call('PATCH', `/api/dataset/${LDD}`, {
			key: EDITOR,
			json: [{ op: 'replace', path: '/maintainer', value: 'Before HTTP reset' }],
		});
		expect((await post('reset')).status).toBe(200);
		expect((await stored(LDD)).maintainer).not.toBe('Before HTTP reset');
		expect((await call('GET', '/api/whoami', { key: 'contract-http-user' })).json).toBeNull();
	});

	test('reset() restores the seed: edits and created datasets are gone', async () => {
		const dataset = await newDataset();
		await call('PATCH', `/api/dataset/${LDD}`, {
			key: EDITOR,
			json: [{ op: 'replace', path: '/title', value: 'Changed before reset' }],
		});
		await control.reset();
		expect((await call('GET', `/api/dataset/${LDD}`)).json.title).not.toBe('Changed before reset');
		expect((await call('GET', `/api/dataset/${dataset.slug}`)).status).toBe(404);
		expect((await call('GET', '/api/whoami', { key: EDITOR })).json).not.toBeNull();
	});
});
