/**
 * Contract tests of the DataPress 4 sandbox (`startDatastoreSandboxes({ api: 'v4' })`) over real HTTP
 * (undici), endpoint by endpoint as datapress-v4.md lists them (E1-E15): the recorded live dataset's shape,
 * wrappers per endpoint, rights, immutable fields ignored on PATCH, uploads in one request and in chunks
 * (every chunked-upload error, bytes downloaded identical to bytes uploaded, the S3 multipart ETag computed
 * here independently), whoami, teams, the site, users, the export, downloads, and the control API.
 *
 * Decisions on the open questions of datapress-v4.md section 5 (the sandbox keeps to them):
 * 1. Legacy routes: in v4 mode the dataset routes under `/api/dataset...` answer with DataPress 4 shapes
 *    (as recorded); the legacy-only routes (`/api/orgs`, `/api/whoami`, `/api/dataset/:id/presign/...`)
 *    answer 404. `:id` is the 5-character id only: a legacy UUID, a slug or `<slug>-<id>` is 404 (the
 *    claim that `<slug>-<id>` resolves is unattributed hearsay). The legacy API stays selectable as a whole
 *    (`{ api: 'legacy' }`; DataPress 4 is the default).
 * 2. When LDS switched is history, not behaviour: nothing to decide for the sandbox.
 * 3. The one-request uploads and create answer under `/api/v3/...` as well as `/api/...`, as do GET and
 *    PATCH of datasets, the site, users and the export; whoami and the chunked upload only under `/api/v3`
 *    (where they were only ever seen); the teams list is `/api/v3/teams` or the old `/api/team`.
 * 4. GET does not include `readonly`. PATCH's `{"dataset"}` carries `readonly.updates` (the operations
 *    applied, ignored ones left out), as the recorded upload answer carries the updates it made.
 * 5. Wrappers as the sheet shows them, the same under both prefixes: GET and the one-request uploads bare
 *    (the uploads with `readonly {updates, resource_id, resource, new_key}`), PATCH and create
 *    `{"dataset"}`, complete `{"dataset", "resource_id", "new_key"}` (the dataset as GET shows it).
 * 6. Chunks: the fields are the official client's, `part` (0-based) and `file`; a chunk without `part` is
 *    400 (the doc's `chunk` field was cut off mid-sentence, the client ran against a real instance). A part
 *    sent again replaces the earlier one (as S3 does). The chunk answer is `{"part", "size"}` (unknown;
 *    the client ignores it). Uploads do not expire within a run; at most 10,000 parts of at most 5 GiB
 *    (S3's limits). Only the key that created an upload may send its chunks and complete it (403 for any
 *    other or none); an unknown upload id is 404; a completed one 409 on chunk and complete; a part
 *    number outside 0..parts-1, a form without `part` or without `file` 400. Complete refuses with 400 a
 *    missing part (naming it) and any part but the last under 5 MiB (S3's EntityTooSmall at completion);
 *    both leave the upload open so that the client can send the part again and complete.
 * 7. One-request uploads are limited to 100 MB (104,857,600 bytes), refused with 413 as the legacy
 *    sandbox does; the docs send larger files in chunks.
 * 8. Error bodies follow DataPress's own client tests: 403 `{"error": "Insufficient permissions",
 *    "message"}`, 404 `{"error": "<Thing> not found", "id"}`, 400 (and 405, 409, 413)
 *    `{"statusCode", "message"}`, field validation worded "There are validation errors.\n* field: ...".
 * 9. `sharing` is `public`, `private` or `draft` (the last two read alike: editors, `readusers`, members of
 *    `readteams`, admins); `collaborators` and `readusers` are integer user ids (collaborators may edit),
 *    `readteams` team ids. A private dataset without read rights is 403, with or without a key.
 * 10. PATCHing an immutable field (`id`, `site`, `canonical`, `createdAt`, `readonly`, and a file's `hash`,
 *    `size`, `format`, `origin`, `url`) is ignored silently, the rest of the patch applies. `canonical`
 *    follows `title`. A patch cannot create a resource (400: files come through the upload API); unknown
 *    top-level fields are refused (400: site-defined fields go in `custom`). A failing `test` is 409 and
 *    nothing applies (as in the legacy sandbox); any other failing operation 400, nothing applied.
 * 11. `application/json-patch+json` is accepted like `application/json`; a non-array body is 400.
 * 12. `descriptionText` is served nowhere (the recorded dataset has none).
 * 13. Downloads need the file name segment: `/download/<ds>/<rid>` alone, or another name, is 404; files
 *    are served directly (`application/octet-stream`), no redirect; a private dataset's file without
 *    read rights is 403.
 * Also decided: an upload puts `updatedAt` later than before even within one millisecond; new files go to
 * `order` 0 unless `order` is given, and orders are renumbered 0..n-1; `format` is a generic kind from the
 * file name (`csv`, `txt`, `json`, `spreadsheet`, `document`, `zip`, `image`, else `other`); the export
 * lists what the caller may read, public datasets without a key (the export's details and the publishing
 * control: datapress4.export.test.js); `/api/users` shows title, email and admin
 * only to admins and team members; a team PATCH needs an admin or a manager of the team, a site PATCH an
 * admin; the key is sent raw in `Authorization` everywhere (a `Bearer ` prefix, said by one survey to work
 * on the export, is not accepted: the documents never show it).
 */
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { request } = require('undici');

const { startDatastoreSandboxes } = require('../../sandbox/datapress');
const { filesUnder } = require('../harness/files');
const { multipart, fieldParts, MIB } = require('../harness/multipart');

const EDITOR = 'demo-editor-key';
const VIEWER = 'demo-viewer-key';
const ADMIN = 'demo-admin-key';
/** The dataset recorded from data.london.gov.uk (datapress-v4.md, REC). */
const RECORDED = 'vd4q4';
/** Seeded: private, team p9lan (the editor's); the viewer is among its `readusers`. */
const PRIVATE = 'd9pvt';
/** Seeded: public, team t4fln (no rights for the demo editor). */
const OTHER_TEAM = 'e4tub';
/** Seeded: a file migrated from the legacy site, keeping its UUID id. */
const MIGRATED = { dataset: 'a7k2m', resource: 'eb050c40-3e94-4384-8e59-1b8c49dbdf36' };
const PART = 5 * MIB;
const MD5 = /^[0-9a-f]{32}$/;
const ETAG = (parts) => new RegExp(`^[0-9a-f]{32}-${parts}$`);
const ORIGIN_STAMP = /^london\/dataset\/([a-z0-9]{5})\/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\/(.+)$/;
const DATASET_KEYS = [
	'id',
	'site',
	'team',
	'title',
	'canonical',
	'description',
	'descriptionIframe',
	'masthead',
	'sharing',
	'collaborators',
	'readusers',
	'readteams',
	'tags',
	'topics',
	'resources',
	'links',
	'nextReviewDate',
	'licence',
	'contact',
	'createdAt',
	'updatedAt',
	'archivedAt',
	'custom',
];
const RESOURCE_KEYS = [
	'hash',
	'size',
	'order',
	'title',
	'format',
	'origin',
	'timeframe',
	'description',
	'url',
];

let sandbox;
let control;
let dataDir;

beforeAll(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'datapress4-contract-'));
	sandbox = await startDatastoreSandboxes({ api: 'v4', port: 0, dataDir });
	control = sandbox.control;
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
	fs.rmSync(dataDir, { recursive: true, force: true });
});

const md5 = (bytes) => crypto.createHash('md5').update(bytes).digest('hex');

/** S3's multipart ETag, computed here from the bytes and the part size, independently of the sandbox. */
function multipartEtag(bytes, partSize = PART) {
	const digests = [];
	for (let offset = 0; offset < bytes.length || digests.length === 0; offset += partSize) {
		digests.push(
			crypto
				.createHash('md5')
				.update(bytes.subarray(offset, offset + partSize))
				.digest(),
		);
	}
	return `${md5(Buffer.concat(digests))}-${digests.length}`;
}

