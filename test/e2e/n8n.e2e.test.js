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
const path = require('node:path');
const { request } = require('undici');

const {
	PLANNING_KEY,
	TYPES,
	EDITOR_TEAM,
	startEnvironment,
	chainWorkflow,
	createDatasetNode,
	readAndUploadNodes,
	triggerExample,
	waitFor,
	writeLargeFile,
	md5OfFile,
	nodeItems,
	nodeError,
	totalCharged: totalChargedIn,
	checkExamples,
} = require('./support');

// 2: n8n 2.40.7, 2.41: the newest 2.x that installs here (2.41.1), 1: the last 1.x (1.123.81).
const LINES = (process.env.E2E_N8N_LINES || '2,2.41,1').split(',').map((line) => line.trim());
const DATAPRESS_KEY = 'demo-editor-key';
// Installing n8n the first time takes minutes; every CLI command boots n8n (a few seconds).
const SETUP_TIMEOUT = 20 * 60 * 1000;
const STEP_TIMEOUT = 5 * 60 * 1000;

const planningType = TYPES.planning;
const datastoreType = TYPES.datastore;

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
				await waitForPoll(async () => env.mailbox.messages().length > 0, 'the digest mail');
				kit.expectDigest(env.mailbox.messages()[0], added);
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
});
