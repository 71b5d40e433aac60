/**
 * London Datastore node and credential against the legacy DataPress and storage sandboxes only, in real
 * n8n-core execution contexts (real binary data service in filesystem mode) over real HTTP: what the
 * generations suite (londonDatastore.generations.test.js, run on both DataPress generations) does not
 * cover: slugs, viewer rights, every option of the patch modes, bad patches, retries, uploads on both
 * paths and at the threshold (bytes downloaded back and compared), storage failures leaving the dataset
 * untouched, and the API key kept away from the storage host and out of every error and output.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const { request } = require('undici');

const {
	runLoadOptions,
	runListSearch,
	testCredential,
	binaryItem,
	inlineBinaryItem,
	ensureBinaryDataService,
} = require('../harness/n8n');
const { datastoreRunner, uploadParameters, downloadUrl } = require('../harness/datastoreNode');
const { md5OfStream } = require('../harness/files');
const { startDatastoreSandboxes, MAX_MULTIPART_BYTES } = require('../../sandbox/datapress');
const { LondonDatastore } = require('../../nodes/LondonDatastore/LondonDatastore.node.ts');
const { LondonDatastoreApi } = require('../../credentials/LondonDatastoreApi.credentials.ts');

const EDITOR_KEY = 'ldn-node-test-EDITOR-7f3Kq9';
const VIEWER_KEY = 'ldn-node-test-VIEWER-2mX8pL';
const MIB = 1024 * 1024;

let sandbox;
let control;
let workDir;
let teams;
/** Every error and output the node produced, searched for the keys at the end. */
const produced = [];
let datasetCounter = 0;

