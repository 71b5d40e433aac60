/**
 * End to end on n8n's queue mode (scripts/lib/queue-mode.cjs): PostgreSQL and Redis from Debian's packages,
 * one `n8n start` main and two `n8n worker` processes of the pinned n8n 2.x, each with the packed package
 * installed as a community package, against the sandboxes. Workflows are run through the main's REST API as
 * the editor runs them; the executions go to the workers, whose logs say which one ran each.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { PACKAGE, startQueueEnvironment, chainWorkflow, preparedExamples, writeLargeFile, md5OfFile, nodeItems, nodeError, totalCharged, checkExamples } =
	require('./support');

const WORKERS = ['worker1', 'worker2'];
const PLANNING_KEY = 'demo-planning-key';
// Installing n8n and PostgreSQL/Redis the first time takes minutes; the cluster boots in about a minute.
const SETUP_TIMEOUT = 25 * 60 * 1000;
const STEP_TIMEOUT = 10 * 60 * 1000;

const planningType = `${PACKAGE}.ukPlanning`;
const datastoreType = `${PACKAGE}.londonDatastore`;

async function waitFor(check, what, limitMs = 180000) {
	const started = Date.now();
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() - started > limitMs) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

describe('n8n 2.x in queue mode (PostgreSQL, Redis, a main and two workers)', () => {
	let env;

	beforeAll(async () => {
		env = await startQueueEnvironment();
		const { versions } = env.cluster.services;
		console.log(`queue mode: ${versions.postgres}; ${versions.redis}; n8n ${env.installed.version}`);
	}, SETUP_TIMEOUT);

	afterAll(async () => {
		if (env) await env.close();
	});

	/** Executions of a workflow as PostgreSQL records them: `[{ id, mode, status }]`. */
	function executionRecords(workflowId) {
		const rows = env.cluster.postgres.query(
			`SELECT id, mode, status FROM execution_entity WHERE "workflowId" = '${workflowId}' ORDER BY id`,
		);
		return rows ? rows.split('\n').map((row) => Object.fromEntries(['id', 'mode', 'status'].map((key, index) => [key, row.split('|')[index]]))) : [];
	}

	test(
		'the examples run on the workers, with the same results as in one process',
		async () => {
			await checkExamples(env);
			const ran = env.executions.filter((execution) => execution.workflowId.startsWith('pdsExample'));
			// Example 4, example 2 twice, example 3.
			expect(ran.map((execution) => execution.workflowId)).toEqual(['pdsExample4Count', 'pdsExample2Monthly', 'pdsExample2Monthly', 'pdsExample3Large']);
			console.log(`examples in queue mode:\n${ran.map((execution) => `  execution ${execution.executionId} ${execution.workflowId}: ${execution.status} on ${execution.worker}`).join('\n')}`);
			for (const execution of ran) {
				expect(execution.status).toBe('success');
				expect(WORKERS).toContain(execution.worker);
				// Recorded in PostgreSQL, and the main never ran it itself.
				expect(executionRecords(execution.workflowId).map((record) => record.id)).toContain(execution.executionId);
				expect(env.cluster.main.output()).not.toMatch(new RegExp(`Worker started execution ${execution.executionId} `));
			}
		},
		STEP_TIMEOUT,
	);
});
