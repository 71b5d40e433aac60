/**
 * End to end on n8n's queue mode (scripts/lib/queue-mode.cjs): PostgreSQL and Redis from Debian's packages,
 * one `n8n start` main and two `n8n worker` processes of the pinned n8n 2.x, each with the packed package
 * installed as a community package, against the sandboxes. Workflows are run through the main's REST API as
 * the editor runs them; the executions go to the workers, whose logs say which one ran each.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const {
	PLANNING_KEY,
	TYPES,
	startQueueEnvironment,
	chainWorkflow,
	createDatasetNode,
	readAndUploadNodes,
	triggerExample,
	fileDigestExample,
	waitFor,
	writeLargeFile,
	md5OfFile,
	nodeItems,
	nodeError,
	totalCharged,
	checkExamples,
} = require('./support');

const WORKERS = ['worker1', 'worker2'];
// Installing n8n and PostgreSQL/Redis the first time takes minutes; the cluster boots in about a minute.
const SETUP_TIMEOUT = 25 * 60 * 1000;
const STEP_TIMEOUT = 10 * 60 * 1000;

describe('n8n 2.x in queue mode (PostgreSQL, Redis, a main and two workers)', () => {
	let env;

	beforeAll(async () => {
		env = await startQueueEnvironment();
		const { versions } = env.cluster.services;
		console.log(
			`queue mode: ${versions.postgres}; ${versions.redis}; n8n ${env.installed.version}`,
		);
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (env) await env.close();
	});

	/** Executions of a workflow as PostgreSQL records them: `[{ id, mode, status }]`. */
	function executionRecords(workflowId) {
		const rows = env.cluster.postgres.query(
			`SELECT id, mode, status FROM execution_entity WHERE "workflowId" = '${workflowId}' ORDER BY id`,
		);
		return rows
			? rows
					.split('\n')
					.map((row) =>
						Object.fromEntries(
							['id', 'mode', 'status'].map((key, index) => [key, row.split('|')[index]]),
						),
					)
			: [];
	}

	test(
		'the examples run on the workers, with the same results as in one process',
		async () => {
			await checkExamples(env);
			const ran = env.executions.filter((execution) =>
				execution.workflowId.startsWith('pdsExample'),
			);
			// Example 4, example 2 twice, example 3.
			expect(ran.map((execution) => execution.workflowId)).toEqual([
				'pdsExample4Count',
				'pdsExample2Monthly',
				'pdsExample2Monthly',
				'pdsExample3Large',
			]);
			console.log(
				`examples in queue mode:\n${ran.map((execution) => `  execution ${execution.executionId} ${execution.workflowId}: ${execution.status} on ${execution.worker}`).join('\n')}`,
			);
			for (const execution of ran) {
				expect(execution.status).toBe('success');
				expect(WORKERS).toContain(execution.worker);
				// Recorded in PostgreSQL, and the main never ran it itself.
				expect(executionRecords(execution.workflowId).map((record) => record.id)).toContain(
					execution.executionId,
				);
				expect(env.cluster.main.output()).not.toMatch(
					new RegExp(`Worker started execution ${execution.executionId} `),
				);
			}
		},
		STEP_TIMEOUT,
	);
	test(
		'the trigger polls on the main and each emission runs on a worker; the main SIGKILLed mid-poll and restarted: nothing twice, nothing missed; its state in PostgreSQL',
		async () => {
			const kit = await triggerExample(env);
			const workflowId = kit.workflow.id;
			const { searches, application } = kit;
			const mails = () => env.mailbox.messages();

			// Activation polls once on the main and learns what exists: it mails nothing.
			await env.rest().activate(workflowId);
			await waitFor(async () => (await searches()) > 0, 'the activation poll');
			const { day, yesterday } = await kit.days();
			const first = await env.planning.control.addApplications([
				application('Queue E2E: garden room to the rear', yesterday),
				application('Queue E2E: replacement porch', day),
			]);
			await waitFor(() => mails().length > 0, 'the first digest');
			kit.expectDigest(mails()[0], first);

			// The next poll is held by the Planning API while the main is killed without warning.
			const searchesBefore = await searches();
			await env.planning.control.injectFault({ path: '/search', delayMs: 90000, times: 1 });
			const second = await env.planning.control.addApplications([
				application('Queue E2E: loft conversion', day),
				application('Queue E2E: two-storey side extension', day),
			]);
			await waitFor(async () => (await searches()) > searchesBefore, 'a poll under way');
			env.cluster.main.process.kill('SIGKILL');
			await env.cluster.main.exited;
			await env.cluster.startMain();
			await env.reconnect();

			await waitFor(() => mails().length > 1, 'the digest after the restart');
			// Two more polls after it: a duplicate would come from one of them.
			const afterSecond = await searches();
			await waitFor(
				async () => (await searches()) > afterSecond + 1,
				'two polls after the second digest',
			);
			await waitFor(
				() =>
					executionRecords(workflowId).every(
						(record) => !['new', 'running'].includes(record.status),
					),
				'the executions to end',
			);

			expect(mails()).toHaveLength(2);
			kit.expectDigest(mails()[1], second, first);

			// Each digest is one trigger execution, run by a worker, not by the main.
			const records = executionRecords(workflowId);
			console.log(
				`trigger executions:\n${records.map((record) => `  execution ${record.id} (${record.mode}): ${record.status} on ${env.workerOf(record.id)}`).join('\n')}`,
			);
			expect(records.map((record) => [record.mode, record.status])).toEqual([
				['trigger', 'success'],
				['trigger', 'success'],
			]);
			for (const record of records) expect(WORKERS).toContain(env.workerOf(record.id));

			// The trigger's state is the workflow's static data in PostgreSQL.
			const staticData = env.cluster.postgres.query(
				`SELECT "staticData" FROM workflow_entity WHERE id = '${workflowId}'`,
			);
			expect(staticData).toContain('GU16 7HF');
			await env.rest().call('POST', `/workflows/${workflowId}/deactivate`, {});
		},
		STEP_TIMEOUT,
	);

	test(
		'the London Datastore Trigger polls on the main: a file uploaded by a workflow on a worker is File Changed once, its digest run on a worker; the main restarted: nothing twice',
		async () => {
			const kit = await fileDigestExample(env, { uploadId: 'pdsQueueLdsUpld' });
			const workflowId = kit.workflow.id;
			const mails = () => env.mailbox.messages();

			await env.rest().activate(workflowId);
			await waitFor(() => kit.reads() > 0, 'the activation poll');
			const rows = [
				['Camden', '1.21'],
				['Hackney', '1.43'],
			];
			kit.writeVersion(rows);
			const uploaded = await env.execute(kit.upload.id);
			expect(uploaded.status).toBe('success');
			expect(WORKERS).toContain(env.executions.at(-1).worker);
			await waitFor(() => mails().length > 0, 'the digest mail');
			kit.expectDigest(mails()[0], rows);

			// The main killed without warning and started again: it polls from the static data in PostgreSQL.
			env.cluster.main.process.kill('SIGKILL');
			await env.cluster.main.exited;
			const readsBefore = kit.reads();
			await env.cluster.startMain();
			await env.reconnect();
			await waitFor(() => kit.reads() > readsBefore + 1, 'two polls after the restart');
			await waitFor(
				() =>
					executionRecords(workflowId).every(
						(record) => !['new', 'running'].includes(record.status),
					),
				'the executions to end',
			);
			expect(mails()).toHaveLength(1);
			const records = executionRecords(workflowId);
			expect(records.map((record) => [record.mode, record.status])).toEqual([
				['trigger', 'success'],
			]);
			expect(WORKERS).toContain(env.workerOf(records[0].id));
			const staticData = env.cluster.postgres.query(
				`SELECT "staticData" FROM workflow_entity WHERE id = '${workflowId}'`,
			);
			expect(staticData).toContain(kit.fileId);
			await env.rest().call('POST', `/workflows/${workflowId}/deactivate`, {});
		},
		STEP_TIMEOUT,
	);

	test(
		'a worker SIGKILLed during a London Datastore upload: the dataset never points at a file that did not arrive, and a retry of the execution uploads it once',
		async () => {
			const id = 'pdsQueueKill';
			const file = await writeLargeFile(
				path.join(env.filesFolder, 'killed-upload.bin'),
				120 * 1024 * 1024,
			);
			await env.importWorkflows([
				chainWorkflow(`${id}create`, 'queue create', [
					createDatasetNode('Queue E2E: upload under a killed worker'),
				]),
			]);
			const datasetId = nodeItems(await env.execute(`${id}create`), 'Create')[0].id;
			await env.importWorkflows([
				chainWorkflow(
					`${id}upload`,
					'queue killed upload',
					readAndUploadNodes({ file, datasetId, title: 'Killed upload' }),
				),
			]);
			/** Every resource of the dataset points at a stored file of its recorded size. */
			const resourcesAllArrived = async () => {
				const dataset = await env.datastore.control.dataset(datasetId);
				const resources = Object.entries(dataset.resources || {});
				for (const [resourceId, resource] of resources) {
					const stored = env.datastore.control.resourceFilePath(datasetId, resourceId);
					expect(fs.existsSync(stored)).toBe(true);
					expect(fs.statSync(stored).size).toBe(resource.size);
				}
				return resources;
			};
			await env.datastore.control.clearLogs();
			// Each chunk waits 1.5 s in the sandbox, so that the kill lands mid-upload however fast the
			// machine (on a quiet one all 24 chunks could arrive between two of waitFor's looks).
			env.datastore.control.injectFault({
				path: '/upload/[^/]+/chunk$',
				delayMs: 1500,
				times: 24,
			});
			const chunks = async () =>
				(await env.datastore.control.requests()).filter((entry) =>
					/\/upload\/[^/]+\/chunk$/.test(entry.path),
				).length;

			const executionId = await env.rest().run(`${id}upload`);
			await waitFor(async () => (await chunks()) >= 3, 'the first chunks of the upload');
			const workerName = await waitFor(
				() => env.workerOf(executionId),
				'the worker that runs the upload',
			);
			const worker = env.cluster.workers.find((candidate) => candidate.name === workerName);
			worker.process.kill('SIGKILL');
			await worker.exited;
			env.datastore.control.clearFaults();
			const chunksAtKill = await chunks();
			expect(chunksAtKill).toBeLessThan(24);
			expect(await resourcesAllArrived()).toHaveLength(0);

			// The worker comes back; n8n ends the orphaned execution (a stalled job fails in n8n's queue).
			await env.cluster.startWorker(workerName);
			const killed = await env.rest().waitForExecution(executionId);
			console.log(
				`upload execution ${executionId} on ${workerName}, killed after ${chunksAtKill} of 24 chunks: ${killed.status}`,
			);
			expect(killed.status).not.toBe('success');
			expect(await resourcesAllArrived()).toHaveLength(0);

			await env.rest().retry(executionId);
			const retries = env.cluster.postgres
				.query(`SELECT id, status FROM execution_entity WHERE "retryOf" = '${executionId}'`)
				.split('\n');
			expect(retries).toHaveLength(1);
			const [retryId, retryStatus] = retries[0].split('|');
			console.log(`retry: execution ${retryId} on ${env.workerOf(retryId)}: ${retryStatus}`);
			expect(retryStatus).toBe('success');
			expect(WORKERS).toContain(env.workerOf(retryId));
			const resources = await resourcesAllArrived();
			expect(resources).toHaveLength(1);
			const [[resourceId, resource]] = resources;
			expect(resource.title).toBe('Killed upload');
			expect(resource.size).toBe(fs.statSync(file).size);
			expect(await md5OfFile(env.datastore.control.resourceFilePath(datasetId, resourceId))).toBe(
				await md5OfFile(file),
			);
			const retried = await env.rest().execution(retryId);
			expect(nodeError(retried, 'Upload')).toBeUndefined();
			expect(nodeItems(retried, 'Upload')[0].method).toBe('chunked');
		},
		STEP_TIMEOUT,
	);

	test(
		'Search runs at once on both workers: no execution spends past its Max Credits, and the credits charged are the applications returned',
		async () => {
			const MAX_CREDITS = 15;
			const RUNS = 12;
			const lpas = await env.planning.control.lpas();
			const id = 'pdsQueueSearch';
			await env.importWorkflows([
				chainWorkflow(id, 'queue concurrent search', [
					{
						name: 'Search',
						type: TYPES.planning,
						parameters: {
							resource: 'application',
							operation: 'search',
							mode: 'applications',
							lpaIds: [String(lpas[0].id)],
							maxCredits: MAX_CREDITS,
							overCap: 'newestFirst',
						},
					},
				]),
			]);
			await env.planning.control.clearLogs();
			const chargedBefore = await totalCharged(env, PLANNING_KEY);
			// All started before any is awaited: the queue hands them to both workers at once.
			const executionIds = await Promise.all(
				Array.from({ length: RUNS }, () => env.rest().run(id)),
			);
			const runs = await Promise.all(
				executionIds.map((executionId) => env.rest().waitForExecution(executionId)),
			);
			const returned = runs.map((run) => nodeItems(run, 'Search').length);
			const workers = executionIds.map((executionId) => env.workerOf(executionId));
			console.log(
				`concurrent searches: ${executionIds.map((executionId, index) => `${executionId} on ${workers[index]}: ${returned[index]} applications`).join('; ')}`,
			);
			for (const run of runs) expect(run.status).toBe('success');
			for (const count of returned) {
				expect(count).toBeGreaterThan(0);
				expect(count).toBeLessThanOrEqual(MAX_CREDITS);
			}
			expect(new Set(workers)).toEqual(new Set(WORKERS));
			const charged = (await totalCharged(env, PLANNING_KEY)) - chargedBefore;
			expect(charged).toBe(returned.reduce((sum, count) => sum + count, 0));
			expect(charged).toBeLessThanOrEqual(RUNS * MAX_CREDITS);
		},
		STEP_TIMEOUT,
	);
});