beforeAll(async () => {
	workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldn-node-test-'));
	sandbox = await startDatastoreSandboxes({ api: 'legacy', port: 0, storagePort: 0 });
	control = sandbox.control;
	await control.addUser({
		key: EDITOR_KEY,
		title: 'Node Test Editor',
		email: 'editor@example.test',
		editorOf: ['gla-demo', 'planning-team'],
	});
	await control.addUser({
		key: VIEWER_KEY,
		title: 'Node Test Viewer',
		email: 'viewer@example.test',
		editorOf: [],
	});
	teams = await runLoadOptions(LondonDatastore, 'getTeams', {
		credentials: credentialsFor(EDITOR_KEY),
	});
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
	if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

function credentialsFor(key) {
	// A trailing slash on the Base URL is allowed and stripped.
	return { londonDatastoreApi: { apiKey: key, baseUrl: `${sandbox.url}/`, apiVersion: 'legacy' } };
}

/** Runs the node with the editor's key unless told `key`; `ok` expects success. */
const { run, ok } = datastoreRunner(({ key = EDITOR_KEY }) => credentialsFor(key), produced);

function teamId(slug) {
	const team = teams.find((option) => option.description === slug || option.name === slug);
	if (!team) throw new Error(`The sandbox has no team "${slug}" (teams: ${JSON.stringify(teams)})`);
	return team.value;
}

/** A fresh dataset of the test's own, created through the node. */
async function newDataset(extra = {}) {
	datasetCounter += 1;
	const [dataset] = await ok({
		resource: 'dataset',
		operation: 'create',
		title: `Node test dataset ${datasetCounter} ${crypto.randomBytes(3).toString('hex')}`,
		team: teamId('gla-demo'),
		sharing: 'public',
		...extra,
	});
	return dataset;
}

async function stored(slugOrId) {
	return JSON.parse(JSON.stringify(await control.dataset(slugOrId)));
}

/** Writes a file of `size` bytes in 1 MiB chunks (never whole in memory); returns its path and MD5. */
async function makeFile(name, size) {
	const filePath = path.join(workDir, name);
	const hash = crypto.createHash('md5');
	const block = crypto.randomBytes(MIB);
	async function* chunks() {
		let left = size;
		let counter = 0;
		while (left > 0) {
			const length = Math.min(left, MIB);
			const chunk = Buffer.from(block.subarray(0, length));
			// Every chunk differs, so a misplaced chunk changes the hash.
			if (length >= 4) chunk.writeUInt32BE(counter, 0);
			counter += 1;
			hash.update(chunk);
			left -= length;
			yield chunk;
		}
	}
	await pipeline(chunks, fs.createWriteStream(filePath));
	return { filePath, md5: hash.digest('hex'), size };
}

/** Downloads a resource's stored bytes back through DataPress and returns their MD5 and length. */
async function downloadedMd5(dataset, resourceId) {
	const response = await request(downloadUrl(sandbox.url, dataset, resourceId), {
		headers: { authorization: EDITOR_KEY },
	});
	expect(response.statusCode).toBe(200);
	return await md5OfStream(response.body);
}

/** Stores a file as n8n binary data for one run and removes n8n's copy afterwards (the harness keeps its folder). */
async function withStoredFile(filePath, body) {
	const item = await binaryItem(filePath);
	try {
		return await body(item);
	} finally {
		const stored = (await ensureBinaryDataService()).getPath(item.binary.data.id);
		fs.rmSync(stored, { force: true });
		fs.rmSync(`${stored}.metadata`, { force: true });
	}
}

const upload = uploadParameters;

/** Node parameters of a Dataset → Update of `datasetId` in `updateMode`. */
function datasetUpdate(datasetId, updateMode, parameters) {
	return { resource: 'dataset', operation: 'update', datasetId, updateMode, ...parameters };
}

/** A Dataset → Update by a JSON Patch given as JSON. */
function jsonPatchUpdate(datasetId, operations, options = {}) {
	return datasetUpdate(datasetId, 'jsonPatch', {
		patchInput: 'json',
		patchJson: JSON.stringify(operations),
		options,
	});
}

/** A Dataset → Update by Set Fields; `extra`: options, Other Fields (JSON). */
function setFieldsUpdate(datasetId, fields, extra = {}) {
	return datasetUpdate(datasetId, 'setFields', { fields, ...extra });
}

/** Injects a fault into DataPress's answers to `method` on `path` (a pattern). */
function faultDatapress(method, path, fault) {
	return control.injectFault({ server: 'datapress', path, method, ...fault });
}

async function storageAuthorizationSeen() {
	return (await control.storageLog()).filter((entry) => entry.hadAuthorization);
}

/** The parts of a stored dataset a failed upload must leave as they were. */
function snapshot(dataset) {
	return { updatedAt: dataset.updatedAt, resources: dataset.resources, title: dataset.title };
}

describe('credential', () => {
	test('an unknown key fails with a clear message (whoami answers null)', async () => {
		const result = await testCredential(LondonDatastoreApi, {
			apiKey: 'not-a-real-key-123',
			baseUrl: sandbox.url,
			apiVersion: 'legacy',
		});
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/does not know this API key/);
		expect(result.message).not.toContain('not-a-real-key-123');
	});

	test('an unreachable site fails the test instead of passing it', async () => {
		const result = await testCredential(LondonDatastoreApi, {
			apiKey: EDITOR_KEY,
			baseUrl: 'http://127.0.0.1:9',
		});
		expect(result.status).toBe('Error');
		expect(result.message).not.toContain(EDITOR_KEY);
	});

	test('the key is sent raw in Authorization (no Bearer prefix)', () => {
		const credential = new LondonDatastoreApi();
		expect(credential.authenticate).toEqual({
			type: 'generic',
			properties: { headers: { Authorization: '={{$credentials.apiKey}}' } },
		});
	});
});

describe('team', () => {
	test('the team dropdown is loaded from /api/orgs', async () => {
		expect(teams.length).toBeGreaterThanOrEqual(2);
		for (const option of teams)
			expect(option).toEqual(
				expect.objectContaining({ name: expect.any(String), value: expect.any(String) }),
			);
		const slugs = teams.map((option) => option.description);
		expect(slugs).toEqual(expect.arrayContaining(['gla-demo', 'planning-team']));
	});
});

describe('dataset get and create', () => {
	test('a 404 names the dataset that was not found', async () => {
		const { error } = await run({
			resource: 'dataset',
			operation: 'get',
			datasetId: 'no-such-dataset-xyz',
		});
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toContain('"no-such-dataset-xyz" not found');
		expect(String(error.httpCode)).toBe('404');
	});

	test('a private dataset is read by a team member; a key without membership gets a 403 saying so', async () => {
		const [notes] = await ok({
			resource: 'dataset',
			operation: 'get',
			datasetId: 'planning-team-working-notes',
		});
		expect(notes.sharing).toBe('private');
		const { error } = await run(
			{ resource: 'dataset', operation: 'get', datasetId: 'planning-team-working-notes' },
			{ key: VIEWER_KEY },
		);
		expect(String(error.httpCode)).toBe('403');
		expect(error.message).toBe('The API key may not read dataset "planning-team-working-notes"');
		expect(error.description).toMatch(/private/);
	});

	test('Create derives the slug from the title and sends team, sharing, description and extra fields', async () => {
		const title = `Café Planning & Permits ${crypto.randomBytes(2).toString('hex')}`;
		const [created] = await ok({
			resource: 'dataset',
			operation: 'create',
			title,
			team: teamId('planning-team'),
			sharing: 'private',
			description: '<p>Made by a test</p>',
			additionalFieldsJson: '{"tags": ["planning", "test"], "licence": "ogl-v3"}',
		});
		expect(created.slug).toMatch(/^cafe-planning-and-permits-[0-9a-f]{4}$/);
		expect(created).toEqual(
			expect.objectContaining({
				title,
				parent: teamId('planning-team'),
				sharing: 'private',
				description: '<p>Made by a test</p>',
				tags: ['planning', 'test'],
				licence: 'ogl-v3',
			}),
		);
		expect((await stored(created.slug)).id).toBe(created.id);
	});

	test("Create with a slug given keeps it; a duplicate slug shows the server's errors", async () => {
		const slug = `given-slug-${crypto.randomBytes(3).toString('hex')}`;
		const [created] = await ok({
			resource: 'dataset',
			operation: 'create',
			title: 'Given slug',
			slug,
			team: teamId('gla-demo'),
		});
		expect(created.slug).toBe(slug);
		const { error } = await run({
			resource: 'dataset',
			operation: 'create',
			title: 'Given slug again',
			slug,
			team: teamId('gla-demo'),
		});
		expect(error.constructor.name).toBe('NodeApiError');
		expect(String(error.httpCode)).toBe('400');
		expect(error.message).toMatch(/DataPress refused the request: .+/);
	});

	test('a 400 with several validation errors lists every one of them', async () => {
		const { error } = await run({
			resource: 'dataset',
			operation: 'create',
			title: 'Bad create',
			slug: 'Not A Valid Slug!!',
			team: 'no-such-team-id',
		});
		expect(String(error.httpCode)).toBe('400');
		expect(error.message).toMatch(/DataPress refused the request: .+; .+/);
		expect(error.description).toMatch(/The server listed these errors:\n- .+\n- .+/);
	});

	test('Create refuses a title with nothing to derive a slug from, sending nothing', async () => {
		await control.clearLogs();
		const { error } = await run({
			resource: 'dataset',
			operation: 'create',
			title: '!!!',
			team: teamId('gla-demo'),
		});
		expect(error.message).toMatch(/Slug is empty/);
		expect((await control.requests()).filter((entry) => entry.method === 'POST')).toEqual([]);
	});

	test('a key without editor rights gets a 403 that explains it', async () => {
		const { error } = await run(
			{
				resource: 'dataset',
				operation: 'create',
				title: 'Viewer create',
				team: teamId('gla-demo'),
			},
			{ key: VIEWER_KEY },
		);
		expect(String(error.httpCode)).toBe('403');
		expect(error.message).toMatch(/no editor rights/);
		expect(error.description).toMatch(/editor/);
	});
});

describe('dataset update', () => {
	test('JSON Patch from the UI fields, value parsed as JSON when it is JSON', async () => {
		const dataset = await newDataset();
		const [result] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.slug,
			updateMode: 'jsonPatch',
			patchInput: 'ui',
			operationsUi: {
				operation: [
					{ op: 'replace', path: '/title', value: 'New title from UI' },
					{ op: 'add', path: '/tags', value: '["a", "b"]' },
					{ op: 'add', path: '/update_frequency', value: '"42"' },
				],
			},
		});
		expect(result.changed).toBe(true);
		expect(result.dataset.title).toBe('New title from UI');
		expect(result.operations).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ op: 'replace', path: '/title', value: 'New title from UI' }),
			]),
		);
		const after = await stored(dataset.slug);
		expect(after.title).toBe('New title from UI');
		expect(after.tags).toEqual(['a', 'b']);
		expect(after.update_frequency).toBe('42');
	});

	test('JSON Patch given as JSON is sent as it is, incl. move, copy and remove', async () => {
		const dataset = await newDataset({
			additionalFieldsJson: '{"tags": ["x", "y"], "author": "Someone"}',
		});
		const patch = [
			{ op: 'copy', from: '/author', path: '/maintainer' },
			{ op: 'move', from: '/tags/1', path: '/tags/0' },
			{ op: 'remove', path: '/author' },
		];
		const [result] = await ok(jsonPatchUpdate(dataset.id, patch));
		expect(result.operations).toEqual(patch);
		const after = await stored(dataset.slug);
		expect(after.maintainer).toBe('Someone');
		expect(after.tags).toEqual(['y', 'x']);
		expect(after).not.toHaveProperty('author');
	});

	test('Set Fields sends only what differs', async () => {
		const dataset = await newDataset({
			additionalFieldsJson: '{"tags": ["one"], "licence": "ogl-v3"}',
		});
		await control.clearLogs();
		const [result] = await ok(
			setFieldsUpdate(
				dataset.slug,
				{ title: dataset.title, licence: 'ogl-v3', tags: 'one, two', maintainer: 'GLA' },
				{ fieldsJson: '{"london_smallest_geography": "Borough"}' },
			),
		);
		expect(result.changed).toBe(true);
		expect(result.operations.map((operation) => operation.path).sort()).toEqual(
			['/london_smallest_geography', '/maintainer', '/tags/1'].sort(),
		);
		const after = await stored(dataset.slug);
		expect(after.tags).toEqual(['one', 'two']);
		expect(after.maintainer).toBe('GLA');
		expect(after.london_smallest_geography).toBe('Borough');
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toHaveLength(1);
	});

	test('Set Fields with nothing different sends nothing and says so', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		const [result] = await ok(
			setFieldsUpdate(dataset.slug, { title: dataset.title, sharing: 'public' }),
		);
		expect(result.changed).toBe(false);
		expect(result.operations).toEqual([]);
		expect(result.message).toMatch(/no patch was sent/);
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toEqual([]);
	});

	const retitle = (title) => [{ op: 'replace', path: '/title', value: title }];

	test('Only If Unchanged Since applies when unchanged and gives a clear conflict after a concurrent edit', async () => {
		const dataset = await newDataset();
		const since = dataset.updatedAt;
		const [first] = await ok(
			jsonPatchUpdate(dataset.slug, retitle('First edit'), {
				onlyIfUnchangedSince: since,
				bumpUpdatedDate: true,
			}),
		);
		expect(first.dataset.title).toBe('First edit');
		expect(first.operations[0]).toEqual({ op: 'test', path: '/updatedAt', value: since });

		// The same stale date again: the dataset changed since, so the server's test operation fails (409).
		const before = await stored(dataset.slug);
		const { error } = await run(
			jsonPatchUpdate(dataset.slug, retitle('Lost edit'), { onlyIfUnchangedSince: since }),
		);
		expect(error?.constructor.name).toBe('NodeApiError');
		expect(String(error.httpCode)).toBe('409');
		expect(error.message).toContain(`was changed since ${since}`);
		expect(error.message).toContain('nothing was applied');
		expect(await stored(dataset.slug)).toEqual(before);
	});

	test('Bump Updated Date always changes the stamp, even when the stored one is ahead of this clock', async () => {
		// A stamp an hour ahead stands for a server clock ahead of ours (or an edit in the same millisecond):
		// a bump to "now" would leave it unchanged or move it back, and a stale Only If Unchanged Since would pass.
		const dataset = await newDataset();
		const ahead = new Date(Date.now() + 3600_000).toISOString();
		await ok(jsonPatchUpdate(dataset.slug, [{ op: 'replace', path: '/updatedAt', value: ahead }]));
		const [first] = await ok(
			jsonPatchUpdate(dataset.slug, retitle('First edit'), {
				onlyIfUnchangedSince: ahead,
				bumpUpdatedDate: true,
			}),
		);
		expect(first.dataset.updatedAt > ahead).toBe(true);

		const { error } = await run(
			jsonPatchUpdate(dataset.slug, retitle('Lost edit'), { onlyIfUnchangedSince: ahead }),
		);
		expect(error?.constructor.name).toBe('NodeApiError');
		expect(String(error.httpCode)).toBe('409');
		expect((await stored(dataset.slug)).title).toBe('First edit');
	});

	test('Only If Unchanged Since in Set Fields mode refuses a stale date before sending anything', async () => {
		const dataset = await newDataset();
		await ok(
			setFieldsUpdate(
				dataset.slug,
				{ maintainer: 'Someone else' },
				{ options: { bumpUpdatedDate: true } },
			),
		);
		await control.clearLogs();
		const { error } = await run(
			setFieldsUpdate(
				dataset.slug,
				{ maintainer: 'Me' },
				{ options: { onlyIfUnchangedSince: dataset.updatedAt } },
			),
		);
		expect(error.message).toContain(`was changed since ${dataset.updatedAt}`);
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toEqual([]);
		expect((await stored(dataset.slug)).maintainer).toBe('Someone else');
	});

	test('Dry Run returns the patch and the dataset as it would become, sending nothing', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		const [result] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.slug,
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: '[{"op": "replace", "path": "/title", "value": "Dry title"}]',
			options: { dryRun: true, bumpUpdatedDate: true, onlyIfUnchangedSince: dataset.updatedAt },
		});
		expect(result.dryRun).toBe(true);
		expect(result.operations.map((operation) => `${operation.op} ${operation.path}`)).toEqual([
			'test /updatedAt',
			'replace /title',
			'replace /updatedAt',
		]);
		expect(result.dataset.title).toBe('Dry title');
		expect(result.dataset.id).toBe(dataset.id);
		expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);
		expect((await stored(dataset.slug)).title).toBe(dataset.title);

		const { error } = await run(
			setFieldsUpdate(
				dataset.slug,
				{ title: 'Dry again' },
				{ options: { dryRun: true, onlyIfUnchangedSince: '2001-01-01T00:00:00.000Z' } },
			),
		);
		expect(error.message).toMatch(/was changed since 2001-01-01T00:00:00.000Z/);
	});

	const badPatches = [
		['not an array', '{"op": "replace", "path": "/title", "value": "x"}', /array/i],
		[
			'an unknown op',
			'[{"op": "frobnicate", "path": "/title", "value": "x"}]',
			/operation 1 \(frobnicate \/title\)/,
		],
		[
			'a path that is no JSON Pointer',
			'[{"op": "replace", "path": "title", "value": "x"}]',
			/operation 1/,
		],
		[
			'a replace without a value',
			'[{"op": "replace", "path": "/title"}, {"op": "remove", "path": "/x"}]',
			/operation 1 \(replace \/title\)/,
		],
		[
			'a move without from',
			'[{"op": "add", "path": "/a", "value": 1}, {"op": "move", "path": "/b"}]',
			/operation 2 \(move \/b\)/,
		],
		[
			'an operation on /id',
			'[{"op": "replace", "path": "/id", "value": "x"}]',
			/operation 1 \(replace \/id\).*\/id/,
		],
		[
			'an operation under /readonly',
			'[{"op": "add", "path": "/readonly/auth/package_update", "value": true}]',
			/operation 1 \(add \/readonly\/auth\/package_update\).*\/readonly/,
		],
		[
			'a move out of /id',
			'[{"op": "add", "path": "/a", "value": 1}, {"op": "move", "from": "/id", "path": "/y"}]',
			/operation 2 \(move \/y\).*\/id/,
		],
		[
			'a copy out of /readonly',
			'[{"op": "copy", "from": "/readonly/licence", "path": "/x"}]',
			/operation 1 \(copy \/x\).*\/readonly/,
		],
		['invalid JSON', '[{"op": ', /not valid JSON/],
	];
	test.each(badPatches)(
		'a bad patch (%s) fails the item, naming the operation, sending nothing',
		async (_name, patchJson, expected) => {
			await control.clearLogs();
			const { error } = await run({
				resource: 'dataset',
				operation: 'update',
				datasetId: 'london-development-database',
				updateMode: 'jsonPatch',
				patchInput: 'json',
				patchJson,
			});
			expect(error).toBeDefined();
			expect(error.constructor.name).toBe('NodeOperationError');
			expect(error.message).toMatch(expected);
			expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toEqual([]);
		},
	);

	test('Set Fields refuses id and readonly in Other Fields', async () => {
		const { error } = await run({
			resource: 'dataset',
			operation: 'update',
			datasetId: 'london-development-database',
			updateMode: 'setFields',
			fieldsJson: '{"id": "x"}',
		});
		expect(error.message).toMatch(/"id" cannot be set/);
	});

	test('Other Fields and Additional Fields (JSON): not JSON, or not an object, fail the item naming the field, sending nothing', async () => {
		await control.clearLogs();
		const update = (fieldsJson) => ({
			resource: 'dataset',
			operation: 'update',
			datasetId: 'london-development-database',
			updateMode: 'setFields',
			fieldsJson,
		});
		const create = (additionalFieldsJson) => ({
			resource: 'dataset',
			operation: 'create',
			title: 'Bad extra fields',
			team: teamId('gla-demo'),
			additionalFieldsJson,
		});
		for (const [parameters, message] of [
			[update('{"tags": '), /^Other Fields \(JSON\) is not valid JSON: /],
			[update('["a"]'), /^Other Fields \(JSON\) must be a JSON object of field names and values$/],
			[create('{nope}'), /^Additional Fields \(JSON\) is not valid JSON: /],
			[create('42'), /^Additional Fields \(JSON\) must be a JSON object$/],
		]) {
			const { error } = await run(parameters);
			expect(error.constructor.name).toBe('NodeOperationError');
			expect(error.message).toMatch(message);
			expect(error.context.itemIndex).toBe(0);
		}
		expect(
			(await control.requests()).filter((entry) => ['POST', 'PATCH'].includes(entry.method)),
		).toEqual([]);
	});

	test('an empty title refused by the server comes back as a 400 with its message', async () => {
		const dataset = await newDataset();
		const { error } = await run({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.slug,
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: '[{"op": "replace", "path": "/title", "value": ""}]',
		});
		expect(String(error.httpCode)).toBe('400');
		expect(error.message).toMatch(/DataPress refused the request/);
	});

	test('a viewer cannot patch: 403 explains missing editor rights, with the item index', async () => {
		const { error } = await run(
			{
				resource: 'dataset',
				operation: 'update',
				datasetId: 'london-development-database',
				updateMode: 'jsonPatch',
				patchInput: 'json',
				patchJson: '[{"op": "replace", "path": "/title", "value": "Viewer"}]',
			},
			{ key: VIEWER_KEY, items: [{ json: {} }, { json: {} }] },
		);
		expect(String(error.httpCode)).toBe('403');
		expect(error.message).toContain('no editor rights on dataset "london-development-database"');
		expect(error.description).toMatch(/editors of the dataset's team/);
		expect(error.context.itemIndex).toBe(0);
	});
});

