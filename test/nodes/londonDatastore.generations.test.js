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
const { request } = require('undici');

const { runNode, runLoadOptions, testCredential, binaryItem, serializeError } = require('../harness/n8n');
const { startDatastoreSandboxes } = require('../../sandbox/datapress');
const { LondonDatastore } = require('../../nodes/LondonDatastore/LondonDatastore.node.ts');
const { LondonDatastoreApi } = require('../../credentials/LondonDatastoreApi.credentials.ts');

const KEY = 'demo-editor-key';
const MIB = 1024 * 1024;
/** Three parts of DataPress 4's chunked upload: 5 MiB, 5 MiB and the rest. */
const LARGE_TEST_BYTES = 11 * MIB + 321;

const md5 = (buffer) => crypto.createHash('md5').update(buffer).digest('hex');

describe.each([['v4'], ['legacy']])('DataPress generation %s', (api) => {
	let sandbox;
	let control;
	let team;
	const produced = [];
	const credentials = (extra = {}) => ({ londonDatastoreApi: { apiKey: KEY, baseUrl: sandbox.url, apiVersion: 'auto', ...extra } });
	/** How each generation names the large-file path. */
	const largePath = api === 'v4' ? 'chunked' : 'presigned';

	beforeAll(async () => {
		sandbox = await startDatastoreSandboxes({ api, port: 0, storagePort: 0 });
		control = sandbox.control;
		const teams = await runLoadOptions(LondonDatastore, 'getTeams', { credentials: credentials() });
		// A team the demo editor edits in each seed.
		team = teams.find((option) => option.name === 'GLA Planning' || option.description === 'planning-team').value;
	});

	afterAll(async () => {
		await sandbox?.close();
	});

	async function run(parameters, { items, extra, continueOnFail = false } = {}) {
		const result = await runNode(LondonDatastore, { parameters, credentials: credentials(extra), items, continueOnFail });
		produced.push(result.error ? serializeError(result.error) : JSON.stringify(result.output));
		return result;
	}

	async function ok(parameters, options) {
		const { output, error } = await run(parameters, options);
		if (error) throw new Error(`The node failed: ${serializeError(error)}`);
		return output[0].map((item) => item.json);
	}

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
	const upload = (datasetId, extra = {}) => ({ resource: 'file', operation: 'upload', datasetId, binaryPropertyName: 'data', ...extra });

	/** The file of a resource as the site serves it, by its download address. */
	async function downloaded(datasetId, resourceId) {
		const dataset = await stored(datasetId);
		const resource = dataset.resources[resourceId];
		const fileName = decodeURIComponent(String(resource.url || '').split('/').pop() || 'file');
		const url = /^https?:/.test(resource.url) ? resource.url : `${sandbox.url}/download/${dataset.slug ?? dataset.id}/${resourceId}/${encodeURIComponent(fileName)}`;
		const response = await request(url, { headers: { authorization: KEY } });
		expect(response.statusCode).toBe(200);
		return Buffer.from(await response.body.arrayBuffer());
	}

	test('the credential test passes with Automatic on DataPress 4 and with Legacy on a legacy site', async () => {
		const result = await testCredential(LondonDatastoreApi, { apiKey: KEY, baseUrl: sandbox.url, apiVersion: api === 'v4' ? 'auto' : 'legacy' });
		expect(result.status).toBe('OK');
	});

	test('the generation is asked once per execution, not once per item', async () => {
		const dataset = await newDataset();
		await control.clearLogs();
		const items = [{ json: {} }, { json: {} }, { json: {} }];
		const { output } = await run({ resource: 'dataset', operation: 'get', datasetId: dataset.id }, { items });
		expect(output[0].map((item) => item.json.id)).toEqual([dataset.id, dataset.id, dataset.id]);
		const whoami = (await control.requests()).filter((entry) => entry.path === '/api/v3/whoami');
		expect(whoami).toHaveLength(1);
		const gets = (await control.requests()).filter((entry) => entry.method === 'GET' && entry.path.includes(dataset.id));
		expect(gets.every((entry) => entry.path === (api === 'v4' ? `/api/v3/dataset/${dataset.id}` : `/api/dataset/${dataset.id}`))).toBe(true);
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

	test('Create without a masthead: DataPress 4 refuses locally, naming the site\'s mastheads; legacy needs none', async () => {
		const mastheads = await runLoadOptions(LondonDatastore, 'getMastheads', { credentials: credentials() });
		const parameters = { resource: 'dataset', operation: 'create', title: `No masthead ${crypto.randomBytes(2).toString('hex')}`, team };
		if (api === 'v4') {
			expect(mastheads.map((option) => option.value)).toEqual(expect.arrayContaining(['gla-planning', 'gla']));
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

	test('Team Get Many lists the teams with their ids', async () => {
		const teams = await ok({ resource: 'team', operation: 'getAll', returnAll: true });
		expect(teams.map((entry) => entry.id)).toContain(team);
		const limited = await ok({ resource: 'team', operation: 'getAll', returnAll: false, limit: 2 });
		expect(limited).toHaveLength(2);
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
			fields: { description: '<p>Monthly</p>', maintainer: 'Data Team', maintainer_email: 'data@example.org', update_frequency: 'Monthly' },
		});
		const after = await stored(dataset.id);
		expect(after.description).toBe('<p>Monthly</p>');
		if (api === 'v4') {
			expect(after.contact).toEqual(expect.objectContaining({ title: 'Data Team', email: 'data@example.org' }));
			expect(after.custom.update_frequency).toBe('Monthly');
		} else {
			expect(after).toEqual(expect.objectContaining({ maintainer: 'Data Team', maintainer_email: 'data@example.org', update_frequency: 'Monthly' }));
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
		await ok(patch('First writer'));
		const { error } = await run(patch('Second writer'));
		expect(String(error.httpCode)).toBe('409');
		expect((await stored(dataset.id)).title).toBe('First writer');
	});

	test('Upload, replace, Skip If Unchanged, File Update and Delete with the bytes read back identical', async () => {
		const dataset = await newDataset();
		const first = crypto.randomBytes(200 * 1024);
		const [added] = await ok(upload(dataset.id), { items: [await binaryItem(first, { fileName: 'monthly.csv' })] });
		expect(added.method).toBe('multipart');
		expect((await downloaded(dataset.id, added.resourceId)).equals(first)).toBe(true);
		expect(hashOf(added.resource)).toBe(md5(first));

		await control.clearLogs();
		const replace = upload(dataset.id, { uploadMode: 'replace', resourceId: added.resourceId, options: { skipIfUnchanged: true } });
		const [skipped] = await ok(replace, { items: [await binaryItem(first, { fileName: 'monthly.csv' })] });
		expect(skipped).toEqual(expect.objectContaining({ uploaded: false, skipped: true }));
		expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);

		const second = crypto.randomBytes(150 * 1024);
		const [replaced] = await ok(replace, { items: [await binaryItem(second, { fileName: 'monthly.csv' })] });
		expect(replaced.uploaded).toBe(true);
		expect((await downloaded(dataset.id, added.resourceId)).equals(second)).toBe(true);

		const [updated] = await ok({ resource: 'file', operation: 'update', datasetId: dataset.id, resourceId: added.resourceId, updateFields: { title: 'Monthly (renamed)' } });
		expect(updated.resource.title).toBe('Monthly (renamed)');
		const [deleted] = await ok({ resource: 'file', operation: 'delete', datasetId: dataset.id, resourceId: added.resourceId });
		expect(deleted.deleted).toBe(true);
		expect(Object.keys((await stored(dataset.id)).resources)).toEqual([]);
	});

	test(`the large-file path (${largePath}): the bytes arrive identical, the title and description set`, async () => {
		const dataset = await newDataset();
		const content = crypto.randomBytes(LARGE_TEST_BYTES);
		const [result] = await ok(upload(dataset.id, { options: { uploadMethod: 'presigned', description: 'Large file' } }), {
			items: [await binaryItem(content, { fileName: 'large.bin' })],
		});
		expect(result.method).toBe(largePath);
		expect(result.resource.title).toBe('large.bin');
		expect(result.resource.description).toBe('Large file');
		expect((await downloaded(dataset.id, result.resourceId)).equals(content)).toBe(true);
		if (api === 'v4') {
			const chunks = (await control.requests()).filter((entry) => /\/api\/v3\/upload\/[^/]+\/chunk$/.test(entry.path));
			expect(chunks).toHaveLength(3);
			expect(hashOf(result.resource)).toMatch(/-3$/);
		}
	});

	if (api === 'v4') {
		test('Skip If Unchanged compares a multipart ETag: the same bytes are skipped, others uploaded', async () => {
			const dataset = await newDataset();
			const content = crypto.randomBytes(LARGE_TEST_BYTES);
			const [added] = await ok(upload(dataset.id, { options: { uploadMethod: 'presigned' } }), { items: [await binaryItem(content, { fileName: 'etag.bin' })] });
			expect(hashOf(added.resource)).toMatch(/^[0-9a-f]{32}-3$/);
			const replace = upload(dataset.id, { uploadMode: 'replace', resourceId: added.resourceId, options: { skipIfUnchanged: true } });
			await control.clearLogs();
			const [skipped] = await ok(replace, { items: [await binaryItem(content, { fileName: 'etag.bin' })] });
			expect(skipped.skipped).toBe(true);
			expect(skipped.reason).toMatch(/multipart ETag/);
			expect(skipped.etag).toBe(hashOf(added.resource));
			expect((await control.requests()).filter((entry) => entry.method !== 'GET')).toEqual([]);
			const changed = Buffer.from(content);
			changed[MIB * 7] ^= 0xff;
			const [uploaded] = await ok(replace, { items: [await binaryItem(changed, { fileName: 'etag.bin' })] });
			expect(uploaded.uploaded).toBe(true);
		});

		test('a chunk failing once is sent again from the same bytes; the upload completes once', async () => {
			const dataset = await newDataset();
			const content = crypto.randomBytes(LARGE_TEST_BYTES);
			await control.clearLogs();
			await control.injectFault({ path: '/api/v3/upload/[^/]+/chunk$', method: 'POST', status: 503, skip: 1, times: 1 });
			const [result] = await ok(upload(dataset.id, { options: { uploadMethod: 'presigned' } }), { items: [await binaryItem(content, { fileName: 'retry.bin' })] });
			await control.clearFaults();
			const chunks = (await control.requests()).filter((entry) => /\/chunk$/.test(entry.path));
			expect(chunks).toHaveLength(4);
			expect((await control.requests()).filter((entry) => /\/complete$/.test(entry.path))).toHaveLength(1);
			expect((await downloaded(dataset.id, result.resourceId)).equals(content)).toBe(true);
		});

		test.each([
			['a chunk that keeps failing', { path: '/api/v3/upload/[^/]+/chunk$', status: 500, skip: 1, times: 10 }, /^Upload step 2 of 3 \(chunk 2 of 3\) failed: DataPress failed with HTTP 500/],
			['a chunk refused (400)', { path: '/api/v3/upload/[^/]+/chunk$', status: 400, skip: 2, times: 1 }, /^Upload step 2 of 3 \(chunk 3 of 3\) failed: DataPress refused the request/],
			['a completion refused', { path: '/api/v3/upload/[^/]+/complete$', status: 400, times: 1 }, /^Upload step 3 of 3 \(complete\) failed/],
			['the create refused', { path: '/api/v3/dataset/[^/]+/upload$', status: 403, times: 1 }, /^Upload step 1 of 3 \(create the chunked upload\) failed: The API key has no editor rights/],
		])('%s: the error names the step and chunk, the dataset is untouched', async (_name, fault, message) => {
			const dataset = await newDataset();
			const before = await stored(dataset.id);
			await control.injectFault({ method: 'POST', ...fault });
			const { error } = await run(upload(dataset.id, { options: { uploadMethod: 'presigned' } }), {
				items: [await binaryItem(crypto.randomBytes(LARGE_TEST_BYTES), { fileName: 'fails.bin' })],
			});
			await control.clearFaults();
			expect(error.message).toMatch(message);
			const after = await stored(dataset.id);
			expect(after.resources).toEqual(before.resources);
			expect(after.updatedAt).toBe(before.updatedAt);
		});
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
		await ok(upload(dataset.id), { items: [await binaryItem(Buffer.from('a,b\n'), { fileName: 'between.csv' })] });
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
		const items = [{ json: { id: dataset.id } }, { json: { id: 'nosuch' } }, { json: { id: dataset.id } }];
		const { output, error } = await run({ resource: 'dataset', operation: 'get', datasetId: '={{ $json.id }}' }, { items, continueOnFail: true });
		expect(error).toBeUndefined();
		expect(output[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0][0].json.id).toBe(dataset.id);
		expect(output[0][1].json.error).toBe('Dataset "nosuch" not found');
		expect(output[0][2].json.id).toBe(dataset.id);
	});

	test('Upload options: title, description, position at the bottom; the files dropdown lists them in order', async () => {
		const dataset = await newDataset();
		const [top] = await ok(upload(dataset.id, { options: { title: 'First' } }), { items: [await binaryItem(Buffer.from('1'), { fileName: 'one.csv' })] });
		const [bottom] = await ok(upload(dataset.id, { options: { title: 'Last', description: 'At the end', position: 'bottom' } }), {
			items: [await binaryItem(Buffer.from('2'), { fileName: 'two.csv' })],
		});
		expect(bottom.resource).toEqual(expect.objectContaining({ title: 'Last', description: 'At the end' }));
		const after = await stored(dataset.id);
		expect(Number(after.resources[bottom.resourceId].order)).toBeGreaterThan(Number(after.resources[top.resourceId].order));
		const files = await runLoadOptions(LondonDatastore, 'getResources', {
			parameters: { resource: 'file', operation: 'update', datasetId: dataset.id },
			credentials: credentials(),
		});
		expect(files.map((option) => option.name)).toEqual(['First', 'Last']);
	});

	test(`a multipart post refused as too large (413) falls back to the ${largePath} path, nothing half-done`, async () => {
		const dataset = await newDataset();
		await control.injectFault({ path: '/dataset/[^/]+/resources$', method: 'POST', status: 413, times: 1 });
		const content = crypto.randomBytes(300 * 1024);
		const [result] = await ok(upload(dataset.id), { items: [await binaryItem(content, { fileName: 'refused.bin' })] });
		await control.clearFaults();
		expect(result.method).toBe(largePath);
		expect(result.note).toMatch(/\(413\)/);
		expect(Object.keys((await stored(dataset.id)).resources)).toEqual([result.resourceId]);
		expect((await downloaded(dataset.id, result.resourceId)).equals(content)).toBe(true);
	});

	test('replacing a file by the large-file path keeps its place and title', async () => {
		const dataset = await newDataset();
		const [other] = await ok(upload(dataset.id, { options: { title: 'Other' } }), { items: [await binaryItem(Buffer.from('o'), { fileName: 'other.csv' })] });
		const [original] = await ok(upload(dataset.id, { options: { title: 'Kept title', position: 'bottom' } }), {
			items: [await binaryItem(Buffer.from('first'), { fileName: 'kept.csv' })],
		});
		const content = crypto.randomBytes(LARGE_TEST_BYTES);
		const [replaced] = await ok(upload(dataset.id, { uploadMode: 'replace', resourceId: original.resourceId, options: { uploadMethod: 'presigned' } }), {
			items: [await binaryItem(content, { fileName: 'kept.csv' })],
		});
		const after = await stored(dataset.id);
		const resource = after.resources[replaced.resourceId];
		expect(resource.title).toBe('Kept title');
		// Still after the other file: the place in the list, whatever numbers the site gives the orders.
		expect(Number(resource.order)).toBeGreaterThan(Number(after.resources[other.resourceId].order));
		expect(Object.keys(after.resources)).toHaveLength(2);
		expect((await downloaded(dataset.id, replaced.resourceId)).equals(content)).toBe(true);
	});

	test('the key appears in nothing the node produced', () => {
		expect(produced.length).toBeGreaterThan(10);
		for (const text of produced) expect(text).not.toContain(KEY);
	});
});
