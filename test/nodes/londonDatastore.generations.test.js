/**
 * The London Datastore node against both DataPress generations, one suite run twice (DataPress 4, what
 * data.london.gov.uk serves, and the legacy API), each in real n8n-core contexts against its sandbox over
 * real HTTP. The credential's API Version is Automatic: the node finds the generation itself. Every
 * operation, both large-file paths (chunked on DataPress 4, presigned on legacy) with the bytes read back
 * identical, Skip If Unchanged by MD5 and by multipart ETag, and each chunk failure. Legacy-only details
 * (the storage host, its policy) are in londonDatastore.test.js.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { request } = require('undici');

const {
	runLoadOptions,
	runListSearch,
	testCredential,
	binaryItem,
	serializeError,
	ensureBinaryDataService,
} = require('../harness/n8n');
const { datastoreRunner, uploadParameters, downloadUrl } = require('../harness/datastoreNode');
const { md5OfStream } = require('../harness/files');
const { startDatastoreSandboxes } = require('../../sandbox/datapress');
const { LondonDatastore } = require('../../nodes/LondonDatastore/LondonDatastore.node.ts');
const { LondonDatastoreApi } = require('../../credentials/LondonDatastoreApi.credentials.ts');

const KEY = 'demo-editor-key';
const MIB = 1024 * 1024;
/** A download large enough that holding it in memory would show; streamed to the binary data store. */
const LARGE_DOWNLOAD_BYTES = 50 * MIB + 7;
/** Three parts of DataPress 4's chunked upload: 5 MiB, 5 MiB and the rest. */
const LARGE_TEST_BYTES = 11 * MIB + 321;

const md5 = (buffer) => crypto.createHash('md5').update(buffer).digest('hex');