describe('items, continueOnFail and retries', () => {
	test('without continueOnFail the error carries the failing item index', async () => {
		const items = [
			{ json: { id: 'london-development-database' } },
			{ json: { id: 'missing-dataset-def' } },
		];
		const { error } = await run(
			{ resource: 'dataset', operation: 'get', datasetId: '={{ $json.id }}' },
			{ items },
		);
		expect(error.message).toContain('"missing-dataset-def" not found');
		expect(error.context.itemIndex).toBe(1);
	});

	test('idempotent reads retry 5xx and 429 (honouring Retry-After), then succeed', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		await faultDatapress('GET', `/api/dataset/${dataset.slug}`, { status: 503, times: 2 });
		const [got] = await ok({ resource: 'dataset', operation: 'get', datasetId: dataset.slug });
		expect(got.id).toBe(dataset.id);
		const gets = (await control.requests()).filter(
			(entry) => entry.method === 'GET' && entry.path.includes(dataset.slug),
		);
		expect(gets.map((entry) => entry.status)).toEqual([503, 503, 200]);

		await control.clearLogs();
		await faultDatapress('GET', '/api/orgs', { status: 429, retryAfter: 1, times: 1 });
		const listed = await ok({ resource: 'team', operation: 'getAll', returnAll: true });
		expect(listed.length).toBeGreaterThan(0);
		expect(
			(await control.requests())
				.filter((entry) => entry.path === '/api/orgs')
				.map((entry) => entry.status),
		).toEqual([429, 200]);
	});

	test('a read that keeps failing gives up after a bounded number of retries', async () => {
		await control.clearLogs();
		await faultDatapress('GET', '/api/dataset/london-development-database', {
			status: 502,
			times: 4,
		});
		const { error } = await run({
			resource: 'dataset',
			operation: 'get',
			datasetId: 'london-development-database',
		});
		expect(String(error.httpCode)).toBe('502');
		expect(error.description).toMatch(/\(4 attempts\)/);
		const gets = (await control.requests()).filter(
			(entry) => entry.path === '/api/dataset/london-development-database',
		);
		expect(gets).toHaveLength(4);
	});

	test('a PATCH (not idempotent) is never retried', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		await faultDatapress('PATCH', `/api/dataset/${dataset.slug}`, { status: 503, times: 1 });
		const { error } = await run({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.slug,
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: '[{"op": "replace", "path": "/title", "value": "Once"}]',
		});
		expect(String(error.httpCode)).toBe('503');
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toHaveLength(1);
		expect((await stored(dataset.slug)).title).toBe(dataset.title);
	});
});