/** One HTTP call to the sandbox; `json` is sent as JSON, the answer parsed when it is JSON. */
async function api(method, urlPath, { key, json, body, headers = {} } = {}) {
	const sent = { ...headers };
	if (key) sent.authorization = key;
	let payload = body;
	if (json !== undefined) {
		sent['content-type'] = sent['content-type'] || 'application/json';
		payload = JSON.stringify(json);
	}
	const url = urlPath.startsWith('http') ? urlPath : `${sandbox.url}${urlPath}`;
	const response = await request(url, { method, headers: sent, body: payload });
	const raw = Buffer.from(await response.body.arrayBuffer());
	let parsed;
	try {
		parsed = JSON.parse(raw.toString('utf8'));
	} catch {
		parsed = undefined;
	}
	return { status: response.statusCode, headers: response.headers, raw, json: parsed };
}

/**
 * A multipart/form-data body: `fields` first, then the file (`bytes`: a Buffer, or a generator of Buffers
 * with `size`) in the field `file.field` (default `file`).
 */
function formBody(fields, file) {
	const parts = fieldParts(fields);
	if (file) {
		const source = Buffer.isBuffer(file.bytes)
			? file.bytes
			: { size: file.size, chunks: file.bytes };
		parts.push({ name: file.field || 'file', filename: file.name, source });
	}
	return multipart(parts);
}

function postForm(urlPath, { key, fields = {}, file } = {}) {
	const form = formBody(fields, file);
	return api('POST', urlPath, { key, headers: form.headers, body: form.body });
}

/** Runs a whole chunked upload with the client's fields; gives every answer. */
async function chunkedUpload(
	datasetId,
	bytes,
	{ key = EDITOR, filename = 'upload.bin', partSize = PART, ...create } = {},
) {
	const parts = Math.max(1, Math.ceil(bytes.length / partSize));
	const created = await api('POST', `/api/v3/dataset/${datasetId}/upload`, {
		key,
		json: { filename, parts, ...create },
	});
	expect(created.status).toBe(200);
	const chunks = [];
	for (let part = 0; part < parts; part++) {
		chunks.push(
			await postForm(created.json.urlChunk, {
				key,
				fields: { part },
				file: { name: 'blob', bytes: bytes.subarray(part * partSize, (part + 1) * partSize) },
			}),
		);
	}
	const completed = await api('POST', created.json.urlComplete, { key });
	return { created, chunks, completed, parts };
}

async function newDataset(extra = {}, key = EDITOR) {
	const created = await api('POST', '/api/v3/dataset', {
		key,
		json: {
			title: `Contract ${crypto.randomBytes(4).toString('hex')}`,
			masthead: 'gla',
			team: 'g7lad',
			...extra,
		},
	});
	expect(created.status).toBe(200);
	return created.json.dataset;
}

async function get(datasetId, key) {
	return (await api('GET', `/api/v3/dataset/${datasetId}`, { key })).json;
}

async function fetchFile(url, key) {
	const response = await api('GET', url, { key });
	return { status: response.status, headers: response.headers, bytes: response.raw };
}

