/**
 * End to end: the packed package installed in a real n8n as a community package, driven through n8n's CLI
 * (import, execute) and a running `n8n start`, against the sandboxes. Assertions cover node outputs and the
 * sandboxes' own state (credits charged, bytes stored, patches applied, mails received).
 *
 * Runs on the pinned n8n 2.x (2.40.7), the newest 2.x that installs here (2.41.1) and the last n8n 1.x
 * (1.123.81); E2E_N8N_LINES (e.g. "2") picks some of them.
 */
'use strict';

const fs = require('node:fs');
const { SIMPLIFIED_FIELDS } = require('../fixtures/planningApplication');
const path = require('node:path');
const { request } = require('undici');

const {
	PLANNING_KEY,
	TYPES,
	EDITOR_TEAM,
	startEnvironment,
	chainWorkflow,
	branchWorkflow,
	createDatasetNode,
	readAndUploadNodes,
	triggerExample,
	fileDigestExample,
	editorApi,
	waitFor,
	writeLargeFile,
	md5OfFile,
	nodeItems,
	nodeError,
	totalCharged: totalChargedIn,
	checkExamples,
} = require('./support');
const { singleProcessLines } = require('./lines');

const LINES = singleProcessLines();
const DATAPRESS_KEY = 'demo-editor-key';
// Installing n8n the first time takes minutes; every CLI command boots n8n (a few seconds, but a minute
// on a loaded two-core machine: a step of seven commands once ran past 5 minutes there, against under
// one minute at a load of 3). A safety net against a hang, not a measure of speed.
const SETUP_TIMEOUT = 20 * 60 * 1000;
const STEP_TIMEOUT = 10 * 60 * 1000;

const planningType = TYPES.planning;
const datastoreType = TYPES.datastore;

/** A postcode of another authority than `postcode`'s, more than `miles` from it (as the crow flies). */
async function farPostcode(env, postcode, miles) {
	const postcodes = await env.planning.control.postcodes();
	const centre = postcodes.find((entry) => entry.postcode === postcode);
	const radians = (degrees) => (degrees * Math.PI) / 180;
	const distance = (a, b) => {
		const h =
			Math.sin(radians(b.lat - a.lat) / 2) ** 2 +
			Math.cos(radians(a.lat)) *
				Math.cos(radians(b.lat)) *
				Math.sin(radians(b.lng - a.lng) / 2) ** 2;
		return 2 * 3958.8 * Math.asin(Math.sqrt(h));
	};
	return postcodes.find(
		(entry) => entry.lpa_id !== centre.lpa_id && distance(centre, entry) > miles,
	);
}