describe('file upload', () => {
	test('a small file goes multipart, streamed from the binary data store, bytes stored identically', async () => {
		const dataset = await newDataset();
		const file = await makeFile('small.csv', 300 * 1024 + 7);
		await control.clearLogs();
		const [result] = await ok(
			upload(dataset.slug, {
				options: { title: 'Small file', description: 'About it', bumpUpdatedDate: true },
			}),
			{
				items: [await binaryItem(file.filePath, { fileName: 'small.csv', mimeType: 'text/csv' })],
			},
		);
		expect(result).toEqual(
			expect.objectContaining({
				uploaded: true,
				method: 'multipart',
				bytes: file.size,
				fileName: 'small.csv',
			}),
		);
		expect(result.resource).toEqual(
			expect.objectContaining({
				title: 'Small file',
				description: 'About it',
				check_hash: file.md5,
			}),
		);
		const after = await stored(dataset.slug);
		expect(after.updatedAt).not.toBe(dataset.updatedAt);
		expect(await downloadedMd5(after, result.resourceId)).toEqual({
			md5: file.md5,
			length: file.size,
		});
		expect(await control.storageLog()).toEqual([]);
	});

	test('binary data without an id (in-memory mode) is uploaded from its buffer', async () => {
		const dataset = await newDataset();
		const bytes = crypto.randomBytes(4096);
		const [result] = await ok(upload(dataset.slug), {
			items: [inlineBinaryItem(bytes, { fileName: 'inline.bin' })],
		});
		expect(result.method).toBe('multipart');
		expect(result.resource.check_hash).toBe(crypto.createHash('md5').update(bytes).digest('hex'));
		expect(result.resource.title).toBe('inline.bin');
	});

	test("Bump Updated Date off leaves the dataset's date alone", async () => {
		const dataset = await newDataset();
		const [result] = await ok(upload(dataset.slug, { options: { bumpUpdatedDate: false } }), {
			items: [await binaryItem(Buffer.from('no bump'), { fileName: 'nobump.txt' })],
		});
		expect(result.uploaded).toBe(true);
		expect((await stored(dataset.slug)).updatedAt).toBe(dataset.updatedAt);
		const [viaStorage] = await ok(
			upload(dataset.slug, { options: { bumpUpdatedDate: false, uploadMethod: 'presigned' } }),
			{
				items: [await binaryItem(Buffer.from('no bump either'), { fileName: 'nobump2.txt' })],
			},
		);
		expect(viaStorage.operations.map((operation) => operation.path)).not.toContain('/updatedAt');
		expect((await stored(dataset.slug)).updatedAt).toBe(dataset.updatedAt);
	});

	test('position top or bottom places a new file first or last', async () => {
		const dataset = await newDataset();
		const items = async (name) => [
			await binaryItem(Buffer.from(`${name}\n`), { fileName: `${name}.txt` }),
		];
		const [first] = await ok(upload(dataset.slug), { items: await items('first') });
		const [second] = await ok(upload(dataset.slug, { options: { position: 'top' } }), {
			items: await items('second'),
		});
		const [third] = await ok(upload(dataset.slug, { options: { position: 'bottom' } }), {
			items: await items('third'),
		});
		const [fourth] = await ok(
			upload(dataset.slug, { options: { position: 'bottom', uploadMethod: 'presigned' } }),
			{
				items: await items('fourth'),
			},
		);
		const [fifth] = await ok(
			upload(dataset.slug, { options: { position: 'top', uploadMethod: 'presigned' } }),
			{
				items: await items('fifth'),
			},
		);
		const after = await stored(dataset.slug);
		const ordered = Object.entries(after.resources)
			.sort(([, a], [, b]) => a.order - b.order)
			.map(([id]) => id);
		expect(ordered[0]).toBe(fifth.resourceId);
		expect(ordered[1]).toBe(second.resourceId);
		expect(ordered.slice(-2)).toEqual([third.resourceId, fourth.resourceId]);
		expect(ordered).toContain(first.resourceId);
	});

	test('a small file forced onto the presigned path: three steps, no key at the storage host, bytes identical', async () => {
		const dataset = await newDataset();
		const file = await makeFile('forced.bin', 2 * MIB + 13);
		await control.clearLogs();
		const [result] = await ok(
			upload(dataset.slug, { options: { uploadMethod: 'presigned', title: 'Forced' } }),
			{
				items: [await binaryItem(file.filePath)],
			},
		);
		expect(result.method).toBe('presigned');
		expect(result.resource).toEqual(
			expect.objectContaining({ title: 'Forced', check_hash: file.md5 }),
		);
		const calls = (await control.requests()).map((entry) => `${entry.method} ${entry.path}`);
		expect(calls).toEqual(
			expect.arrayContaining([
				`POST /api/dataset/${dataset.slug}/presign/forced.bin`,
				`PATCH /api/dataset/${dataset.slug}`,
			]),
		);
		expect(calls.filter((call) => call.includes('/resources'))).toEqual([]);
		const storageCalls = await control.storageLog();
		expect(storageCalls.length).toBeGreaterThan(0);
		expect(storageCalls.every((entry) => entry.hadAuthorization === false)).toBe(true);
		const after = await stored(dataset.slug);
		expect(await downloadedMd5(after, result.resourceId)).toEqual({
			md5: file.md5,
			length: file.size,
		});
	});

	test('at the threshold: exactly 10^8 bytes go multipart, one byte more takes the large-file path; both stored identically', async () => {
		expect(MAX_MULTIPART_BYTES).toBe(100 * MIB);
		const dataset = await newDataset();
		const atLimit = await makeFile('at-limit.bin', 100_000_000);
		const [multipart] = await withStoredFile(
			atLimit.filePath,
			async (item) => await ok(upload(dataset.slug), { items: [item] }),
		);
		expect(multipart.method).toBe('multipart');
		expect(multipart.resource.check_hash).toBe(atLimit.md5);
		fs.rmSync(atLimit.filePath);

		const overLimit = await makeFile('over-limit.bin', MAX_MULTIPART_BYTES + 1);
		// Between 10^8 and 100 MiB: Automatic takes the large-file path (a site may mean 10^8 by 100 MB).
		expect(overLimit.size).toBeGreaterThan(100_000_001);
		await withStoredFile(overLimit.filePath, async (item) => {
			await control.clearLogs();
			const [presigned] = await ok(upload(dataset.slug), { items: [item] });
			expect(presigned.method).toBe('presigned');
			expect(presigned.resource.check_hash).toBe(overLimit.md5);
			expect(await storageAuthorizationSeen()).toEqual([]);

			// Forcing multipart on the larger file is refused before anything is sent.
			await control.clearLogs();
			const { error } = await run(
				upload(dataset.slug, { options: { uploadMethod: 'multipart' } }),
				{ items: [item] },
			);
			expect(error.message).toMatch(/at most 104857600/);
			expect(error.description).toMatch(/Automatic or Large File/);
			expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);
			overLimit.resourceId = presigned.resourceId;
		});

		const after = await stored(dataset.slug);
		expect(await downloadedMd5(after, multipart.resourceId)).toEqual({
			md5: atLimit.md5,
			length: atLimit.size,
		});
		expect(await downloadedMd5(after, overLimit.resourceId)).toEqual({
			md5: overLimit.md5,
			length: overLimit.size,
		});
		fs.rmSync(overLimit.filePath);
	});

	test('file names with spaces and non-ASCII letters survive both paths', async () => {
		const dataset = await newDataset();
		const fileName = 'Schedule 36 – part 1 (Café).csv';
		const bytes = Buffer.from('a,b\n1,2\n');
		for (const uploadMethod of ['multipart', 'presigned']) {
			const [result] = await ok(upload(dataset.slug, { options: { uploadMethod } }), {
				items: [await binaryItem(bytes, { fileName, mimeType: 'text/csv' })],
			});
			expect(result.fileName).toBe(fileName);
			expect(result.resource.title).toBe(fileName);
			const after = await stored(dataset.slug);
			expect(decodeURIComponent(after.resources[result.resourceId].url.split('/').pop())).toBe(
				fileName,
			);
			// Read from the sandbox's disk: its download route cannot yet send a non-ASCII name in Content-Disposition.
			const storedBytes = fs.readFileSync(
				await control.resourceFilePath(dataset.slug, result.resourceId),
			);
			expect(storedBytes.equals(bytes)).toBe(true);
		}
	});

	test('replacing an unknown resource fails before any byte is sent', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		const { error } = await run(
			upload(dataset.slug, { uploadMode: 'replace', resourceId: 'no-such-resource' }),
			{
				items: [await binaryItem(Buffer.from('x'))],
			},
		);
		expect(error.message).toContain('"no-such-resource" not found in dataset');
		expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);
	});

	test('a missing binary property fails the item naming the property', async () => {
		const { error } = await run(
			upload('london-development-database', { binaryPropertyName: 'attachment' }),
			{
				items: [await binaryItem(Buffer.from('x'))],
			},
		);
		expect(error.message).toMatch(/attachment/);
	});

	test('a refused presign (step 1) says so and sends nothing to storage', async () => {
		await control.clearLogs();
		const { error } = await run(
			upload('london-development-database', { options: { uploadMethod: 'presigned' } }),
			{
				key: VIEWER_KEY,
				items: [await binaryItem(Buffer.from('x'))],
			},
		);
		expect(String(error.httpCode)).toBe('403');
		expect(error.message).toMatch(
			/^Upload step 1 of 3 \(presign\) failed: The API key has no editor rights/,
		);
		expect(error.description).toMatch(/Nothing was uploaded/);
		expect(await control.storageLog()).toEqual([]);
	});

	test('a viewer cannot upload: 403 explains editor rights', async () => {
		const { error } = await run(upload('london-development-database'), {
			key: VIEWER_KEY,
			items: [await binaryItem(Buffer.from('x'))],
		});
		expect(String(error.httpCode)).toBe('403');
		expect(error.description).toMatch(/editors/);
	});
});