describe('E1 GET /api/v3/dataset/:id (and /api/dataset/:id)', () => {
	test("the recorded live dataset's shape: keys in the served order, the recorded values, files of the recorded sizes", async () => {
		const { status, json } = await api('GET', `/api/v3/dataset/${RECORDED}`);
		expect(status).toBe(200);
		expect(Object.keys(json)).toEqual(DATASET_KEYS);
		expect(json).toEqual(
			expect.objectContaining({
				id: 'vd4q4',
				site: 'london',
				team: '4mxpm',
				title: 'Age specific fertility rates',
				canonical: '/dataset/age-specific-fertility-rates-vd4q4',
				description: '<p></p>',
				descriptionIframe: expect.stringMatching(/^https:\/\/observablehq\.com\/embed\//),
				masthead: 'gla-demography',
				sharing: 'public',
				collaborators: [],
				readusers: [],
				readteams: [],
				tags: ['births', 'fertility', 'demographics', 'population'],
				topics: ['demographics'],
				links: {},
				nextReviewDate: null,
				licence: {
					url: 'http://www.opendefinition.org/licenses/cc-by',
					title: 'Creative Commons Attribution',
				},
				contact: { email: 'demography@london.gov.uk', title: 'GLA Demography' },
				createdAt: '2025-03-17T16:11:48.000Z',
				updatedAt: '2026-06-15T14:26:41.323Z',
				archivedAt: null,
				custom: { geo: 'Local Authority', update_frequency: 'One off' },
			}),
		);
		expect(json.readonly).toBeUndefined();
		expect(json.descriptionText).toBeUndefined();
		expect(Object.keys(json.resources).sort()).toEqual(['4nz', '7yw', 'bcb', 'lfe']);
		for (const resource of Object.values(json.resources))
			expect(Object.keys(resource)).toEqual(RESOURCE_KEYS);
		const recorded = {
			'4nz': {
				size: 29385778,
				order: 2,
				format: 'csv',
				file: 'age_specific_fertility_rates.csv',
				hash: ETAG(6),
				origin: 'london/dataset/vd4q4/2026-05-20T15:35:36/age_specific_fertility_rates.csv',
			},
			'7yw': {
				size: 9,
				order: 0,
				format: 'txt',
				file: 'test_file.txt',
				hash: MD5,
				origin: 'london/dataset/vd4q4/2026-06-15T14:26:41/test_file.txt',
			},
			bcb: {
				size: 1098425,
				order: 3,
				format: 'csv',
				file: 'total_fertility_rates.csv',
				hash: ETAG(1),
				origin: 'london/dataset/vd4q4/2026-05-20T15:33:51/total_fertility_rates.csv',
			},
			lfe: {
				size: 593756,
				order: 1,
				format: 'csv',
				file: 'total_fertility_rates.csv',
				hash: ETAG(1),
				origin: 'london/dataset/vd4q4/2026-05-20T15:39:17/total_fertility_rates.csv',
			},
		};
		for (const [id, expected] of Object.entries(recorded)) {
			expect(json.resources[id]).toEqual({
				hash: expect.stringMatching(expected.hash),
				size: expected.size,
				order: expected.order,
				title: expect.any(String),
				format: expected.format,
				origin: expected.origin,
				timeframe: null,
				description: expect.any(String),
				url: `${sandbox.url}/download/vd4q4/${id}/${expected.file}`,
			});
		}
		// The url follows the uploaded file's name, not the title.
		expect(json.resources.bcb.title).toBe('adjusted_total_fertility_rates.csv');
	});

	test('the seeded files download with the recorded sizes; hash is the MD5 or the multipart ETag of those bytes', async () => {
		const dataset = await get(RECORDED);
		for (const resource of Object.values(dataset.resources)) {
			const file = await fetchFile(resource.url);
			expect(file.status).toBe(200);
			expect(file.headers['content-type']).toBe('application/octet-stream');
			expect(file.bytes.length).toBe(resource.size);
			expect(resource.hash).toBe(
				MD5.test(resource.hash) ? md5(file.bytes) : multipartEtag(file.bytes),
			);
		}
	});

	test('the same dataset under /api/dataset/:id; ids are 5 characters, files 3 or a migrated UUID', async () => {
		expect((await api('GET', `/api/dataset/${RECORDED}`)).json).toEqual(await get(RECORDED));
		const migrated = await get(MIGRATED.dataset);
		expect(Object.keys(migrated.resources)).toEqual([MIGRATED.resource]);
		expect(migrated.resources[MIGRATED.resource].hash).toMatch(MD5);
		expect((await fetchFile(migrated.resources[MIGRATED.resource].url)).status).toBe(200);
		for (const dataset of (await api('GET', '/api/v3/datasets/export.json', { key: ADMIN })).json) {
			expect(dataset.id).toMatch(/^[a-z0-9]{5}$/);
			expect(dataset.team.id).toMatch(/^[a-z0-9]{5}$/);
			for (const resource of dataset.resources)
				if (resource.id !== MIGRATED.resource) expect(resource.id).toMatch(/^[a-z0-9]{3}$/);
		}
	});

	test('unknown: 404 {"error": "Dataset not found", "id"}; a slug, <slug>-<id> or legacy UUID is unknown', async () => {
		const unknown = await api('GET', '/api/v3/dataset/zzzzz');
		expect(unknown.status).toBe(404);
		expect(unknown.json).toEqual({ error: 'Dataset not found', id: 'zzzzz' });
		for (const id of [
			'age-specific-fertility-rates',
			'age-specific-fertility-rates-vd4q4',
			'3f741e00-111f-4134-b04f-8b103f78bbe7',
		]) {
			expect((await api('GET', `/api/v3/dataset/${id}`)).status).toBe(404);
		}
	});

	test('a private dataset: 403 without read rights (no key, unknown key, another team); readers, team members, admins read it', async () => {
		await control.addUser({ key: 'dp4-outsider-key', title: 'Outsider', teams: ['t4fln'] });
		for (const key of [undefined, 'not-a-key', 'dp4-outsider-key']) {
			const refused = await api('GET', `/api/v3/dataset/${PRIVATE}`, { key });
			expect(refused.status).toBe(403);
			expect(refused.json).toEqual({
				error: 'Insufficient permissions',
				message: expect.any(String),
			});
		}
		for (const key of [VIEWER, EDITOR, ADMIN]) {
			const seen = await api('GET', `/api/dataset/${PRIVATE}`, { key });
			expect(seen.status).toBe(200);
			expect(seen.json).toEqual(
				expect.objectContaining({ id: PRIVATE, sharing: 'private', readusers: [102] }),
			);
		}
	});
});

describe('E2 PATCH /api/v3/dataset/:id', () => {
	test('answers {"dataset"} with readonly.updates; canonical follows the title; updatedAt moves only when patched', async () => {
		const dataset = await newDataset();
		const patch = [
			{ op: 'replace', path: '/title', value: 'A new title, with punctuation!' },
			{ op: 'add', path: '/tags/-', value: 'extra' },
			{ op: 'add', path: '/custom/update_frequency', value: 'Monthly' },
			{
				op: 'add',
				path: '/links/new_link',
				value: { url: 'https://example.org/more', title: 'More' },
			},
		];
		const { status, json } = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
			key: EDITOR,
			json: patch,
		});
		expect(status).toBe(200);
		expect(Object.keys(json)).toEqual(['dataset']);
		expect(json.dataset).toEqual(
			expect.objectContaining({
				id: dataset.id,
				title: 'A new title, with punctuation!',
				canonical: `/dataset/a-new-title-with-punctuation-${dataset.id}`,
				tags: ['extra'],
				custom: { update_frequency: 'Monthly' },
				links: { new_link: { url: 'https://example.org/more', title: 'More' } },
				updatedAt: dataset.updatedAt,
				readonly: { updates: patch },
			}),
		);
		const after = await get(dataset.id);
		expect(after.readonly).toBeUndefined();
		expect(after.title).toBe('A new title, with punctuation!');

		const stamp = '2030-01-02T03:04:05.678Z';
		const bumped = await api('PATCH', `/api/dataset/${dataset.id}`, {
			key: EDITOR,
			json: [{ op: 'replace', path: '/updatedAt', value: stamp }],
		});
		expect(bumped.status).toBe(200);
		expect(bumped.json.dataset.updatedAt).toBe(stamp);
	});

	test('edits to immutable fields are ignored, not refused; the rest of the patch applies', async () => {
		const before = await get(RECORDED);
		const patch = [
			{ op: 'replace', path: '/id', value: 'hacked' },
			{ op: 'replace', path: '/site', value: 'elsewhere' },
			{ op: 'replace', path: '/canonical', value: '/dataset/elsewhere' },
			{ op: 'replace', path: '/createdAt', value: '2000-01-01T00:00:00.000Z' },
			{ op: 'add', path: '/readonly', value: { anything: true } },
			{ op: 'replace', path: '/resources/7yw/hash', value: '00000000000000000000000000000000' },
			{ op: 'replace', path: '/resources/7yw/size', value: 1 },
			{ op: 'replace', path: '/resources/7yw/format', value: 'zip' },
			{ op: 'replace', path: '/resources/7yw/origin', value: 'elsewhere/x' },
			{ op: 'replace', path: '/resources/7yw/url', value: 'https://example.org/x' },
			{ op: 'replace', path: '/resources/7yw/description', value: 'A test file' },
			{
				op: 'replace',
				path: '/resources/7yw/timeframe',
				value: { from: '2020-01', to: '2020-12' },
			},
		];
		const { status, json } = await api('PATCH', `/api/v3/dataset/${RECORDED}`, {
			key: ADMIN,
			json: patch,
		});
		expect(status).toBe(200);
		expect(json.dataset.readonly.updates).toEqual(patch.slice(-2));
		const after = await get(RECORDED);
		expect(after).toEqual({
			...before,
			resources: {
				...before.resources,
				'7yw': {
					...before.resources['7yw'],
					description: 'A test file',
					timeframe: { from: '2020-01', to: '2020-12' },
				},
			},
		});
		await control.reset();
	});

	test('validation: 400 "There are validation errors." naming each field; nothing applied', async () => {
		const dataset = await newDataset();
		const cases = [
			[[{ op: 'replace', path: '/title', value: '' }], /\* title: This field is required/],
			[[{ op: 'replace', path: '/masthead', value: 'no-such-masthead' }], /\* masthead: /],
			[[{ op: 'add', path: '/topics/-', value: 'no-such-topic' }], /\* topics: /],
			[[{ op: 'replace', path: '/licence', value: 'ogl-v3' }], /\* licence: /],
			[[{ op: 'replace', path: '/sharing', value: 'everyone' }], /\* sharing: /],
			[[{ op: 'add', path: '/custom/n', value: 3 }], /\* custom: /],
			[
				[{ op: 'add', path: '/update_frequency', value: 'Monthly' }],
				/\* update_frequency: not a dataset field/,
			],
			[[{ op: 'replace', path: '/nextReviewDate', value: '15/01/2025' }], /\* nextReviewDate: /],
		];
		for (const [patch, message] of cases) {
			const refused = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
				key: EDITOR,
				json: patch,
			});
			expect(refused.status).toBe(400);
			expect(refused.json).toEqual({
				statusCode: 400,
				message: expect.stringMatching(/^There are validation errors\.\n/),
			});
			expect(refused.json.message).toMatch(message);
		}
		expect(await get(dataset.id)).toEqual(await get(dataset.id));
		expect((await get(dataset.id)).title).toBe(dataset.title);
	});

	test('atomic: a failing test is 409, an operation that cannot apply 400, a patch creating a file 400; nothing applied', async () => {
		const dataset = await newDataset({ tags: ['a'] });
		const before = await get(dataset.id);
		const failedTest = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
			key: EDITOR,
			json: [
				{ op: 'add', path: '/tags/-', value: 'b' },
				{ op: 'test', path: '/title', value: 'something else' },
			],
		});
		expect(failedTest.status).toBe(409);
		expect(failedTest.json).toEqual({
			statusCode: 409,
			message: expect.stringContaining('test /title'),
		});
		const cannotApply = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
			key: EDITOR,
			json: [
				{ op: 'add', path: '/tags/-', value: 'b' },
				{ op: 'remove', path: '/custom/missing' },
			],
		});
		expect(cannotApply.status).toBe(400);
		const newFile = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
			key: EDITOR,
			json: [{ op: 'add', path: '/resources/abc', value: { title: 'x' } }],
		});
		expect(newFile.status).toBe(400);
		expect(newFile.json.message).toMatch(/upload/);
		expect(await get(dataset.id)).toEqual(before);
	});

	test('a passing test operation; application/json-patch+json accepted; a non-array or malformed body is 400', async () => {
		const dataset = await newDataset();
		const passing = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
			key: EDITOR,
			headers: { 'content-type': 'application/json-patch+json' },
			json: [
				{ op: 'test', path: '/updatedAt', value: dataset.updatedAt },
				{ op: 'replace', path: '/description', value: '<p>Changed</p>' },
			],
		});
		expect(passing.status).toBe(200);
		expect(passing.json.dataset.description).toBe('<p>Changed</p>');
		for (const body of [
			JSON.stringify({ updated_at: '2026-01-01' }),
			'[{"op": "jump", "path": "/title"}]',
			'{not json',
		]) {
			const refused = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
				key: EDITOR,
				headers: { 'content-type': 'application/json' },
				body,
			});
			expect(refused.status).toBe(400);
			expect(refused.json).toEqual({ statusCode: 400, message: expect.any(String) });
		}
	});

	test('removing a file: {"op": "remove", "path": "/resources/<rid>"} deletes it from disk and its download', async () => {
		const dataset = await newDataset();
		const uploaded = await postForm(`/api/dataset/${dataset.id}/resources`, {
			key: EDITOR,
			file: { name: 'gone.csv', bytes: Buffer.from('a,b\n1,2\n') },
		});
		const resourceId = uploaded.json.readonly.resource_id;
		const filePath = control.resourceFilePath(dataset.id, resourceId);
		expect(fs.existsSync(filePath)).toBe(true);
		const removed = await api('PATCH', `/api/v3/dataset/${dataset.id}`, {
			key: EDITOR,
			json: [{ op: 'remove', path: `/resources/${resourceId}` }],
		});
		expect(removed.status).toBe(200);
		expect(removed.json.dataset.resources).toEqual({});
		expect(fs.existsSync(filePath)).toBe(false);
		expect((await fetchFile(uploaded.json.readonly.resource.url)).status).toBe(404);
	});

	test('rights: no key, the viewer and an editor of another team get 403; a collaborator may edit; unknown dataset 404', async () => {
		const patch = [{ op: 'replace', path: '/title', value: 'Not allowed' }];
		for (const [key, id] of [
			[undefined, RECORDED],
			['not-a-key', RECORDED],
			[VIEWER, RECORDED],
			[VIEWER, PRIVATE],
			[EDITOR, OTHER_TEAM],
		]) {
			const refused = await api('PATCH', `/api/v3/dataset/${id}`, { key, json: patch });
			expect(refused.status).toBe(403);
			expect(refused.json).toEqual({
				error: 'Insufficient permissions',
				message: expect.any(String),
			});
		}
		const collaborator = await control.addUser({
			key: 'dp4-collaborator-key',
			title: 'Collaborator',
		});
		const added = await api('PATCH', `/api/v3/dataset/${OTHER_TEAM}`, {
			key: ADMIN,
			json: [{ op: 'add', path: '/collaborators/-', value: collaborator.id }],
		});
		expect(added.status).toBe(200);
		const edited = await api('PATCH', `/api/v3/dataset/${OTHER_TEAM}`, {
			key: 'dp4-collaborator-key',
			json: patch,
		});
		expect(edited.status).toBe(200);
		expect((await api('PATCH', '/api/v3/dataset/zzzzz', { key: ADMIN, json: patch })).status).toBe(
			404,
		);
		await control.reset();
	});
});