describe.each(LINES)('n8n %s.x', (line) => {
	/** The line in workflow ids, which take letters and digits only. */
	const lineId = line.replace(/\W/g, '');
	let env;

	beforeAll(async () => {
		env = await startEnvironment({ line });
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (env) await env.close();
	});

	const totalCharged = () => totalChargedIn(env);

	test(
		'UK Planning: every operation runs in n8n and the credits charged equal what the node reports',
		async () => {
			const lpas = await env.planning.control.lpas();
			const lpaId = String(lpas[0].id);
			const id = `pdsE2eP${lineId}`;
			await env.importWorkflows([
				chainWorkflow(`${id}count`, 'e2e count', [
					{
						name: 'Count',
						type: planningType,
						parameters: {
							resource: 'application',
							operation: 'search',
							mode: 'count',
							lpaIds: [lpaId],
						},
					},
				]),
				chainWorkflow(`${id}fetch`, 'e2e fetch', [
					{
						name: 'Fetch',
						type: planningType,
						parameters: {
							resource: 'application',
							operation: 'search',
							mode: 'applications',
							lpaIds: [lpaId],
							maxCredits: 40,
							overCap: 'newestFirst',
							outputOptions: { omitPersonalData: true },
						},
					},
				]),
				chainWorkflow(`${id}authorities`, 'e2e authorities', [
					{
						name: 'Authorities',
						type: planningType,
						parameters: { resource: 'authority', operation: 'getAll', returnAll: true },
					},
				]),
				chainWorkflow(`${id}account`, 'e2e account', [
					{
						name: 'Credits',
						type: planningType,
						parameters: { resource: 'account', operation: 'getCredits' },
					},
					{
						name: 'Top Up',
						type: planningType,
						parameters: { resource: 'account', operation: 'getTopUpLink', credits: 1000 },
					},
					{
						name: 'New Key',
						type: planningType,
						parameters: {
							resource: 'account',
							operation: 'generateKey',
							email: 'newcomer@example.org',
						},
					},
				]),
			]);

			const count = await env.execute(`${id}count`);
			const [counted] = nodeItems(count, 'Count');
			expect(counted.count).toBeGreaterThan(40);
			expect(await totalCharged()).toBe(0);

			const fetch = await env.execute(`${id}fetch`);
			const fetched = nodeItems(fetch, 'Fetch');
			expect(fetched.length).toBeGreaterThan(0);
			expect(fetched.length).toBeLessThanOrEqual(40);
			expect(fetched.every((application) => application.applicant_name === undefined)).toBe(true);
			expect(
				fetched.every(
					(application) => typeof application.lat === 'number' || application.lat === null,
				),
			).toBe(true);
			expect(await totalCharged()).toBe(fetched.length);

			const authorities = nodeItems(await env.execute(`${id}authorities`), 'Authorities');
			expect(authorities.map((authority) => String(authority.id))).toEqual(
				lpas.map((lpa) => String(lpa.id)),
			);

			const account = await env.execute(`${id}account`);
			expect(nodeItems(account, 'Credits')[0].creditsRemaining).toBe(
				await env.planning.control.credits(PLANNING_KEY),
			);
			const topUp = nodeItems(account, 'Top Up')[0];
			expect(JSON.stringify(topUp)).toContain(env.planning.origin);
			expect(JSON.stringify(topUp)).not.toContain(PLANNING_KEY);
			expect(typeof nodeItems(account, 'New Key')[0].key).toBe('string');
		},
		STEP_TIMEOUT,
	);

	test(
		'a Planning API error surfaces in the execution data with a clear message and without the key',
		async () => {
			const id = `pdsE2eErr${lineId}`;
			await env.planning.control.injectFault({ path: '/search', status: 503, times: 10 });
			await env.importWorkflows([
				chainWorkflow(id, 'e2e error', [
					{
						name: 'Count',
						type: planningType,
						parameters: { resource: 'application', operation: 'search', mode: 'count' },
					},
				]),
			]);
			const run = await env.execute(id);
			const error = nodeError(run, 'Count');
			expect(error).toBeDefined();
			expect(String(error.message)).toMatch(/503|unavailable|server/i);
			expect(JSON.stringify(run)).not.toContain(PLANNING_KEY);
			await env.planning.control.reset();
		},
		STEP_TIMEOUT,
	);

	test(
		'London Datastore on DataPress 4: create, update (Set Fields), get, uploads on both paths byte-identical, file update and delete, teams',
		async () => {
			const id = `pdsE2eD${lineId}`;
			const smallFile = path.join(env.filesFolder, 'small.csv');
			fs.writeFileSync(smallFile, 'reference,units\nA1,12\nB2,7\n');
			const largeFile = await writeLargeFile(
				path.join(env.filesFolder, 'large.bin'),
				100 * 1024 * 1024 + 4096,
			);
			const createdId = "={{ $('Create').item.json.id }}";
			await env.importWorkflows([
				chainWorkflow(`${id}create`, 'e2e create', [
					createDatasetNode(`E2E dataset ${line}`),
					{
						name: 'Update',
						type: datastoreType,
						parameters: {
							resource: 'dataset',
							operation: 'update',
							datasetId: createdId,
							updateMode: 'setFields',
							fields: { description: '<p>Set by n8n</p>', maintainer: 'E2E team' },
							options: { bumpUpdatedDate: true },
						},
					},
					{
						name: 'Get',
						type: datastoreType,
						parameters: { resource: 'dataset', operation: 'get', datasetId: createdId },
					},
				]),
				chainWorkflow(`${id}teams`, 'e2e teams', [
					{
						name: 'Teams',
						type: datastoreType,
						parameters: { resource: 'team', operation: 'getAll', returnAll: true },
					},
				]),
			]);

			const created = await env.execute(`${id}create`);
			expect(nodeError(created, 'Create')).toBeUndefined();
			const datasetId = nodeItems(created, 'Create')[0].id;
			expect(datasetId).toMatch(/^[a-z0-9]{5}$/);
			expect(nodeItems(created, 'Get')[0].description).toBe('<p>Set by n8n</p>');
			const afterUpdate = await env.datastore.control.dataset(datasetId);
			expect(afterUpdate.description).toBe('<p>Set by n8n</p>');
			expect(afterUpdate.contact).toEqual(expect.objectContaining({ title: 'E2E team' }));

			await env.importWorkflows([
				chainWorkflow(`${id}upload`, 'e2e upload', [
					...readAndUploadNodes({
						file: smallFile,
						datasetId,
						title: 'Small file',
						read: 'Read Small',
						upload: 'Upload Small',
					}),
					...readAndUploadNodes({
						file: largeFile,
						datasetId,
						title: 'Large file',
						read: 'Read Large',
						upload: 'Upload Large',
					}),
				]),
			]);
			await env.datastore.control.clearLogs();
			const uploaded = await env.execute(`${id}upload`);
			expect(nodeError(uploaded, 'Upload Small')).toBeUndefined();
			expect(nodeError(uploaded, 'Upload Large')).toBeUndefined();
			expect(nodeItems(uploaded, 'Upload Small')[0].method).toBe('multipart');
			expect(nodeItems(uploaded, 'Upload Large')[0].method).toBe('chunked');
			const stored = await env.datastore.control.dataset(datasetId);
			const resources = Object.entries(stored.resources || {});
			const small = resources.find(([, resource]) => resource.title === 'Small file');
			const large = resources.find(([, resource]) => resource.title === 'Large file');
			expect(small && large).toBeTruthy();
			expect(small[1].hash).toBe(await md5OfFile(smallFile));
			expect(large[1].size).toBe(fs.statSync(largeFile).size);
			expect(await md5OfFile(env.datastore.control.resourceFilePath(datasetId, large[0]))).toBe(
				await md5OfFile(largeFile),
			);
			const downloaded = await request(new URL(small[1].url, env.datastore.url).toString());
			expect(await downloaded.body.text()).toBe(fs.readFileSync(smallFile, 'utf8'));
			// 21 chunks of 5 MiB through the API host, each with the key; nothing else anywhere.
			const chunks = (await env.datastore.control.requests()).filter((entry) =>
				/\/api\/v3\/upload\/[^/]+\/chunk$/.test(entry.path),
			);
			expect(chunks).toHaveLength(21);

			// File → Update and File → Delete, on the files just uploaded.
			await env.importWorkflows([
				chainWorkflow(`${id}files`, 'e2e file update and delete', [
					{
						name: 'Rename',
						type: datastoreType,
						parameters: {
							resource: 'file',
							operation: 'update',
							datasetId,
							resourceId: large[0],
							updateFields: { title: 'Large file (renamed)' },
						},
					},
					{
						name: 'Delete',
						type: datastoreType,
						parameters: { resource: 'file', operation: 'delete', datasetId, resourceId: small[0] },
					},
				]),
			]);
			const filesRun = await env.execute(`${id}files`);
			expect(nodeError(filesRun, 'Rename')).toBeUndefined();
			expect(nodeError(filesRun, 'Delete')).toBeUndefined();
			const afterFiles = await env.datastore.control.dataset(datasetId);
			expect(afterFiles.resources[large[0]].title).toBe('Large file (renamed)');
			expect(afterFiles.resources[small[0]]).toBeUndefined();

			const teamsRun = await env.execute(`${id}teams`);
			expect(nodeItems(teamsRun, 'Teams').map((item) => item.id)).toContain(EDITOR_TEAM);
		},
		STEP_TIMEOUT,
	);

	test(
		"in n8n's editor API: the Dataset, File and Team lists of London Datastore 1.1 (From List) and UK Planning 2's authorities (Filters), as the open panel asks for them",
		async () => {
			const siteUrl = env.datastore.url;
			const fertility = await env.datastore.control.dataset('vd4q4');
			const server = await env.startServer();
			try {
				const editor = await editorApi({ url: server.url, installed: env.installed });
				const datastore = { type: datastoreType, version: 1.1 };
				const getDataset = { resource: 'dataset', operation: 'get' };

				// The dataset list, searched as typed: title, page address (as the list links it), id.
				const searched = await editor.listSearch({
					...datastore,
					path: 'datasetId',
					methodName: 'searchDatasets',
					parameters: getDataset,
					filter: 'fertility',
				});
				expect(searched.results).toEqual([
					{
						name: 'Age specific fertility rates',
						value: 'vd4q4',
						url: `${siteUrl}${fertility.canonical}`,
					},
				]);
				// Unfiltered: every dataset the key may read, private ones of the editor's teams included.
				const all = await editor.listSearch({
					...datastore,
					path: 'datasetId',
					methodName: 'searchDatasets',
					parameters: getDataset,
				});
				expect(all.results.map((result) => result.value)).toEqual(
					expect.arrayContaining(['vd4q4', 'a7k2m', 'b3pop', 'c5ext', 'd9pvt']),
				);

				// The File list follows the Dataset field, here given by the page address as copied from the browser.
				const files = await editor.listSearch({
					...datastore,
					path: 'resourceId',
					methodName: 'searchFiles',
					parameters: {
						resource: 'file',
						operation: 'download',
						datasetId: { __rl: true, mode: 'url', value: `${siteUrl}${fertility.canonical}` },
						resourceId: { __rl: true, mode: 'list', value: '' },
					},
				});
				// In their order on the dataset's page.
				expect(files.results.map((result) => [result.value, result.name])).toEqual([
					['7yw', 'test_file.txt'],
					['lfe', 'total_fertility_rates.csv'],
					['4nz', 'age_specific_fertility_rates.csv'],
					['bcb', 'adjusted_total_fertility_rates.csv'],
				]);

				// Get Many's Filters → Team list, searched.
				const teams = await editor.listSearch({
					...datastore,
					path: 'filters.team',
					methodName: 'searchTeams',
					parameters: { resource: 'dataset', operation: 'getAll', filters: {} },
					filter: 'planning',
				});
				expect(teams.results).toEqual([{ name: 'GLA Planning', value: 'p9lan' }]);

				// UK Planning 2: the authorities of the Filters collection's multi-select.
				const authorities = await editor.loadOptions({
					type: planningType,
					version: 2,
					path: 'filters.lpaIds',
					methodName: 'getAuthorities',
					parameters: { resource: 'application', operation: 'search', mode: 'count', filters: {} },
				});
				const lpas = await env.planning.control.lpas();
				expect(authorities.map((option) => String(option.value)).sort()).toEqual(
					lpas.map((lpa) => String(lpa.id)).sort(),
				);
				expect(authorities.find((option) => String(option.value) === '4').name).toBe(
					'Surrey-Heath',
				);
			} finally {
				await server.stop();
			}
		},
		STEP_TIMEOUT,
	);

	test(
		'London Datastore 1.1 runs: Dataset by URL, by ID and from the list, Simplify on by default and off, Get Many with Filters and a Limit, File → Download into binary data byte for byte; a version 1 node (a plain ID) beside it keeps the full dataset',
		async () => {
			const id = `pdsE2eLocators${lineId}`;
			const siteUrl = env.datastore.url;
			const population = await env.datastore.control.dataset('b3pop');
			const populationPage = `${siteUrl}${population.canonical}`;
			const populationFileUrl = new URL(population.resources.k2p.url, siteUrl).toString();
			const populationCopy = path.join(env.filesFolder, `population-${lineId}.csv`);
			const notesCopy = path.join(env.filesFolder, `notes-${lineId}.txt`);
			const locator = (mode, value) => ({ __rl: true, mode, value });
			const v11 = (name, parameters) => ({
				name,
				type: datastoreType,
				typeVersion: 1.1,
				parameters,
			});
			const write = (name, fileName, dataPropertyName) => ({
				name,
				type: 'n8n-nodes-base.readWriteFile',
				parameters: { operation: 'write', fileName, dataPropertyName, options: {} },
			});
			const get = { resource: 'dataset', operation: 'get' };
			const download = { resource: 'file', operation: 'download' };
			await env.importWorkflows([
				branchWorkflow(id, 'e2e London Datastore 1.1', [
					[v11('By URL', { ...get, datasetId: locator('url', populationPage) })],
					[v11('By ID, full', { ...get, datasetId: locator('id', 'b3pop'), simplify: false })],
					[v11('From list', { ...get, datasetId: locator('list', 'd9pvt') })],
					[
						{
							name: 'Version 1',
							type: datastoreType,
							typeVersion: 1,
							parameters: { ...get, datasetId: 'b3pop' },
						},
					],
					[
						v11('Get Many, filtered', {
							resource: 'dataset',
							operation: 'getAll',
							returnAll: true,
							filters: { team: locator('list', 'p9lan'), search: 'planning' },
						}),
					],
					[v11('Get Many, limit', { resource: 'dataset', operation: 'getAll', limit: 2 })],
					[
						v11('Download by URL', {
							...download,
							datasetId: locator('url', populationPage),
							resourceId: locator('url', populationFileUrl),
						}),
						write('Write population', populationCopy, 'data'),
					],
					[
						v11('Download private', {
							...download,
							datasetId: locator('list', 'd9pvt'),
							resourceId: locator('list', 'q1n'),
							binaryPropertyName: 'notes',
						}),
						write('Write notes', notesCopy, 'notes'),
					],
				]),
			]);
			const run = await env.execute(id);
			const ran = Object.keys(run.data.resultData.runData);
			for (const name of ran) expect([name, nodeError(run, name)]).toEqual([name, undefined]);
			expect(ran).toHaveLength(11);

			// Simplify, the 1.1 default: the compact dataset, its page address and its files.
			const simpleKeys = ['files', 'id', 'sharing', 'team', 'title', 'updatedAt', 'url'];
			const [byUrl] = nodeItems(run, 'By URL');
			expect(Object.keys(byUrl).sort()).toEqual(simpleKeys);
			expect(byUrl).toMatchObject({
				id: 'b3pop',
				title: 'Borough population estimates',
				team: EDITOR_TEAM,
				sharing: 'public',
				url: populationPage,
			});
			expect(byUrl.files).toEqual([
				expect.objectContaining({
					id: 'k2p',
					title: 'Population by borough',
					url: expect.any(String),
				}),
			]);
			// Simplify off, and version 1 (a plain ID, as saved before the locators): the dataset as DataPress sends it.
			const [full] = nodeItems(run, 'By ID, full');
			expect(full.id).toBe('b3pop');
			expect(full.resources.k2p.title).toBe('Population by borough');
			expect(full).toHaveProperty('licence');
			expect(full.files).toBeUndefined();
			expect(nodeItems(run, 'Version 1')).toEqual([full]);
			// From the list: the id the list gave, a private dataset the editor's team may read.
			const [fromList] = nodeItems(run, 'From list');
			expect(fromList).toMatchObject({ id: 'd9pvt', sharing: 'private', team: 'p9lan' });

			// Get Many: the Team filter (a locator) and the search, every match and nothing else.
			const filtered = nodeItems(run, 'Get Many, filtered');
			expect(filtered.map((dataset) => dataset.id).sort()).toEqual(['a7k2m', 'c5ext', 'd9pvt']);
			for (const dataset of filtered) {
				expect(Object.keys(dataset).sort()).toEqual(simpleKeys);
				expect(dataset.team).toBe('p9lan');
			}
			expect(nodeItems(run, 'Get Many, limit')).toHaveLength(2);

			// File → Download: binary data n8n writes to disk as it came, private files too.
			const binaryOf = (name, field) =>
				run.data.resultData.runData[name][0].data.main[0][0].binary[field];
			expect(nodeItems(run, 'Download by URL')[0]).toMatchObject({
				datasetId: 'b3pop',
				resourceId: 'k2p',
				fileName: 'population.csv',
			});
			expect(binaryOf('Download by URL', 'data')).toMatchObject({ fileName: 'population.csv' });
			expect(binaryOf('Download private', 'notes')).toMatchObject({ fileName: 'notes.txt' });
			expect(await md5OfFile(populationCopy)).toBe(
				await md5OfFile(env.datastore.control.resourceFilePath('b3pop', 'k2p')),
			);
			expect(fs.readFileSync(notesCopy, 'utf8')).toBe(
				fs.readFileSync(env.datastore.control.resourceFilePath('d9pvt', 'q1n'), 'utf8'),
			);
		},
		STEP_TIMEOUT,
	);

	test(
		'UK Planning 2 runs: the Filters collection narrows the search as each filter says, Simplify on by default and off, camelCase output; a version 1 node (top-level filters) beside it',
		async () => {
			const id = `pdsE2eFilters${lineId}`;
			const keyword = `E2E editor filters ${lineId}`;
			const day = (await env.planning.control.now()).slice(0, 10);
			const daysAgo = (days) =>
				new Date(Date.parse(day) - days * 86400000).toISOString().slice(0, 10);
			const other = (await env.planning.control.lpas()).find((lpa) => lpa.id !== '4');
			const application = (title, extra = {}) => ({
				lpa_id: '4',
				validated: day,
				postcode: 'GU16 7HF',
				title: `${keyword}: ${title}`,
				...extra,
			});
			const matching = await env.planning.control.addApplications([
				application('air source heat pump', { applicant_name: 'A. Applicant' }),
				application('solar panels', { validated: daysAgo(3), postcode: 'GU16 6AB' }),
			]);
			// Each left out by one filter only.
			await env.planning.control.addApplications([
				application('another authority', { lpa_id: other.id }),
				application('another postcode area', { postcode: 'GU15 3SY' }),
				application('validated too long ago', { validated: daysAgo(400) }),
				{ ...application(''), title: 'E2E editor: without the keyword' },
			]);
			const filters = {
				lpaIds: ['4'],
				keyword,
				postcodeStart: 'gu16',
				dateFrom: daysAgo(30),
			};
			const v2 = (name, parameters) => ({
				name,
				type: planningType,
				typeVersion: 2,
				parameters: { resource: 'application', operation: 'search', filters, ...parameters },
			});
			await env.importWorkflows([
				branchWorkflow(id, 'e2e UK Planning 2', [
					[v2('Count', { mode: 'count' })],
					[v2('Simplified', { mode: 'applications', maxCredits: 10 })],
					[v2('Full', { mode: 'applications', maxCredits: 10, simplify: false })],
					[
						{
							name: 'Version 1',
							type: planningType,
							typeVersion: 1,
							parameters: {
								resource: 'application',
								operation: 'search',
								mode: 'applications',
								maxCredits: 10,
								...filters,
							},
						},
					],
				]),
			]);
			await env.planning.control.clearLogs();
			const run = await env.execute(id);
			for (const name of ['Count', 'Simplified', 'Full', 'Version 1'])
				expect([name, nodeError(run, name)]).toEqual([name, undefined]);
			const references = matching.map((added) => added.keyval).sort();

			expect(nodeItems(run, 'Count')[0].count).toBe(2);
			// Simplify, the default: these fields in this order, the location as one object.
			const simplified = nodeItems(run, 'Simplified');
			expect(simplified.map((item) => item.reference).sort()).toEqual(references);
			for (const item of simplified) {
				expect(Object.keys(item)).toEqual(SIMPLIFIED_FIELDS);
				expect(item.title.startsWith(keyword)).toBe(true);
			}
			const heatPump = simplified.find((item) => item.reference === matching[0].keyval);
			expect(heatPump.location).toEqual({ lat: expect.any(Number), lng: expect.any(Number) });
			// Simplify off: every field, in version 2's camelCase names.
			const full = nodeItems(run, 'Full');
			expect(full.map((item) => item.reference).sort()).toEqual(references);
			const fullHeatPump = full.find((item) => item.reference === matching[0].keyval);
			expect(fullHeatPump).toMatchObject({
				authorityId: '4',
				applicantName: 'A. Applicant',
				postcode: 'GU16 7HF',
			});
			expect(fullHeatPump).not.toHaveProperty('applicant_name');
			expect(fullHeatPump).not.toHaveProperty('lpa_name');
			// Version 1, as saved before: the same applications under the API's own names.
			const v1 = nodeItems(run, 'Version 1');
			expect(v1.map((item) => item.keyval).sort()).toEqual(references);
			expect(v1.find((item) => item.keyval === matching[0].keyval)).toMatchObject({
				applicant_name: 'A. Applicant',
			});

			// Every search the sandbox answered carried every filter; each application fetched cost one credit.
			const searches = (await env.planning.control.requests()).filter(
				(entry) => entry.path === '/search',
			);
			expect(searches.length).toBeGreaterThan(0);
			for (const search of searches)
				expect(search.query).toMatchObject({
					lpa_id: '4',
					keyword,
					postcode_start: expect.stringMatching(/^GU16$/i),
					date_from: daysAgo(30),
				});
			expect(await totalCharged()).toBe(6);
		},
		STEP_TIMEOUT,
	);

	test(
		'the examples run: count before you pay, the monthly extract (twice: the second upload is skipped), the large file',
		async () => {
			await checkExamples(env);
		},
		STEP_TIMEOUT,
	);

	test(
		'the trigger in a running n8n: new applications mailed once, nothing again after a restart, state in the database',
		async () => {
			const kit = await triggerExample(env);
			const { workflow: emailExample, searches, application } = kit;
			if (line === '1')
				await env.cli(['update:workflow', `--id=${emailExample.id}`, '--active=true']);
			else await env.cli(['publish:workflow', `--id=${emailExample.id}`]);
			// An application of another authority, miles from GU16 7HF: outside the trigger's radius filter.
			const far = await farPostcode(env, 'GU16 7HF', 5);

			let server;
			// Polls run each minute; on a loaded two-core machine one can start late, so each wait allows several.
			// What n8n said is the only trace of a poll that failed inside it.
			const waitForPoll = (check, what) => waitFor(check, what, { log: () => server.output() });

			server = await env.startServer();
			try {
				// Activation polls once and learns what exists: it mails nothing.
				await waitForPoll(async () => (await searches()) > 0, 'the activation poll');
				const { day, yesterday } = await kit.days();
				const added = await env.planning.control.addApplications([
					application('E2E: garden room to the rear', yesterday),
					application('E2E: replacement porch', day),
				]);
				const [outside] = await env.planning.control.addApplications([
					application('E2E: far away, outside the radius', day, {
						lpa_id: far.lpa_id,
						postcode: far.postcode,
					}),
				]);
				await waitForPoll(async () => env.mailbox.messages().length > 0, 'the digest mail');
				kit.expectDigest(env.mailbox.messages()[0], added, [outside]);
			} finally {
				await server.stop();
			}

			// A restart polls again (activation of the same filters keeps the state) and mails nothing new.
			const searchesBefore = await searches();
			server = await env.startServer();
			try {
				await waitForPoll(
					async () => (await searches()) > searchesBefore,
					'a poll after the restart',
				);
				await new Promise((resolve) => setTimeout(resolve, 65000));
				await waitForPoll(
					async () => (await searches()) > searchesBefore + 1,
					'a second poll after the restart',
				);
			} finally {
				await server.stop();
			}
			expect(env.mailbox.messages()).toHaveLength(1);
			const exportFile = path.join(env.filesFolder, 'exported-workflow.json');
			await env.cli(['export:workflow', `--id=${emailExample.id}`, `--output=${exportFile}`]);
			const exported = JSON.parse(fs.readFileSync(exportFile, 'utf8'));
			const staticData = (Array.isArray(exported) ? exported[0] : exported).staticData;
			expect(JSON.stringify(staticData)).toContain('GU16 7HF');
		},
		15 * 60 * 1000,
	);

	test(
		'the London Datastore Trigger in a running n8n: a file uploaded by another workflow is File Changed once, its digest mailed once; one uploaded while n8n was down is mailed after the restart, once',
		async () => {
			const kit = await fileDigestExample(env, { uploadId: `pdsLdsUpload${lineId}` });
			const { workflow } = kit;
			const first = [
				['Camden', '1.21'],
				['Hackney', '1.43'],
				['Lambeth', '1.18'],
			];
			const second = [
				['Southwark', '1.30'],
				['Westminster', '0.97'],
			];
			if (line === '1') await env.cli(['update:workflow', `--id=${workflow.id}`, '--active=true']);
			else await env.cli(['publish:workflow', `--id=${workflow.id}`]);

			let server;
			const waitForPoll = (check, what) => waitFor(check, what, { log: () => server.output() });
			const mails = () => env.mailbox.messages();
			server = await env.startServer();
			try {
				// Activation reads vd4q4 once and learns it: nothing is emitted.
				await waitForPoll(() => kit.reads() > 0, 'the activation poll');
				const { restClient } = require('../../scripts/lib/queue-mode.cjs');
				const rest = await restClient({ url: server.url, installed: env.installed }).login();
				// n8n 1.x's manual run takes the workflow itself and its trigger in the body.
				const runOnce = async (id) => {
					if (line !== '1') return await rest.runAndWait(id);
					const workflowData = await rest.call('GET', `/workflows/${id}`);
					const started = await rest.call('POST', `/workflows/${id}/run`, {
						workflowData,
						triggerToStartFrom: { name: 'Start' },
					});
					return await rest.waitForExecution(String(started.executionId));
				};
				kit.writeVersion(first);
				const uploaded = await runOnce(kit.upload.id);
				expect(uploaded.status).toBe('success');
				await waitForPoll(() => mails().length > 0, 'the digest mail');
				kit.expectDigest(mails()[0], first);
				// The next poll finds nothing new.
				const readsAfterMail = kit.reads();
				await waitForPoll(() => kit.reads() > readsAfterMail, 'a poll after the mail');
			} finally {
				await server.stop();
			}

			// Another version uploaded while n8n is down (from the CLI): the restart's polls go on from the
			// saved static data, so they mail it once (a state lost would learn it silently instead).
			kit.writeVersion(second);
			const offline = await env.execute(kit.upload.id);
			expect(nodeError(offline, 'Upload')).toBeUndefined();
			const readsBefore = kit.reads();
			server = await env.startServer();
			try {
				await waitForPoll(() => mails().length > 1, 'the digest of the version uploaded offline');
				await waitForPoll(() => kit.reads() > readsBefore + 1, 'two polls after the restart');
			} finally {
				await server.stop();
			}
			expect(mails()).toHaveLength(2);
			kit.expectDigest(mails()[1], second);
			const exportFile = path.join(env.filesFolder, 'exported-file-digest.json');
			await env.cli(['export:workflow', `--id=${workflow.id}`, `--output=${exportFile}`]);
			const exported = JSON.parse(fs.readFileSync(exportFile, 'utf8'));
			const staticData = (Array.isArray(exported) ? exported[0] : exported).staticData;
			expect(JSON.stringify(staticData)).toContain(kit.fileId);
		},
		12 * 60 * 1000,
	);
});