describe('storage failures leave the dataset unpatched and name the step', () => {
	async function failingUpload(setup, expected) {
		const dataset = await newDataset();
		const file = await makeFile(`fail-${datasetCounter}.bin`, 512 * 1024);
		const before = snapshot(await stored(dataset.slug));
		await control.clearLogs();
		await setup(dataset);
		const { error } = await run(upload(dataset.slug, { options: { uploadMethod: 'presigned' } }), {
			items: [await binaryItem(file.filePath)],
		});
		expect(error).toBeDefined();
		expect(error.message).toMatch(/^Upload step 2 of 3 \(storage\) failed: /);
		expect(error.message).toMatch(expected);
		expect(error.description).toMatch(/dataset was not patched/);
		expect(snapshot(await stored(dataset.slug))).toEqual(before);
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toEqual([]);
		expect(await storageAuthorizationSeen()).toEqual([]);
		return error;
	}

	afterEach(async () => {
		await control.setPresignExpirySeconds(3600);
	});

	test('an expired policy', async () => {
		await failingUpload(() => control.setPresignExpirySeconds(-10), /policy had expired/);
	});

	test('a 5xx from the storage host (not retried: the body is a stream)', async () => {
		await failingUpload(
			() => control.injectFault({ server: 'storage', status: 503, times: 1 }),
			/storage answered HTTP 503/,
		);
		expect((await control.storageLog()).filter((entry) => entry.method === 'POST')).toHaveLength(1);
	});

	test('a connection dropped mid-upload', async () => {
		await failingUpload(
			() => control.injectFault({ server: 'storage', dropAfterBytes: 64 * 1024, times: 1 }),
			/storage host could not be reached: the connection was dropped/,
		);
	});

	test('a file larger than the policy allows (5 GiB) is refused before a byte goes to storage', async () => {
		// A stored binary grown in place to 5 GiB + 1 as a sparse file (no disk used, nothing copied).
		const item = await binaryItem(Buffer.from('tiny'), { fileName: 'huge.bin' });
		const service = await ensureBinaryDataService();
		const filePath = service.getPath(item.binary.data.id);
		const size = 5 * 1024 * MIB + 1;
		fs.truncateSync(filePath, size);
		const metadataPath = `${filePath}.metadata`;
		fs.writeFileSync(
			metadataPath,
			JSON.stringify({ ...JSON.parse(fs.readFileSync(metadataPath, 'utf8')), fileSize: size }),
		);

		const dataset = await newDataset();
		const before = snapshot(await stored(dataset.slug));
		await control.clearLogs();
		const { error } = await run(upload(dataset.slug), { items: [item] });
		fs.rmSync(filePath, { force: true });
		expect(error.message).toBe(
			`Upload step 2 of 3 (storage) failed: the storage policy allows at most ${5 * 1024 * MIB} bytes and the file has ${size}`,
		);
		expect(error.description).toMatch(/dataset was not patched/);
		expect(await control.storageLog()).toEqual([]);
		expect((await control.requests()).map((entry) => entry.method)).toEqual(['GET', 'POST']);
		expect(snapshot(await stored(dataset.slug))).toEqual(before);
	});

	test('the multipart path: a 5xx leaves the dataset as it was', async () => {
		const dataset = await newDataset();
		const before = snapshot(await stored(dataset.slug));
		await faultDatapress('POST', `/api/dataset/${dataset.slug}/resources`, {
			status: 500,
			times: 1,
		});
		const { error } = await run(upload(dataset.slug), {
			items: [await binaryItem(crypto.randomBytes(1000))],
		});
		expect(String(error.httpCode)).toBe('500');
		expect(snapshot(await stored(dataset.slug))).toEqual(before);
	});

	test('the multipart path: a dropped connection says there was no answer and leaves the dataset as it was', async () => {
		const dataset = await newDataset();
		const before = snapshot(await stored(dataset.slug));
		await faultDatapress('POST', `/api/dataset/${dataset.slug}/resources`, {
			drop: true,
			times: 1,
		});
		const { error } = await run(upload(dataset.slug), {
			items: [await binaryItem(crypto.randomBytes(256 * 1024))],
		});
		await control.clearFaults();
		expect(error.message).toMatch(
			/^Upload step 1 of 2 \(file to DataPress\) failed: DataPress could not be reached: the connection was dropped$/,
		);
		expect(error.description).toMatch(
			/POST \/api\/dataset\/.+\/resources got no answer \(E[A-Z]+\)/,
		);
		// The upload is never repeated: the file may have arrived before the connection dropped.
		expect(error.description).toMatch(/may have been applied/);
		expect(snapshot(await stored(dataset.slug))).toEqual(before);
	});

	test('the multipart path: the file arrived but the follow-up patch failed, and the error says so', async () => {
		const dataset = await newDataset();
		await faultDatapress('PATCH', `/api/dataset/${dataset.slug}`, { status: 500, times: 1 });
		const { error } = await run(
			upload(dataset.slug, { options: { description: 'Monthly extract' } }),
			{
				items: [await binaryItem(Buffer.from('a,b\n1,2\n'), { fileName: 'extract.csv' })],
			},
		);
		await control.clearFaults();
		expect(error.message).toBe(
			'Upload step 2 of 2 (description, position and date by patch) failed: DataPress failed with HTTP 500: Injected HTTP 500',
		);
		expect(error.description).toMatch(
			/"extract.csv" is already in the dataset as resource ".+": only its description, position or the dataset's updated date were not set/,
		);
		const resources = Object.values((await stored(dataset.slug)).resources);
		expect(resources.map((resource) => resource.title)).toEqual(['extract.csv']);
	});

	test.each([['multipart'], ['presigned']])(
		'a quote or slash in the file name gives the same name on the %s path',
		async (uploadMethod) => {
			const dataset = await newDataset();
			const [result] = await ok(upload(dataset.slug, { options: { uploadMethod } }), {
				items: [await binaryItem(Buffer.from('x'), { fileName: 'q"1/2\\3.csv' })],
			});
			expect(result.fileName).toBe('q_1_2_3.csv');
			expect(result.resource.title).toBe('q_1_2_3.csv');
			expect(decodeURIComponent(String(result.resource.url).split('/').pop())).toBe('q_1_2_3.csv');
		},
	);

	test('the attach patch failing says the file is in storage but not listed', async () => {
		const dataset = await newDataset();
		await faultDatapress('PATCH', `/api/dataset/${dataset.slug}`, { status: 500, times: 1 });
		const { error } = await run(upload(dataset.slug, { options: { uploadMethod: 'presigned' } }), {
			items: [await binaryItem(crypto.randomBytes(1000), { fileName: 'x.bin' })],
		});
		expect(error.message).toMatch(/^Upload step 3 of 3 \(attach by patch\) failed: /);
		expect(error.description).toMatch(/is in storage as ".+" but the dataset does not list it/);
	});
});