describe('E3 POST /api/dataset (and /api/v3/dataset)', () => {
	test('creates with a 5-character id and the defaults; answers 200 {"dataset"}; GET gives the same dataset', async () => {
		for (const prefix of ['/api', '/api/v3']) {
			const { status, json } = await api('POST', `${prefix}/dataset`, {
				key: EDITOR,
				json: {
					title: 'Borough rents 2026',
					masthead: 'gla',
					team: 'g7lad',
					tags: ['rents'],
					custom: { update_frequency: 'Monthly' },
				},
			});
			expect(status).toBe(200);
			expect(Object.keys(json)).toEqual(['dataset']);
			const created = json.dataset;
			expect(Object.keys(created)).toEqual(
				DATASET_KEYS.filter((key) => key !== 'descriptionIframe'),
			);
			expect(created).toEqual({
				id: expect.stringMatching(/^[a-z0-9]{5}$/),
				site: 'london',
				team: 'g7lad',
				title: 'Borough rents 2026',
				canonical: `/dataset/borough-rents-2026-${created.id}`,
				description: '',
				masthead: 'gla',
				sharing: 'public',
				collaborators: [],
				readusers: [],
				readteams: [],
				tags: ['rents'],
				topics: [],
				resources: {},
				links: {},
				nextReviewDate: null,
				licence: null,
				contact: null,
				createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
				updatedAt: created.createdAt,
				archivedAt: null,
				custom: { update_frequency: 'Monthly' },
			});
			expect(await get(created.id)).toEqual(created);
		}
	});

	test('server-owned fields in the body are ignored', async () => {
		const created = await newDataset({
			id: 'aaaaa',
			site: 'elsewhere',
			canonical: '/x',
			createdAt: '2000-01-01T00:00:00.000Z',
			resources: { abc: { title: 'x' } },
		});
		expect(created.id).not.toBe('aaaaa');
		expect(created.site).toBe('london');
		expect(created.resources).toEqual({});
		expect(created.createdAt).not.toBe('2000-01-01T00:00:00.000Z');
	});

	test('validation: title, masthead and team are required, all listed in one 400; a malformed body is 400', async () => {
		const { status, json } = await api('POST', '/api/dataset', {
			key: EDITOR,
			json: { sharing: 'private' },
		});
		expect(status).toBe(400);
		expect(json.statusCode).toBe(400);
		expect(json.message.split('\n')).toEqual([
			'There are validation errors.',
			'* title: This field is required',
			expect.stringMatching(/^\* team: /),
			expect.stringMatching(/^\* masthead: /),
		]);
		expect(
			(
				await api('POST', '/api/dataset', {
					key: EDITOR,
					headers: { 'content-type': 'application/json' },
					body: '[1,',
				})
			).status,
		).toBe(400);
		expect((await api('POST', '/api/dataset', { key: EDITOR, json: [] })).status).toBe(400);
	});

	test("rights: no key, the viewer, and an editor outside the dataset's team get 403; an admin creates anywhere", async () => {
		const body = { title: 'Transport thing', masthead: 'tfl', team: 't4fln' };
		for (const key of [undefined, VIEWER, EDITOR]) {
			const refused = await api('POST', '/api/v3/dataset', { key, json: body });
			expect(refused.status).toBe(403);
			expect(refused.json.error).toBe('Insufficient permissions');
		}
		expect((await api('POST', '/api/v3/dataset', { key: ADMIN, json: body })).status).toBe(200);
	});
});