describe.each([['v4'], ['legacy']])('DataPress generation %s', (api) => {
	let sandbox;
	let control;
	let team;
	const produced = [];
	const credentials = (extra = {}) => ({
		londonDatastoreApi: { apiKey: KEY, baseUrl: sandbox.url, apiVersion: 'auto', ...extra },
	});
	/** How each generation names the large-file path. */
	const largePath = api === 'v4' ? 'chunked' : 'presigned';

	beforeAll(async () => {
		sandbox = await startDatastoreSandboxes({ api, port: 0, storagePort: 0 });
		control = sandbox.control;
		const teams = await runLoadOptions(LondonDatastore, 'getTeams', { credentials: credentials() });
		// A team the demo editor edits in each seed.
		team = teams.find(
			(option) => option.name === 'GLA Planning' || option.description === 'planning-team',
		).value;
	});

	afterAll(async () => {
		await sandbox?.close();
	});

	/** `extra` in the options goes into the credential. */
	const { run, ok } = datastoreRunner(({ extra }) => credentials(extra), produced);

	async function newDataset() {
		const [dataset] = await ok({
			resource: 'dataset',
			operation: 'create',
			title: `Generations test ${crypto.randomBytes(3).toString('hex')}`,
			team,
			masthead: api === 'v4' ? 'gla-planning' : '',
		});
		return dataset;
	}

	const stored = async (id) => JSON.parse(JSON.stringify(await control.dataset(id)));
	const hashOf = (resource) => resource.hash ?? resource.check_hash;
	const upload = uploadParameters;

	/** The file of a resource as the site serves it, by its download address. */
	async function downloaded(datasetId, resourceId) {
		const dataset = await stored(datasetId);
		const response = await request(downloadUrl(sandbox.url, dataset, resourceId), {
			headers: { authorization: KEY },
		});
		expect(response.statusCode).toBe(200);
		return Buffer.from(await response.body.arrayBuffer());
	}

	test.each([['auto'], [api]])(
		'the credential test passes with API Version %s, and asks whoami as the node does',
		async (apiVersion) => {
			await control.clearLogs();
			const result = await testCredential(LondonDatastoreApi, {
				apiKey: KEY,
				// A trailing slash on the Base URL is allowed and stripped.
				baseUrl: `${sandbox.url}/`,
				apiVersion,
			});
			expect(result).toEqual({
				status: 'OK',
				message: `Connection successful: a ${api === 'v4' ? 'DataPress 4' : 'legacy DataPress'} site that knows this key`,
			});
			// Automatic on a legacy site: DataPress 4's whoami answers 404, then the legacy one is asked.
			const asked = (await control.requests()).map((entry) => `${entry.method} ${entry.path}`);
			expect(asked).toEqual(
				api === 'legacy' && apiVersion === 'auto'
					? ['GET /api/v3/whoami', 'GET /api/whoami']
					: [`GET ${api === 'v4' ? '/api/v3/whoami' : '/api/whoami'}`],
			);
		},
	);

	test('the credential test with an unknown key fails with the clear message under Automatic', async () => {
		const result = await testCredential(LondonDatastoreApi, {
			apiKey: 'not-a-real-key-123',
			baseUrl: sandbox.url,
		});
		expect(result).toEqual({
			status: 'Error',
			message: `DataPress does not know this API key: GET ${api === 'v4' ? '/api/v3/whoami' : '/api/whoami'} answered null. Copy the key from your profile page on the site.`,
		});
	});

	test('the generation is asked once per execution, not once per item', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		const items = [{ json: {} }, { json: {} }, { json: {} }];
		const { output } = await run(
			{ resource: 'dataset', operation: 'get', datasetId: dataset.id },
			{ items },
		);
		expect(output[0].map((item) => item.json.id)).toEqual([dataset.id, dataset.id, dataset.id]);
		const whoami = (await control.requests()).filter((entry) => entry.path === '/api/v3/whoami');
		expect(whoami).toHaveLength(1);
		const gets = (await control.requests()).filter(
			(entry) => entry.method === 'GET' && entry.path.includes(dataset.id),
		);
		expect(
			gets.every(
				(entry) =>
					entry.path ===
					(api === 'v4' ? `/api/v3/dataset/${dataset.id}` : `/api/dataset/${dataset.id}`),
			),
		).toBe(true);
	});

	test('Create: private unless told otherwise, in the chosen team; Get returns it', async () => {
		const dataset = await newDataset();
		expect(dataset.sharing).toBe('private');
		expect(dataset[api === 'v4' ? 'team' : 'parent']).toBe(team);
		if (api === 'v4') expect(dataset.masthead).toBe('gla-planning');
		const [read] = await ok({ resource: 'dataset', operation: 'get', datasetId: dataset.id });
		expect(read.id).toBe(dataset.id);
		expect(read.title).toBe(dataset.title);
	});

	test("Create without a masthead: DataPress 4 refuses locally, naming the site's mastheads; legacy needs none", async () => {
		const mastheads = await runLoadOptions(LondonDatastore, 'getMastheads', {
			credentials: credentials(),
		});
		const parameters = {
			resource: 'dataset',
			operation: 'create',
			title: `No masthead ${crypto.randomBytes(2).toString('hex')}`,
			team,
		};
		if (api === 'v4') {
			expect(mastheads.map((option) => option.value)).toEqual(
				expect.arrayContaining(['gla-planning', 'gla']),
			);
			await control.clearLogs();
			const { error } = await run(parameters);
			expect(error.message).toBe('Invalid "Masthead": DataPress 4 needs one for a new dataset');
			expect(error.description).toMatch(/gla-planning/);
			expect((await control.requests()).filter((entry) => entry.method === 'POST')).toEqual([]);
		} else {
			expect(mastheads).toEqual([{ name: '(None: Not Used on This Site)', value: '' }]);
			const [created] = await ok(parameters);
			expect(created.id).toBeDefined();
		}
	});

	test('Create with a description and Additional Fields (JSON); File Update of description and order', async () => {
		const [dataset] = await ok({
			resource: 'dataset',
			operation: 'create',
			title: `Described ${crypto.randomBytes(2).toString('hex')}`,
			team,
			masthead: api === 'v4' ? 'gla-planning' : '',
			description: '<p>What it holds</p>',
			additionalFieldsJson: '{"tags": ["planning", "extract"]}',
		});
		const created = await stored(dataset.id);
		expect(created.description).toBe('<p>What it holds</p>');
		expect(created.tags).toEqual(['planning', 'extract']);
		const [a] = await ok(upload(dataset.id, { options: { title: 'A' } }), {
			items: [await binaryItem(Buffer.from('a'), { fileName: 'a.csv' })],
		});
		const [b] = await ok(upload(dataset.id, { options: { title: 'B' } }), {
			items: [await binaryItem(Buffer.from('b'), { fileName: 'b.csv' })],
		});
		const [moved] = await ok({
			resource: 'file',
			operation: 'update',
			datasetId: dataset.id,
			resourceId: b.resourceId,
			updateFields: { description: 'Moved down', order: 5 },
		});
		expect(moved.resource.description).toBe('Moved down');
		const after = await stored(dataset.id);
		expect(Number(after.resources[b.resourceId].order)).toBeGreaterThan(
			Number(after.resources[a.resourceId].order),
		);
	});

	test('Team Get Many lists the teams with their ids', async () => {
		const teams = await ok({ resource: 'team', operation: 'getAll', returnAll: true });
		expect(teams.map((entry) => entry.id)).toContain(team);
		const limited = await ok({ resource: 'team', operation: 'getAll', returnAll: false, limit: 2 });
		expect(limited).toEqual(teams.slice(0, 2));
	});

	test('Update: a JSON Patch, and Set Fields mapped to where the generation keeps each field', async () => {
		const dataset = await newDataset();
		const [patched] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: JSON.stringify([{ op: 'replace', path: '/title', value: 'Patched title' }]),
		});
		expect(patched.dataset.title).toBe('Patched title');
		const [set] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'setFields',
			fields: {
				description: '<p>Monthly</p>',
				maintainer: 'Data Team',
				maintainer_email: 'data@example.org',
				update_frequency: 'Monthly',
			},
		});
		const after = await stored(dataset.id);
		expect(after.description).toBe('<p>Monthly</p>');
		if (api === 'v4') {
			expect(after.contact).toEqual(
				expect.objectContaining({ title: 'Data Team', email: 'data@example.org' }),
			);
			expect(after.custom.update_frequency).toBe('Monthly');
		} else {
			expect(after).toEqual(
				expect.objectContaining({
					maintainer: 'Data Team',
					maintainer_email: 'data@example.org',
					update_frequency: 'Monthly',
				}),
			);
		}
		expect(set.changed).toBe(true);
	});

	test('Only If Unchanged Since: the second writer holding the same stamp gets a conflict', async () => {
		const dataset = await newDataset();
		const patch = (title) => ({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: JSON.stringify([{ op: 'replace', path: '/title', value: title }]),
			options: { onlyIfUnchangedSince: dataset.updatedAt },
		});
		const [first] = await ok(patch('First writer'));
		// The stamp moved although Bump Updated Date is off: that is what makes the second writer's test fail.
		expect(first.dataset.updatedAt > dataset.updatedAt).toBe(true);
		const { error } = await run(patch('Second writer'));
		expect(String(error.httpCode)).toBe('409');
		expect((await stored(dataset.id)).title).toBe('First writer');
	});

	test('Upload, replace, Skip If Unchanged, File Update and Delete with the bytes read back identical', async () => {
		const dataset = await newDataset();
		const first = crypto.randomBytes(200 * 1024);
		const [added] = await ok(upload(dataset.id, { options: { title: 'Monthly report' } }), {
			items: [await binaryItem(first, { fileName: 'monthly.csv' })],
		});
		expect(added.method).toBe('multipart');
		expect((await downloaded(dataset.id, added.resourceId)).equals(first)).toBe(true);
		expect(hashOf(added.resource)).toBe(md5(first));

		await control.clearLogs();
		const replace = upload(dataset.id, {
			uploadMode: 'replace',
			resourceId: added.resourceId,
			options: { skipIfUnchanged: true },
		});
		const [skipped] = await ok(replace, {
			items: [await binaryItem(first, { fileName: 'monthly.csv' })],
		});
		expect(skipped).toEqual(
			expect.objectContaining({
				uploaded: false,
				skipped: true,
				md5: md5(first),
				resourceId: added.resourceId,
			}),
		);
		expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);
		if (api === 'legacy') expect(await control.storageLog()).toEqual([]);

		const second = crypto.randomBytes(150 * 1024);
		const [replaced] = await ok(replace, {
			items: [await binaryItem(second, { fileName: 'monthly.csv' })],
		});
		expect(replaced).toEqual(
			expect.objectContaining({
				uploaded: true,
				method: 'multipart',
				resourceId: added.resourceId,
			}),
		);
		expect((await stored(dataset.id)).resources[added.resourceId].title).toBe('Monthly report');
		expect((await downloaded(dataset.id, added.resourceId)).equals(second)).toBe(true);

		const [updated] = await ok({
			resource: 'file',
			operation: 'update',
			datasetId: dataset.id,
			resourceId: added.resourceId,
			updateFields: { title: 'Monthly (renamed)' },
		});
		expect(updated.resource.title).toBe('Monthly (renamed)');
		const [deleted] = await ok({
			resource: 'file',
			operation: 'delete',
			datasetId: dataset.id,
			resourceId: added.resourceId,
		});
		expect(deleted.deleted).toBe(true);
		expect(Object.keys((await stored(dataset.id)).resources)).toEqual([]);
	});

	test(`the large-file path (${largePath}): the bytes arrive identical, the title and description set`, async () => {
		const dataset = await newDataset();
		const content = crypto.randomBytes(LARGE_TEST_BYTES);
		const [result] = await ok(
			upload(dataset.id, { options: { uploadMethod: 'presigned', description: 'Large file' } }),
			{
				items: [await binaryItem(content, { fileName: 'large.bin' })],
			},
		);
		expect(result.method).toBe(largePath);
		expect(result.resource.title).toBe('large.bin');
		expect(result.resource.description).toBe('Large file');
		expect((await downloaded(dataset.id, result.resourceId)).equals(content)).toBe(true);
		if (api === 'v4') {
			const chunks = (await control.requests()).filter((entry) =>
				/\/api\/v3\/upload\/[^/]+\/chunk$/.test(entry.path),
			);
			expect(chunks).toHaveLength(3);
			expect(hashOf(result.resource)).toMatch(/-3$/);
		}
	});

	if (api === 'v4') {
		test('Skip If Unchanged compares a multipart ETag: the same bytes are skipped, others uploaded', async () => {
			const dataset = await newDataset();
			const content = crypto.randomBytes(LARGE_TEST_BYTES);
			const [added] = await ok(upload(dataset.id, { options: { uploadMethod: 'presigned' } }), {
				items: [await binaryItem(content, { fileName: 'etag.bin' })],
			});
			expect(hashOf(added.resource)).toMatch(/^[0-9a-f]{32}-3$/);
			const replace = upload(dataset.id, {
				uploadMode: 'replace',
				resourceId: added.resourceId,
				options: { skipIfUnchanged: true },
			});
			await control.clearLogs();
			const [skipped] = await ok(replace, {
				items: [await binaryItem(content, { fileName: 'etag.bin' })],
			});
			expect(skipped.skipped).toBe(true);
			expect(skipped.reason).toMatch(/multipart ETag/);
			expect(skipped.etag).toBe(hashOf(added.resource));
			expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);
			const changed = Buffer.from(content);
			changed[MIB * 7] ^= 0xff;
			const [uploaded] = await ok(replace, {
				items: [await binaryItem(changed, { fileName: 'etag.bin' })],
			});
			expect(uploaded.uploaded).toBe(true);
		});

		test('a chunk failing once is sent again from the same bytes; the upload completes once', async () => {
			const dataset = await newDataset();
			const content = crypto.randomBytes(LARGE_TEST_BYTES);
			await control.clearLogs();
			await control.injectFault({
				path: '/api/v3/upload/[^/]+/chunk$',
				method: 'POST',
				status: 503,
				skip: 1,
				times: 1,
			});
			const [result] = await ok(upload(dataset.id, { options: { uploadMethod: 'presigned' } }), {
				items: [await binaryItem(content, { fileName: 'retry.bin' })],
			});
			await control.clearFaults();
			const chunks = (await control.requests()).filter((entry) => /\/chunk$/.test(entry.path));
			expect(chunks).toHaveLength(4);
			expect(
				(await control.requests()).filter((entry) => /\/complete$/.test(entry.path)),
			).toHaveLength(1);
			expect((await downloaded(dataset.id, result.resourceId)).equals(content)).toBe(true);
		});

		test.each([
			[
				'a chunk that keeps failing',
				{ path: '/api/v3/upload/[^/]+/chunk$', status: 500, skip: 1, times: 10 },
				/^Upload step 2 of 3 \(chunk 2 of 3\) failed: DataPress failed with HTTP 500/,
			],
			[
				'a chunk refused (400)',
				{ path: '/api/v3/upload/[^/]+/chunk$', status: 400, skip: 2, times: 1 },
				/^Upload step 2 of 3 \(chunk 3 of 3\) failed: DataPress refused the request/,
			],
			[
				'a completion refused',
				{ path: '/api/v3/upload/[^/]+/complete$', status: 400, times: 1 },
				/^Upload step 3 of 3 \(complete\) failed/,
			],
			[
				'the create refused',
				{ path: '/api/v3/dataset/[^/]+/upload$', status: 403, times: 1 },
				/^Upload step 1 of 3 \(create the chunked upload\) failed: The API key has no editor rights/,
			],
		])(
			'%s: the error names the step and chunk, the dataset is untouched',
			async (_name, fault, message) => {
				const dataset = await newDataset();
				const before = await stored(dataset.id);
				await control.injectFault({ method: 'POST', ...fault });
				const { error } = await run(
					upload(dataset.id, { options: { uploadMethod: 'presigned' } }),
					{
						items: [
							await binaryItem(crypto.randomBytes(LARGE_TEST_BYTES), { fileName: 'fails.bin' }),
						],
					},
				);
				await control.clearFaults();
				expect(error.message).toMatch(message);
				const after = await stored(dataset.id);
				expect(after.resources).toEqual(before.resources);
				expect(after.updatedAt).toBe(before.updatedAt);
			},
		);
	}

	test('Update options: operations from the fields below, Bump Updated Date, Dry Run sends nothing, Other Fields (JSON)', async () => {
		const dataset = await newDataset();
		const [bumped] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'jsonPatch',
			patchInput: 'ui',
			operationsUi: { operation: [{ op: 'add', path: '/tags', value: '["planning", "monthly"]' }] },
			options: { bumpUpdatedDate: true },
		});
		expect(bumped.dataset.tags).toEqual(['planning', 'monthly']);
		expect(bumped.operations).toContainEqual(
			expect.objectContaining({ op: 'replace', path: '/updatedAt' }),
		);
		expect(bumped.dataset.updatedAt > dataset.updatedAt).toBe(true);

		await control.clearLogs();
		const [preview] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'setFields',
			fields: { title: 'Not yet' },
			options: { dryRun: true },
		});
		expect(preview).toEqual(expect.objectContaining({ dryRun: true, changed: false }));
		expect(preview.dataset.title).toBe('Not yet');
		expect((await control.requests()).filter((entry) => entry.method === 'PATCH')).toEqual([]);
		expect((await stored(dataset.id)).title).toBe(dataset.title);

		const [other] = await ok({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'setFields',
			fieldsJson: '{"tags": ["housing"]}',
		});
		expect(other.dataset.tags).toEqual(['housing']);
	});

	test('an upload moves updatedAt, so an Only If Unchanged Since read before it fails afterwards', async () => {
		const dataset = await newDataset();
		await ok(upload(dataset.id), {
			items: [await binaryItem(Buffer.from('a,b\n'), { fileName: 'between.csv' })],
		});
		const { error } = await run({
			resource: 'dataset',
			operation: 'update',
			datasetId: dataset.id,
			updateMode: 'jsonPatch',
			patchInput: 'json',
			patchJson: JSON.stringify([{ op: 'replace', path: '/title', value: 'Stale writer' }]),
			options: { onlyIfUnchangedSince: dataset.updatedAt },
		});
		expect(String(error?.httpCode)).toBe('409');
		expect((await stored(dataset.id)).title).toBe(dataset.title);
	});

	test('continueOnFail: a failing item becomes an error item, the others run, each paired', async () => {
		const dataset = await newDataset();
		const items = [
			{ json: { id: dataset.id } },
			{ json: { id: 'nosuch' } },
			{ json: { id: dataset.id } },
		];
		const { output, error } = await run(
			{ resource: 'dataset', operation: 'get', datasetId: '={{ $json.id }}' },
			{ items, continueOnFail: true },
		);
		expect(error).toBeUndefined();
		expect(output[0].map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(output[0][0].json.id).toBe(dataset.id);
		expect(output[0][1].json.error).toBe('Dataset "nosuch" not found');
		expect(output[0][2].json.id).toBe(dataset.id);
	});

	test('Upload options: title, description, position at the bottom; the files dropdown lists them in order', async () => {
		const dataset = await newDataset();
		const [top] = await ok(upload(dataset.id, { options: { title: 'First' } }), {
			items: [await binaryItem(Buffer.from('1'), { fileName: 'one.csv' })],
		});
		const [bottom] = await ok(
			upload(dataset.id, {
				options: { title: 'Last', description: 'At the end', position: 'bottom' },
			}),
			{
				items: [await binaryItem(Buffer.from('2'), { fileName: 'two.csv' })],
			},
		);
		expect(bottom.resource).toEqual(
			expect.objectContaining({ title: 'Last', description: 'At the end' }),
		);
		const after = await stored(dataset.id);
		expect(Number(after.resources[bottom.resourceId].order)).toBeGreaterThan(
			Number(after.resources[top.resourceId].order),
		);
		const files = await runListSearch(LondonDatastore, 'searchFiles', {
			parameters: { resource: 'file', operation: 'update', datasetId: dataset.id },
			credentials: credentials(),
		});
		expect(files.results.map((option) => option.name)).toEqual(['First', 'Last']);
	});

	test(`a multipart post refused as too large (413) falls back to the ${largePath} path, nothing half-done`, async () => {
		const dataset = await newDataset();
		await control.injectFault({
			path: '/dataset/[^/]+/resources$',
			method: 'POST',
			status: 413,
			times: 1,
		});
		const content = crypto.randomBytes(300 * 1024);
		const [result] = await ok(upload(dataset.id), {
			items: [await binaryItem(content, { fileName: 'refused.bin' })],
		});
		await control.clearFaults();
		expect(result.method).toBe(largePath);
		expect(result.note).toMatch(/refused the multipart post as too large \(413\)/);
		expect(Object.keys((await stored(dataset.id)).resources)).toEqual([result.resourceId]);
		expect((await downloaded(dataset.id, result.resourceId)).equals(content)).toBe(true);
	});

	test('replacing a file by the large-file path keeps its place and title', async () => {
		const dataset = await newDataset();
		const [other] = await ok(upload(dataset.id, { options: { title: 'Other' } }), {
			items: [await binaryItem(Buffer.from('o'), { fileName: 'other.csv' })],
		});
		const [original] = await ok(
			upload(dataset.id, { options: { title: 'Kept title', position: 'bottom' } }),
			{
				items: [await binaryItem(Buffer.from('first'), { fileName: 'kept.csv' })],
			},
		);
		const content = crypto.randomBytes(LARGE_TEST_BYTES);
		const [replaced] = await ok(
			upload(dataset.id, {
				uploadMode: 'replace',
				resourceId: original.resourceId,
				options: { uploadMethod: 'presigned' },
			}),
			{
				items: [await binaryItem(content, { fileName: 'kept.csv' })],
			},
		);
		const after = await stored(dataset.id);
		const resource = after.resources[replaced.resourceId];
		expect(resource.title).toBe('Kept title');
		// Still after the other file: the place in the list, whatever numbers the site gives the orders.
		expect(Number(resource.order)).toBeGreaterThan(Number(after.resources[other.resourceId].order));
		expect(Object.keys(after.resources)).toHaveLength(2);
		expect((await downloaded(dataset.id, replaced.resourceId)).equals(content)).toBe(true);
	});

	// ---- The editor: resource locators, Get Many, Download, Simplify ----

	const rl = (mode, value) => ({ __rl: true, mode, value });
	/** The address a person copies from the browser: DataPress 4's canonical page, legacy's /dataset/<slug>. */
	const pageUrl = (dataset) => `${sandbox.url}${dataset.canonical ?? `/dataset/${dataset.slug}`}`;
	const search = async (method, options = {}) => {
		const result = await runListSearch(LondonDatastore, method, {
			credentials: credentials(),
			...options,
		});
		produced.push(JSON.stringify(result));
		return result;
	};
	async function datasetWithFile(content, fileName) {
		const dataset = await newDataset();
		const [added] = await ok(upload(dataset.id), {
			items: [await binaryItem(content, { fileName })],
		});
		return { dataset: await stored(dataset.id), resourceId: added.resourceId };
	}
	/** The bytes n8n's binary data service stored for an output binary, read back from its store. */
	async function storedBinary(binary) {
		const service = await ensureBinaryDataService();
		const { md5: digest, length } = await md5OfStream(await service.getAsStream(binary.id));
		return { md5: digest, size: length };
	}

	test('Dataset locator: From List, By URL and By ID name the same dataset; a plain string (older workflows) still works', async () => {
		const dataset = await newDataset();
		const modes = [
			rl('list', dataset.id),
			rl('url', pageUrl(dataset)),
			rl('id', dataset.id),
			dataset.id,
			` ${dataset.id} `,
		];
		if (api === 'legacy') modes.push(rl('id', dataset.slug), dataset.slug);
		for (const datasetId of modes) {
			const [read] = await ok({
				resource: 'dataset',
				operation: 'get',
				datasetId,
				simplify: false,
			});
			expect(read.id).toBe(dataset.id);
		}
	});

	test('Dataset By URL: a page address that names no dataset fails the item naming the field, before any request', async () => {
		const bad =
			api === 'v4' ? `${sandbox.url}/dataset/no-id-here` : `${sandbox.url}/organisation/gla`;
		await control.clearLogs();
		const { error } = await run({
			resource: 'dataset',
			operation: 'get',
			datasetId: rl('url', bad),
		});
		expect(error.message).toMatch(/^Invalid "Dataset": /);
		expect(error.description).toBe('No request was sent.');
		expect((await control.requests()).filter((entry) => !entry.path.includes('whoami'))).toEqual(
			[],
		);
		const empty = await run({ resource: 'dataset', operation: 'get', datasetId: rl('list', '') });
		expect(empty.error.message).toBe('Invalid "Dataset": it is empty');
	});

	test('File and Team locators: From List, By URL and ID; plain strings still work for Create and the file operations', async () => {
		const { dataset, resourceId } = await datasetWithFile(
			Buffer.from('a,b\n1,2\n'),
			'locators.csv',
		);
		const url = dataset.resources[resourceId].url;
		for (const fileLocator of [
			rl('list', resourceId),
			rl('url', url),
			rl('id', resourceId),
			resourceId,
		]) {
			const [updated] = await ok({
				resource: 'file',
				operation: 'update',
				datasetId: rl('id', dataset.id),
				resourceId: fileLocator,
				updateFields: { title: `Renamed ${fileLocator.mode ?? 'string'}` },
			});
			expect(updated.resourceId ?? resourceId).toBe(resourceId);
		}
		const badFile = await run({
			resource: 'file',
			operation: 'delete',
			datasetId: dataset.id,
			resourceId: rl('url', `${sandbox.url}/dataset/x`),
		});
		expect(badFile.error.message).toMatch(/^Invalid "File": /);
		for (const teamValue of [rl('list', team), rl('id', team), team]) {
			const [created] = await ok({
				resource: 'dataset',
				operation: 'create',
				title: `Team locator ${crypto.randomBytes(2).toString('hex')}`,
				team: teamValue,
				masthead: api === 'v4' ? 'gla-planning' : '',
			});
			expect(created[api === 'v4' ? 'team' : 'parent']).toBe(team);
		}
	});

	test('list searches: files of the chosen dataset (in any mode), teams by text, datasets by text (DataPress 4)', async () => {
		const { dataset, resourceId } = await datasetWithFile(Buffer.from('x'), 'listed.csv');
		for (const datasetId of [rl('list', dataset.id), rl('url', pageUrl(dataset)), dataset.id]) {
			const { results } = await search('searchFiles', {
				parameters: { resource: 'file', operation: 'download', datasetId },
			});
			expect(results).toEqual([
				{ name: 'listed.csv', value: resourceId, url: dataset.resources[resourceId].url },
			]);
		}
		expect(
			(
				await search('searchFiles', {
					parameters: {
						resource: 'file',
						operation: 'download',
						datasetId: rl('list', dataset.id),
					},
					filter: 'nothing-like-it',
				})
			).results,
		).toEqual([]);
		expect(
			(await search('searchFiles', { parameters: { resource: 'file', operation: 'download' } }))
				.results,
		).toEqual([]);
		expect(
			(
				await search('searchFiles', {
					parameters: {
						resource: 'file',
						operation: 'download',
						datasetId: rl('url', `${sandbox.url}/organisation/gla`),
					},
				})
			).results,
		).toEqual([]);

		const teams = await search('searchTeams', { filter: 'planning' });
		expect(teams.results.map((option) => option.value)).toEqual([team]);

		if (api === 'v4') {
			const all = await search('searchDatasets');
			expect(all.results.map((option) => option.value)).toEqual(
				expect.arrayContaining(['vd4q4', 'a7k2m', dataset.id]),
			);
			const found = await search('searchDatasets', { filter: 'FERTILITY' });
			expect(found.results).toEqual([
				{
					name: 'Age specific fertility rates',
					value: 'vd4q4',
					url: `${sandbox.url}/dataset/age-specific-fertility-rates-vd4q4`,
				},
			]);
		} else {
			await expect(
				runListSearch(LondonDatastore, 'searchDatasets', { credentials: credentials() }),
			).rejects.toThrow(/^Dataset \(From List\): The legacy DataPress API lists no datasets/);
		}
	});

	test('Dataset Get Many: Limit 50 by default, Return All, filters by team, search text and updated since (DataPress 4); refused on legacy', async () => {
		const getMany = (extra = {}) => ({ resource: 'dataset', operation: 'getAll', ...extra });
		if (api === 'legacy') {
			await control.clearLogs();
			const { error } = await run(getMany({ returnAll: true }));
			expect(error.message).toMatch(
				/^Dataset → Get Many is not available on this site: The legacy DataPress API lists no datasets/,
			);
			expect((await control.requests()).filter((entry) => !entry.path.includes('whoami'))).toEqual(
				[],
			);
			return;
		}
		const mine = await newDataset();
		const all = await ok(getMany({ returnAll: true }));
		expect(all.map((dataset) => dataset.id)).toEqual(
			expect.arrayContaining(['vd4q4', 'a7k2m', mine.id]),
		);
		expect(Object.keys(all[0]).sort()).toEqual([
			'files',
			'id',
			'sharing',
			'team',
			'title',
			'updatedAt',
			'url',
		]);
		expect(all.find((dataset) => dataset.id === mine.id)).toEqual(
			expect.objectContaining({ sharing: 'private', team }),
		);
		expect(await ok(getMany({ limit: 2 }))).toHaveLength(2);
		const byTeam = await ok(getMany({ returnAll: true, filters: { team: rl('list', team) } }));
		expect(byTeam.length).toBeGreaterThan(0);
		expect(byTeam.every((dataset) => dataset.team === team)).toBe(true);
		const bySearch = await ok(getMany({ returnAll: true, filters: { search: 'fertility rates' } }));
		expect(bySearch.map((dataset) => dataset.id)).toEqual(['vd4q4']);
		const recent = await ok(
			getMany({ returnAll: true, filters: { updatedSince: mine.updatedAt } }),
		);
		expect(recent.map((dataset) => dataset.id)).toContain(mine.id);
		expect(recent.map((dataset) => dataset.id)).not.toContain('a7k2m');
		const [raw] = await ok(getMany({ filters: { search: 'fertility' }, simplify: false }));
		expect(raw.team).toEqual({ id: '4mxpm', title: 'GLA Demography' });
		const { error } = await run(getMany({ filters: { updatedSince: 'someday' } }));
		expect(error.message).toMatch(/^Invalid "Updated Since": must be a date/);
	});

	test('Simplify: on by default, the compact fields; off, the dataset as served; node version 1 keeps the full output', async () => {
		const { dataset, resourceId } = await datasetWithFile(Buffer.from('0123456789'), 'simple.csv');
		const [simple] = await ok({
			resource: 'dataset',
			operation: 'get',
			datasetId: rl('list', dataset.id),
		});
		expect(simple).toEqual({
			id: dataset.id,
			title: dataset.title,
			team,
			sharing: 'private',
			updatedAt: dataset.updatedAt,
			url: pageUrl(dataset),
			files: [
				{
					id: resourceId,
					title: 'simple.csv',
					format: 'csv',
					size: 10,
					url: dataset.resources[resourceId].url,
				},
			],
		});
		const [full] = await ok({
			resource: 'dataset',
			operation: 'get',
			datasetId: dataset.id,
			simplify: false,
		});
		expect(full.resources[resourceId]).toBeDefined();
		const [versionOne] = await ok(
			{ resource: 'dataset', operation: 'get', datasetId: dataset.id },
			{ typeVersion: 1 },
		);
		expect(versionOne).toEqual(full);
	});

	test("File Download: a private dataset's file with the key, streamed into binary data, bytes identical, name and MIME type set", async () => {
		const content = crypto.randomBytes(300 * 1024);
		const { dataset, resourceId } = await datasetWithFile(content, 'private extract.csv');
		expect(dataset.sharing).toBe('private');
		const { output, error } = await run({
			resource: 'file',
			operation: 'download',
			datasetId: rl('url', pageUrl(dataset)),
			resourceId: rl('list', resourceId),
		});
		if (error) throw new Error(serializeError(error));
		const [item] = output[0];
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toEqual(
			expect.objectContaining({
				datasetId: dataset.id,
				resourceId,
				fileName: 'private extract.csv',
				mimeType: 'text/csv',
				bytes: content.length,
			}),
		);
		expect(item.binary.data).toEqual(
			expect.objectContaining({
				fileName: 'private extract.csv',
				mimeType: 'text/csv',
				fileExtension: 'csv',
			}),
		);
		expect(await storedBinary(item.binary.data)).toEqual({
			md5: md5(content),
			size: content.length,
		});
		// The download went to the site's own /download/ address, with the key (the dataset is private).
		const downloads = (await control.requests()).filter((entry) =>
			entry.path.startsWith('/download/'),
		);
		expect(downloads.length).toBeGreaterThan(0);
	});

	test('File Download: an unknown file names itself and the dataset; another output field is honoured', async () => {
		const { dataset, resourceId } = await datasetWithFile(Buffer.from('hello'), 'notes.txt');
		const missing = await run({
			resource: 'file',
			operation: 'download',
			datasetId: dataset.id,
			resourceId: 'nope',
		});
		expect(missing.error.message).toBe(
			`File (resource) "nope" not found in dataset "${dataset.id}"`,
		);
		const [item] = (
			await run({
				resource: 'file',
				operation: 'download',
				datasetId: dataset.id,
				resourceId,
				binaryPropertyName: 'file',
			})
		).output[0];
		expect(Object.keys(item.binary)).toEqual(['file']);
		expect(item.binary.file.mimeType).toBe('text/plain');
	});

	test('File Download of 50 MiB: stored by the binary data service from the stream, never held as base64', async () => {
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-download-'));
		const filePath = path.join(folder, 'large.bin');
		const hash = crypto.createHash('md5');
		const handle = fs.openSync(filePath, 'w');
		for (let written = 0; written < LARGE_DOWNLOAD_BYTES; ) {
			const block = crypto.randomBytes(Math.min(4 * MIB, LARGE_DOWNLOAD_BYTES - written));
			fs.writeSync(handle, block);
			hash.update(block);
			written += block.length;
		}
		fs.closeSync(handle);
		try {
			const dataset = await newDataset();
			const [added] = await ok(upload(dataset.id), {
				items: [await binaryItem(filePath, { fileName: 'large.bin' })],
			});
			const { output, error } = await run({
				resource: 'file',
				operation: 'download',
				datasetId: dataset.id,
				resourceId: added.resourceId,
			});
			if (error) throw new Error(serializeError(error));
			const binary = output[0][0].binary.data;
			// Filesystem mode: the item holds a reference to the stored file, not the bytes.
			expect(binary.id).toMatch(/^filesystem/);
			expect(binary.data.length).toBeLessThan(100);
			expect(binary.bytes).toBe(LARGE_DOWNLOAD_BYTES);
			expect(binary.mimeType).toBe('application/octet-stream');
			expect(await storedBinary(binary)).toEqual({
				md5: hash.digest('hex'),
				size: LARGE_DOWNLOAD_BYTES,
			});
		} finally {
			fs.rmSync(folder, { recursive: true, force: true });
		}
	});

	test('the key appears in nothing the node produced', () => {
		expect(produced.length).toBeGreaterThan(10);
		for (const text of produced) expect(text).not.toContain(KEY);
	});
});