describe('file update and delete', () => {
	test('Update changes title, description and order by a patch of /resources/:id; Delete removes it', async () => {
		const dataset = await newDataset();
		const [a] = await ok(upload(dataset.slug, { options: { title: 'A' } }), {
			items: [await binaryItem(Buffer.from('a'))],
		});
		const [b] = await ok(upload(dataset.slug, { options: { title: 'B' } }), {
			items: [await binaryItem(Buffer.from('b'))],
		});
		const { results: options } = await runListSearch(LondonDatastore, 'searchFiles', {
			parameters: { resource: 'file', operation: 'update', datasetId: dataset.slug },
			credentials: credentialsFor(EDITOR_KEY),
		});
		expect(options.map((option) => option.value).sort()).toEqual(
			[a.resourceId, b.resourceId].sort(),
		);

		await control.clearLogs();
		const [updated] = await ok({
			resource: 'file',
			operation: 'update',
			datasetId: dataset.slug,
			resourceId: a.resourceId,
			updateFields: { title: 'A renamed', description: 'Now described', order: 5 },
		});
		expect(updated.resource).toEqual(
			expect.objectContaining({ title: 'A renamed', description: 'Now described', order: 5 }),
		);
		expect(
			updated.operations.every((operation) =>
				operation.path.startsWith(`/resources/${a.resourceId}/`),
			),
		).toBe(true);
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toHaveLength(1);

		const { error: emptyTitle } = await run({
			resource: 'file',
			operation: 'update',
			datasetId: dataset.slug,
			resourceId: a.resourceId,
			updateFields: { title: '  ' },
		});
		expect(emptyTitle.message).toMatch(/Title must not be empty/);

		const [deleted] = await ok({
			resource: 'file',
			operation: 'delete',
			datasetId: dataset.slug,
			resourceId: b.resourceId,
		});
		expect(deleted).toEqual(
			expect.objectContaining({ deleted: true, resourceId: b.resourceId, title: 'B' }),
		);
		const after = await stored(dataset.slug);
		expect(Object.keys(after.resources)).toEqual([a.resourceId]);

		const { error } = await run({
			resource: 'file',
			operation: 'delete',
			datasetId: dataset.slug,
			resourceId: b.resourceId,
		});
		expect(error.message).toContain(`"${b.resourceId}" not found in dataset "${dataset.slug}"`);
	});
});

describe('the API key', () => {
	test('never reached the storage host', async () => {
		const log = await control.storageLog();
		expect(log.filter((entry) => entry.hadAuthorization)).toEqual([]);
	});

	test('is in none of the errors or outputs the node produced', () => {
		expect(produced.length).toBeGreaterThan(40);
		for (const text of produced) {
			expect(text).not.toContain(EDITOR_KEY);
			expect(text).not.toContain(VIEWER_KEY);
		}
	});
});

describe('node description', () => {
	test('is usable as a tool, with light and dark icons and the credential', () => {
		const { description } = new LondonDatastore();
		expect(description.usableAsTool).toBe(true);
		expect(description.icon.light).not.toBe(description.icon.dark);
		expect(description.credentials).toEqual([
			{ name: 'londonDatastoreApi', required: true, testedBy: 'londonDatastoreApiTest' },
		]);
		expect(typeof new LondonDatastore().methods.credentialTest.londonDatastoreApiTest).toBe(
			'function',
		);
	});
});