describe('E4, E5 POST /api/dataset/:id/resources[/:rid] (one request)', () => {
	test('a new file goes to the top with its MD5, size, format, origin and url; updatedAt moves; the bytes download intact', async () => {
		const dataset = await newDataset();
		const first = await postForm(`/api/dataset/${dataset.id}/resources`, {
			key: EDITOR,
			file: { name: 'first.csv', bytes: Buffer.from('x\n1\n') },
		});
		expect(first.status).toBe(200);
		const bytes = crypto.randomBytes(300 * 1024);
		const { status, json } = await postForm(`/api/dataset/${dataset.id}/resources`, {
			key: EDITOR,
			fields: { title: 'Second file', description: 'The second' },
			file: { name: 'second file.csv', bytes },
		});
		expect(status).toBe(200);
		expect(Object.keys(json)).toEqual([
			...DATASET_KEYS.filter((key) => key !== 'descriptionIframe'),
			'readonly',
		]);
		const { resource_id: resourceId, resource, new_key: newKey, updates } = json.readonly;
		expect(resourceId).toMatch(/^[a-z0-9]{3}$/);
		expect(resource).toEqual({
			hash: md5(bytes),
			size: bytes.length,
			order: 0,
			title: 'Second file',
			format: 'csv',
			origin: newKey,
			timeframe: null,
			description: 'The second',
			url: `${sandbox.url}/download/${dataset.id}/${resourceId}/second%20file.csv`,
		});
		expect(newKey).toMatch(ORIGIN_STAMP);
		expect(ORIGIN_STAMP.exec(newKey).slice(1)).toEqual([dataset.id, 'second file.csv']);
		expect(json.resources[resourceId]).toEqual(resource);
		expect(json.resources[first.json.readonly.resource_id].order).toBe(1);
		expect(Date.parse(json.updatedAt)).toBeGreaterThan(Date.parse(first.json.updatedAt));
		expect(updates).toEqual([
			{ op: 'replace', path: '/updatedAt', value: json.updatedAt },
			{
				op: 'add',
				path: `/resources/${resourceId}`,
				value: expect.objectContaining({ hash: md5(bytes) }),
			},
		]);
		const file = await fetchFile(resource.url);
		expect(file.status).toBe(200);
		expect(Buffer.compare(file.bytes, bytes)).toBe(0);
		expect(fs.readFileSync(control.resourceFilePath(dataset.id, resourceId)).equals(bytes)).toBe(
			true,
		);
	});

	test('replacing keeps the id, title, order and url; origin, size and hash change as recorded; the old file is removed', async () => {
		const dataset = await newDataset();
		const added = await postForm(`/api/v3/dataset/${dataset.id}/resources`, {
			key: EDITOR,
			fields: { title: 'Kept title' },
			file: { name: 'data.csv', bytes: Buffer.from('old,bytes\n') },
		});
		const resourceId = added.json.readonly.resource_id;
		const oldPath = control.resourceFilePath(dataset.id, resourceId);
		const bytes = Buffer.from('new,bytes\n1,2\n');
		const { status, json } = await postForm(`/api/dataset/${dataset.id}/resources/${resourceId}`, {
			key: EDITOR,
			file: { name: 'data.csv', bytes },
		});
		expect(status).toBe(200);
		expect(json.readonly.resource_id).toBe(resourceId);
		expect(json.readonly.updates).toEqual([
			{ op: 'replace', path: '/updatedAt', value: json.updatedAt },
			{ op: 'replace', path: `/resources/${resourceId}/origin`, value: json.readonly.new_key },
			{ op: 'replace', path: `/resources/${resourceId}/size`, value: bytes.length },
			{ op: 'replace', path: `/resources/${resourceId}/hash`, value: md5(bytes) },
		]);
		expect(json.resources[resourceId]).toEqual({
			...added.json.readonly.resource,
			hash: md5(bytes),
			size: bytes.length,
			origin: json.readonly.new_key,
		});
		expect(fs.existsSync(oldPath)).toBe(false);
		expect((await fetchFile(json.resources[resourceId].url)).bytes.equals(bytes)).toBe(true);

		// Under another file name: the url names the new file, the old url is gone.
		const renamed = await postForm(`/api/dataset/${dataset.id}/resources/${resourceId}`, {
			key: EDITOR,
			file: { name: 'data-2026.csv', bytes },
		});
		const url = `${sandbox.url}/download/${dataset.id}/${resourceId}/data-2026.csv`;
		expect(renamed.json.resources[resourceId].url).toBe(url);
		expect(renamed.json.readonly.updates).toContainEqual({
			op: 'replace',
			path: `/resources/${resourceId}/url`,
			value: url,
		});
		expect((await fetchFile(url)).status).toBe(200);
		expect((await fetchFile(json.resources[resourceId].url)).status).toBe(404);
		expect((await api('GET', `/api/v3/dataset/${dataset.id}%ZZ`)).status).toBe(404);
	});

	test('refusals: viewer and other team 403, unknown dataset or file 404, no file or not multipart 400; nothing stored', async () => {
		const dataset = await newDataset();
		const file = { name: 'x.csv', bytes: Buffer.from('x\n') };
		expect(
			(await postForm(`/api/dataset/${dataset.id}/resources`, { key: VIEWER, file })).status,
		).toBe(403);
		expect(
			(await postForm(`/api/dataset/${OTHER_TEAM}/resources`, { key: EDITOR, file })).status,
		).toBe(403);
		expect((await postForm(`/api/dataset/${dataset.id}/resources`, { file })).status).toBe(403);
		expect((await postForm('/api/dataset/zzzzz/resources', { key: EDITOR, file })).status).toBe(
			404,
		);
		const unknownFile = await postForm(`/api/dataset/${dataset.id}/resources/zzz`, {
			key: EDITOR,
			file,
		});
		expect(unknownFile.status).toBe(404);
		expect(unknownFile.json).toEqual({ error: 'Resource not found', id: 'zzz' });
		const noFile = await postForm(`/api/dataset/${dataset.id}/resources`, {
			key: EDITOR,
			fields: { title: 'x' },
		});
		expect(noFile.status).toBe(400);
		expect(noFile.json.message).toMatch(/"file"/);
		expect(
			(
				await api('POST', `/api/dataset/${dataset.id}/resources`, {
					key: EDITOR,
					json: { file: 'x' },
				})
			).status,
		).toBe(400);
		expect((await get(dataset.id)).resources).toEqual({});
		expect(filesUnder(path.join(sandbox.dataDir, 'files', dataset.id))).toEqual([]);
	});

	test('a file of 100 MB + 1 byte is refused with 413 while it streams; nothing stored', async () => {
		const dataset = await newDataset();
		const size = 104857600 + 1;
		const block = crypto.randomBytes(MIB);
		function* bytes() {
			for (let left = size; left > 0; left -= MIB) yield block.subarray(0, Math.min(MIB, left));
		}
		const refused = await postForm(`/api/dataset/${dataset.id}/resources`, {
			key: EDITOR,
			file: { name: 'big.bin', bytes, size },
		});
		expect(refused.status).toBe(413);
		expect(refused.json).toEqual({ statusCode: 413, message: expect.stringMatching(/chunks/) });
		expect((await get(dataset.id)).resources).toEqual({});
		expect(filesUnder(path.join(sandbox.dataDir, 'files', dataset.id))).toEqual([]);
	});
});

describe('E6-E8 chunked upload: create, chunks, complete', () => {
	test('three parts: the stored file is the bytes sent, its hash the multipart ETag computed here, metadata from create', async () => {
		const dataset = await newDataset();
		const bytes = crypto.randomBytes(2 * PART + 1234567);
		const { created, chunks, completed } = await chunkedUpload(dataset.id, bytes, {
			filename: 'large.csv',
			title: 'Large file',
			description: 'Sent in chunks',
			timeframe: { from: '2024-01', to: '2024-12' },
		});
		const uploadId = /\/api\/v3\/upload\/([0-9a-f-]{36})\/chunk$/.exec(created.json.urlChunk)[1];
		expect(created.json).toEqual({
			urlChunk: `${sandbox.url}/api/v3/upload/${uploadId}/chunk`,
			urlComplete: `${sandbox.url}/api/v3/upload/${uploadId}/complete`,
		});
		expect(chunks.map((chunk) => [chunk.status, chunk.json])).toEqual([
			[200, { part: 0, size: PART }],
			[200, { part: 1, size: PART }],
			[200, { part: 2, size: 1234567 }],
		]);
		expect(completed.status).toBe(200);
		expect(Object.keys(completed.json)).toEqual(['dataset', 'resource_id', 'new_key']);
		const { dataset: after, resource_id: resourceId, new_key: newKey } = completed.json;
		expect(resourceId).toMatch(/^[a-z0-9]{3}$/);
		expect(after.readonly).toBeUndefined();
		expect(after.resources[resourceId]).toEqual({
			hash: multipartEtag(bytes),
			size: bytes.length,
			order: 0,
			title: 'Large file',
			format: 'csv',
			origin: newKey,
			timeframe: { from: '2024-01', to: '2024-12' },
			description: 'Sent in chunks',
			url: `${sandbox.url}/download/${dataset.id}/${resourceId}/large.csv`,
		});
		expect(after.resources[resourceId].hash).toMatch(ETAG(3));
		expect(after.resources[resourceId].hash).not.toBe(md5(bytes));
		expect(ORIGIN_STAMP.exec(newKey).slice(1)).toEqual([dataset.id, 'large.csv']);
		expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(dataset.updatedAt));
		expect(await get(dataset.id)).toEqual(after);
		const file = await fetchFile(after.resources[resourceId].url);
		expect(file.status).toBe(200);
		expect(md5(file.bytes)).toBe(md5(bytes));
		expect(file.bytes.length).toBe(bytes.length);
		// The parts are gone from disk once assembled; the upload is marked complete.
		const upload = control.uploads().find((entry) => entry.id === uploadId);
		expect(upload).toEqual(expect.objectContaining({ status: 'complete', parts: 3 }));
		expect(fs.existsSync(upload.directory)).toBe(false);
	});

	test('one part of a few bytes, as the official client sends every file: hash <md5 of md5>-1', async () => {
		const dataset = await newDataset();
		const bytes = Buffer.from('tiny,file\n');
		const { completed } = await chunkedUpload(dataset.id, bytes, { filename: 'tiny.txt' });
		expect(completed.status).toBe(200);
		const resource = completed.json.dataset.resources[completed.json.resource_id];
		expect(resource.hash).toBe(`${md5(Buffer.from(md5(bytes), 'hex'))}-1`);
		expect(resource).toEqual(
			expect.objectContaining({
				size: bytes.length,
				format: 'txt',
				title: 'tiny.txt',
				description: '',
			}),
		);
		expect((await fetchFile(resource.url)).bytes.equals(bytes)).toBe(true);
	});

	test('replacing by resource_id keeps the id; order places it; parts out of order and a part sent twice are fine', async () => {
		const dataset = await newDataset();
		const first = (await chunkedUpload(dataset.id, Buffer.from('one\n'), { filename: 'one.csv' }))
			.completed.json.resource_id;
		const second = (await chunkedUpload(dataset.id, Buffer.from('two\n'), { filename: 'two.csv' }))
			.completed.json.resource_id;
		const oldPath = control.resourceFilePath(dataset.id, first);
		const bytes = crypto.randomBytes(PART + 10);
		const created = await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
			key: EDITOR,
			json: { filename: 'one.csv', parts: 2, resource_id: first, order: 1 },
		});
		const send = (part, slice) =>
			postForm(created.json.urlChunk, {
				key: EDITOR,
				fields: { part },
				file: { name: 'blob', bytes: slice },
			});
		expect((await send(1, crypto.randomBytes(10))).status).toBe(200);
		expect((await send(0, bytes.subarray(0, PART))).status).toBe(200);
		expect((await send(1, bytes.subarray(PART))).status).toBe(200);
		const completed = await api('POST', created.json.urlComplete, { key: EDITOR });
		expect(completed.status).toBe(200);
		expect(completed.json.resource_id).toBe(first);
		const resources = completed.json.dataset.resources;
		expect(Object.keys(resources).sort()).toEqual([first, second].sort());
		expect(resources[first]).toEqual(
			expect.objectContaining({
				order: 1,
				title: 'one.csv',
				hash: multipartEtag(bytes),
				size: bytes.length,
			}),
		);
		expect(resources[second].order).toBe(0);
		expect(fs.existsSync(oldPath)).toBe(false);
		expect((await fetchFile(resources[first].url)).bytes.equals(bytes)).toBe(true);
	});

	test('create refusals: a bad body 400 naming the fields, unknown resource_id or dataset 404, no edit rights 403', async () => {
		const dataset = await newDataset();
		const upload = (json, key = EDITOR, id = dataset.id) =>
			api('POST', `/api/v3/dataset/${id}/upload`, { key, json });
		const invalid = await upload({ parts: 0, order: -1, timeframe: { from: 'soon' } });
		expect(invalid.status).toBe(400);
		expect(invalid.json.message.split('\n').slice(1)).toEqual([
			expect.stringMatching(/^\* filename: /),
			expect.stringMatching(/^\* parts: /),
			expect.stringMatching(/^\* order: /),
			expect.stringMatching(/^\* timeframe: /),
		]);
		expect((await upload({ filename: 'a/b.csv', parts: 1 })).status).toBe(400);
		expect((await upload({ filename: 'x.csv', parts: 10001 })).status).toBe(400);
		expect((await upload({ filename: 'x.csv', parts: 1.5 })).status).toBe(400);
		const unknownResource = await upload({ filename: 'x.csv', parts: 1, resource_id: 'zzz' });
		expect(unknownResource.status).toBe(404);
		expect(unknownResource.json).toEqual({ error: 'Resource not found', id: 'zzz' });
		expect((await upload({ filename: 'x.csv', parts: 1 }, EDITOR, 'zzzzz')).status).toBe(404);
		expect((await upload({ filename: 'x.csv', parts: 1 }, VIEWER)).status).toBe(403);
		expect((await upload({ filename: 'x.csv', parts: 1 }, null)).status).toBe(403);
		expect((await upload({ filename: 'x.csv', parts: 1 }, EDITOR, OTHER_TEAM)).status).toBe(403);
		// Only under /api/v3, where the documents show it.
		expect(
			(
				await api('POST', `/api/dataset/${dataset.id}/upload`, {
					key: EDITOR,
					json: { filename: 'x.csv', parts: 1 },
				})
			).status,
		).toBe(404);
	});

	test('chunk refusals: unknown upload 404, another key or none 403, part out of range or missing 400, no file 400', async () => {
		const dataset = await newDataset();
		const created = await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
			key: EDITOR,
			json: { filename: 'x.bin', parts: 2 },
		});
		const file = { name: 'blob', bytes: Buffer.from('bytes') };
		const unknown = await postForm(`/api/v3/upload/${crypto.randomUUID()}/chunk`, {
			key: EDITOR,
			fields: { part: 0 },
			file,
		});
		expect(unknown.status).toBe(404);
		expect(unknown.json).toEqual({ error: 'Upload not found', id: expect.any(String) });
		for (const key of [ADMIN, VIEWER, undefined])
			expect(
				(await postForm(created.json.urlChunk, { key, fields: { part: 0 }, file })).status,
			).toBe(403);
		for (const part of [2, 99, -1, 'one']) {
			const refused = await postForm(created.json.urlChunk, {
				key: EDITOR,
				fields: { part },
				file,
			});
			expect(refused.status).toBe(400);
			expect(refused.json).toEqual({ statusCode: 400, message: expect.stringMatching(/part/i) });
		}
		const noPart = await postForm(created.json.urlChunk, { key: EDITOR, file });
		expect(noPart.status).toBe(400);
		expect(noPart.json.message).toMatch(/"part"/);
		const noFile = await postForm(created.json.urlChunk, { key: EDITOR, fields: { part: 0 } });
		expect(noFile.status).toBe(400);
		expect(noFile.json.message).toMatch(/"file"/);
		const upload = control.uploads().find((entry) => created.json.urlChunk.includes(entry.id));
		expect(upload).toEqual(expect.objectContaining({ status: 'open', received: [] }));
		expect(filesUnder(upload.directory)).toEqual([]);
	});

	test('complete refusals: a missing part and a short part are 400 and leave the upload open; after completion 409; unknown 404', async () => {
		const dataset = await newDataset();
		const bytes = crypto.randomBytes(2 * PART + 100);
		const created = await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
			key: EDITOR,
			json: { filename: 'three.bin', parts: 3 },
		});
		const send = (part, slice) =>
			postForm(created.json.urlChunk, {
				key: EDITOR,
				fields: { part },
				file: { name: 'blob', bytes: slice },
			});
		const complete = (key = EDITOR) => api('POST', created.json.urlComplete, { key });
		expect((await send(0, bytes.subarray(0, PART))).status).toBe(200);
		expect((await send(2, bytes.subarray(2 * PART))).status).toBe(200);
		const missing = await complete();
		expect(missing.status).toBe(400);
		expect(missing.json).toEqual({
			statusCode: 400,
			message: expect.stringMatching(/part 1 was never sent/),
		});
		// Part 1 short (not the last): S3 refuses parts under 5 MiB but the last.
		expect((await send(1, bytes.subarray(PART, 2 * PART - 1))).status).toBe(200);
		const short = await complete();
		expect(short.status).toBe(400);
		expect(short.json.message).toMatch(/Part 1 is 5242879 bytes: .*at least 5242880 bytes/);
		expect((await complete(VIEWER)).status).toBe(403);
		expect((await get(dataset.id)).resources).toEqual({});
		// Still open: the part sent again at full size, then completion succeeds.
		expect((await send(1, bytes.subarray(PART, 2 * PART))).status).toBe(200);
		const done = await complete();
		expect(done.status).toBe(200);
		expect(done.json.dataset.resources[done.json.resource_id].hash).toBe(multipartEtag(bytes));
		const again = await complete();
		expect(again.status).toBe(409);
		expect(again.json).toEqual({
			statusCode: 409,
			message: expect.stringMatching(/already complete/),
		});
		expect((await send(0, bytes.subarray(0, 10))).status).toBe(409);
		expect(Object.keys((await get(dataset.id)).resources)).toEqual([done.json.resource_id]);
		expect(
			(await api('POST', `/api/v3/upload/${crypto.randomUUID()}/complete`, { key: EDITOR })).status,
		).toBe(404);
	});

	test('chunks are streamed to disk as they arrive: a received part is a file of its size in the upload folder', async () => {
		const dataset = await newDataset();
		const created = await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
			key: EDITOR,
			json: { filename: 'x.bin', parts: 2 },
		});
		const bytes = crypto.randomBytes(PART);
		await postForm(created.json.urlChunk, {
			key: EDITOR,
			fields: { part: 0 },
			file: { name: 'blob', bytes },
		});
		const upload = control.uploads().find((entry) => created.json.urlChunk.includes(entry.id));
		expect(upload.received).toEqual([0]);
		const stored = filesUnder(upload.directory);
		expect(stored).toHaveLength(1);
		expect(fs.readFileSync(stored[0]).equals(bytes)).toBe(true);
	});

	test('a chunk cut off midway (dropAfterBytes) leaves no part behind', async () => {
		const dataset = await newDataset();
		const created = await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
			key: EDITOR,
			json: { filename: 'x.bin', parts: 1 },
		});
		const uploadId = /upload\/([^/]+)\/chunk/.exec(created.json.urlChunk)[1];
		control.injectFault({
			server: 'datapress',
			path: `/api/v3/upload/${uploadId}/chunk`,
			method: 'POST',
			dropAfterBytes: 256 * 1024,
		});
		await expect(
			postForm(created.json.urlChunk, {
				key: EDITOR,
				fields: { part: 0 },
				file: { name: 'blob', bytes: crypto.randomBytes(2 * MIB) },
			}),
		).rejects.toThrow();
		const upload = control.uploads().find((entry) => entry.id === uploadId);
		expect(upload.received).toEqual([]);
		// The server cleans up when it sees the socket close, which may come after the client's error;
		// jest's timeout guards against a clean-up that never comes.
		while (filesUnder(upload.directory).length > 0)
			await new Promise((resolve) => setTimeout(resolve, 10));
		expect(filesUnder(upload.directory)).toEqual([]);
		const missing = await api('POST', created.json.urlComplete, { key: EDITOR });
		expect(missing.status).toBe(400);
	});
});

describe('E9-E14: whoami, teams, site, users, export', () => {
	test('whoami (v3 only): the user with an integer id and team memberships; null for a missing or invalid key', async () => {
		expect((await api('GET', '/api/v3/whoami', { key: EDITOR })).json).toEqual({
			id: 101,
			title: 'Demo Editor',
			email: 'editor@example.org',
			admin: false,
			memberships: ['4mxpm', 'g7lad', 'p9lan'],
		});
		expect((await api('GET', '/api/v3/whoami', { key: VIEWER })).json).toEqual(
			expect.objectContaining({ id: 102, admin: false, memberships: [] }),
		);
		expect((await api('GET', '/api/v3/whoami', { key: ADMIN })).json).toEqual(
			expect.objectContaining({ id: 103, admin: true }),
		);
		for (const key of [undefined, 'not-a-key']) {
			const anonymous = await api('GET', '/api/v3/whoami', { key });
			expect(anonymous.status).toBe(200);
			expect(anonymous.raw.toString()).toBe('null');
		}
		expect((await api('GET', '/api/whoami', { key: EDITOR })).status).toBe(404);
		expect((await api('GET', '/api/orgs', { key: EDITOR })).status).toBe(404);
	});

	test('teams: a map by 5-character id with users {id, manager}, at /api/v3/teams and the old /api/team', async () => {
		const { status, json } = await api('GET', '/api/v3/teams');
		expect(status).toBe(200);
		expect(Object.keys(json).sort()).toEqual(['4mxpm', 'g7lad', 'p9lan', 't4fln']);
		for (const [id, team] of Object.entries(json)) {
			expect(team).toEqual({
				id,
				site: 'london',
				title: expect.any(String),
				users: expect.any(Array),
			});
			for (const member of team.users)
				expect(member).toEqual({ id: expect.any(Number), manager: expect.any(Boolean) });
		}
		expect((await api('GET', '/api/team')).json).toEqual(json);
	});

	test('team PATCH: a manager or an admin; id and site ignored; a member who is not a manager 403; bad users 400', async () => {
		const renamed = await api('PATCH', '/api/v3/team/g7lad', {
			key: EDITOR,
			json: [
				{ op: 'replace', path: '/title', value: 'GLA (renamed)' },
				{ op: 'replace', path: '/site', value: 'elsewhere' },
				{ op: 'add', path: '/users/-', value: { id: 102, manager: false } },
			],
		});
		expect(renamed.status).toBe(200);
		expect(renamed.json).toEqual({
			id: 'g7lad',
			site: 'london',
			title: 'GLA (renamed)',
			users: [
				{ id: 101, manager: true },
				{ id: 102, manager: false },
			],
		});
		expect((await api('GET', '/api/v3/whoami', { key: VIEWER })).json.memberships).toEqual([
			'g7lad',
		]);
		expect(
			(
				await api('PATCH', '/api/v3/team/p9lan', {
					key: EDITOR,
					json: [{ op: 'replace', path: '/title', value: 'x' }],
				})
			).status,
		).toBe(403);
		expect(
			(
				await api('PATCH', '/api/team/p9lan', {
					key: ADMIN,
					json: [{ op: 'replace', path: '/title', value: 'Planning' }],
				})
			).status,
		).toBe(200);
		const bad = await api('PATCH', '/api/v3/team/p9lan', {
			key: ADMIN,
			json: [{ op: 'add', path: '/users/-', value: { id: 9999 } }],
		});
		expect(bad.status).toBe(400);
		expect(bad.json.message).toMatch(/\* users: /);
		expect((await api('PATCH', '/api/v3/team/zzzzz', { key: ADMIN, json: [] })).status).toBe(404);
		await control.reset();
	});

	test('site: mastheads and topics every dataset refers to; PATCH by an admin only, a new masthead usable at once', async () => {
		const site = (await api('GET', '/api/v3/site')).json;
		expect(site).toEqual(
			expect.objectContaining({
				id: 'london',
				title: expect.any(String),
				mastheads: expect.any(Object),
				topics: expect.any(Object),
			}),
		);
		expect((await api('GET', '/api/site')).json).toEqual(site);
		for (const dataset of (await api('GET', '/api/v3/datasets/export.json', { key: ADMIN })).json) {
			expect(site.mastheads).toHaveProperty([dataset.masthead.id]);
			for (const topic of dataset.topics) expect(site.topics).toHaveProperty([topic.id]);
		}
		const patch = [{ op: 'add', path: '/mastheads/gla-housing', value: { title: 'GLA Housing' } }];
		expect((await api('PATCH', '/api/v3/site', { key: EDITOR, json: patch })).status).toBe(403);
		const patched = await api('PATCH', '/api/v3/site', {
			key: ADMIN,
			json: [...patch, { op: 'replace', path: '/id', value: 'x' }],
		});
		expect(patched.status).toBe(200);
		expect(patched.json.id).toBe('london');
		expect(patched.json.mastheads['gla-housing']).toEqual({ title: 'GLA Housing' });
		expect((await newDataset({ masthead: 'gla-housing' })).masthead).toBe('gla-housing');
		expect(
			(
				await api('PATCH', '/api/v3/site', {
					key: ADMIN,
					json: [{ op: 'replace', path: '/title', value: '' }],
				})
			).status,
		).toBe(400);
		await control.reset();
	});

	test('users: title, email and admin for admins and team members, only id and teams for others', async () => {
		const full = (await api('GET', '/api/users', { key: EDITOR })).json;
		expect(full).toEqual(
			expect.arrayContaining([
				{
					id: 101,
					title: 'Demo Editor',
					email: 'editor@example.org',
					admin: false,
					teams: ['4mxpm', 'g7lad', 'p9lan'],
				},
			]),
		);
		expect((await api('GET', '/api/v3/users', { key: ADMIN })).json).toEqual(full);
		for (const key of [VIEWER, undefined]) {
			for (const user of (await api('GET', '/api/users', { key })).json)
				expect(Object.keys(user)).toEqual(['id', 'teams']);
		}
	});

	test('export: the datasets the caller may read, team, masthead and topics as {id, title}, files and links as lists', async () => {
		const anonymous = await api('GET', '/api/v3/datasets/export.json');
		expect(anonymous.status).toBe(200);
		const ids = anonymous.json.map((dataset) => dataset.id);
		expect(ids).toEqual(expect.arrayContaining([RECORDED, OTHER_TEAM, MIGRATED.dataset]));
		expect(ids).not.toContain(PRIVATE);
		expect(
			(await api('GET', '/api/v3/datasets/export.json', { key: VIEWER })).json.map(
				(dataset) => dataset.id,
			),
		).toContain(PRIVATE);
		expect((await api('GET', '/api/datasets/export.json')).json).toEqual(anonymous.json);
		const recorded = anonymous.json.find((dataset) => dataset.id === RECORDED);
		const served = await get(RECORDED);
		expect(recorded.team).toEqual({ id: '4mxpm', title: 'GLA Demography' });
		expect(recorded.masthead).toEqual({ id: 'gla-demography', title: 'GLA Demography' });
		expect(recorded.topics).toEqual([{ id: 'demographics', title: 'Demographics' }]);
		expect(recorded.links).toEqual([]);
		expect(recorded.resources.map((resource) => resource.id)).toEqual(['7yw', 'lfe', '4nz', 'bcb']);
		const { timeframe, ...rest } = served.resources['4nz'];
		expect(timeframe).toBeNull();
		expect(recorded.resources[2]).toEqual({
			id: '4nz',
			...rest,
			timeframeFrom: null,
			timeframeTo: null,
			// The upload time of the storage key `london/dataset/vd4q4/2026-05-20T15:35:36/...`.
			timestamp: '2026-05-20T15:35:36.000Z',
		});
		expect(recorded.custom).toEqual(served.custom);
	});
});

describe('E15 downloads', () => {
	test('a private file needs read rights (403 otherwise); the file name segment is required and must match', async () => {
		const dataset = await get(PRIVATE, EDITOR);
		const [resourceId, resource] = Object.entries(dataset.resources)[0];
		for (const key of [undefined, 'not-a-key']) {
			const refused = await fetchFile(resource.url, key);
			expect(refused.status).toBe(403);
		}
		const got = await fetchFile(resource.url, VIEWER);
		expect(got.status).toBe(200);
		expect(md5(got.bytes)).toBe(resource.hash);
		expect(got.headers['content-disposition']).toBe(
			'attachment; filename="notes.txt"; filename*=UTF-8\'\'notes.txt',
		);
		for (const urlPath of [
			`/download/${PRIVATE}/${resourceId}`,
			`/download/${PRIVATE}/${resourceId}/other.txt`,
			`/download/${PRIVATE}/zzz/notes.txt`,
			`/download/zzzzz/${resourceId}/notes.txt`,
		]) {
			expect((await fetchFile(urlPath, ADMIN)).status).toBe(404);
		}
	});
});

describe('selection, control and faults', () => {
	test('DataPress 4 is the default, legacy is selectable; v4 drops the legacy routes; an unknown generation is refused', async () => {
		const byDefault = await startDatastoreSandboxes({ port: 0 });
		try {
			expect(byDefault.api).toBe('v4');
		} finally {
			await byDefault.close();
		}
		const legacy = await startDatastoreSandboxes({ api: 'legacy', port: 0, storagePort: 0 });
		try {
			expect(legacy.api).toBe('legacy');
			expect((await api('GET', `${legacy.url}/api/orgs`)).status).toBe(200);
			expect((await api('GET', `${legacy.url}/api/v3/whoami`, { key: EDITOR })).status).toBe(404);
		} finally {
			await legacy.close();
		}
		expect(sandbox.api).toBe('v4');
		expect(sandbox.storageUrl).toBeUndefined();
		expect(
			(await api('POST', `/api/dataset/${RECORDED}/presign/x.csv`, { key: EDITOR })).status,
		).toBe(404);
		await expect(startDatastoreSandboxes({ api: 'v5' })).rejects.toThrow(/legacy, v4/);
	});

	test('`npm run sandbox -- --api v4` serves DataPress 4', async () => {
		const cliDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp4-cli-'));
		const child = spawn(
			process.execPath,
			[path.join(__dirname, '../../sandbox/cli.js'), '--api', 'v4'],
			{
				env: {
					...process.env,
					PLANNING_PORT: '0',
					DATAPRESS_PORT: '0',
					STORAGE_PORT: '0',
					SMTP_PORT: '0',
					MAILBOX_PORT: '0',
					MODEL_PORT: '0',
					SANDBOX_DATA_DIR: cliDataDir,
				},
				stdio: ['ignore', 'pipe', 'inherit'],
			},
		);
		try {
			let output = '';
			for await (const chunk of child.stdout) {
				output += chunk;
				if (/Control endpoints/.test(output)) break;
			}
			const url = /DataPress 4\s+(http:\/\/\S+)/.exec(output)[1];
			expect((await api('GET', `${url}/api/v3/whoami`, { key: EDITOR })).json).toEqual(
				expect.objectContaining({ id: 101 }),
			);
		} finally {
			child.kill('SIGTERM');
			await new Promise((resolve) => child.once('exit', resolve));
			fs.rmSync(cliDataDir, { recursive: true, force: true });
		}
	});

	test('requests are logged with status; a status fault answers with Retry-After and leaves the state as it was', async () => {
		control.clearLogs();
		await api('GET', `/api/v3/dataset/${RECORDED}`);
		await api('GET', '/api/v3/dataset/zzzzz');
		expect(control.requests()).toEqual([
			expect.objectContaining({ method: 'GET', path: `/api/v3/dataset/${RECORDED}`, status: 200 }),
			expect.objectContaining({ method: 'GET', path: '/api/v3/dataset/zzzzz', status: 404 }),
		]);
		const dataset = await newDataset();
		control.injectFault({
			server: 'datapress',
			path: `/api/v3/dataset/${dataset.id}/upload`,
			method: 'POST',
			status: 503,
			retryAfter: 3,
		});
		const faulted = await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
			key: EDITOR,
			json: { filename: 'x', parts: 1 },
		});
		expect(faulted.status).toBe(503);
		expect(faulted.headers['retry-after']).toBe('3');
		expect(control.uploads().filter((upload) => upload.datasetId === dataset.id)).toEqual([]);
		expect(
			(
				await api('POST', `/api/v3/dataset/${dataset.id}/upload`, {
					key: EDITOR,
					json: { filename: 'x', parts: 1 },
				})
			).status,
		).toBe(200);
	});

	test('the control API over HTTP: dataset, uploads, users, reset restores the seed and removes uploaded files', async () => {
		const dataset = await newDataset();
		await chunkedUpload(dataset.id, Buffer.from('x\n'), { filename: 'x.csv' });
		expect((await api('GET', `/_sandbox/datasets/${dataset.id}`)).json).toEqual(
			await get(dataset.id),
		);
		expect((await api('GET', '/_sandbox/uploads')).json.length).toBeGreaterThan(0);
		const user = await api('POST', '/_sandbox/users', {
			json: { key: 'dp4-http-user', teams: ['t4fln'], managerOf: ['t4fln'] },
		});
		expect(user.json).toEqual(
			expect.objectContaining({ key: 'dp4-http-user', id: expect.any(Number), admin: false }),
		);
		expect((await api('GET', '/api/v3/teams')).json.t4fln.users).toEqual([
			{ id: user.json.id, manager: true },
		]);
		expect((await api('POST', '/_sandbox/reset', { json: {} })).json).toEqual({ ok: true });
		expect((await api('GET', `/api/v3/dataset/${dataset.id}`)).status).toBe(404);
		expect((await api('GET', '/_sandbox/uploads')).json).toEqual([]);
		expect(filesUnder(path.join(sandbox.dataDir, 'files'))).toEqual([]);
		expect((await api('GET', '/api/v3/whoami', { key: 'dp4-http-user' })).raw.toString()).toBe(
			'null',
		);
		const recorded = await get(RECORDED);
		expect((await fetchFile(recorded.resources['4nz'].url)).bytes.length).toBe(29385778);
	});
});
