#!/usr/bin/env node
/**
 * Benchmark of UK Planning → Application → Search (`npm run bench:search`).
 *
 * Adds 10,000 applications carrying one keyword to the Planning sandbox, then times in one run:
 * - the node (bundled from source like the package build, in a real n8n-core ExecuteContext): free count, paid
 *   fetch (the search fits its Max Credits, so it is not narrowed), normalising, one item per application;
 * - the baseline, what the node must do at least: a raw free count (return_data=0) then the raw paid fetch
 *   (return_data=1) of the same search, sequential, with undici, each answer JSON parsed, timed together.
 * Prints the median of each over the runs, the ratio node / (raw count + raw fetch) and the node's overhead
 * ((node − baseline) / baseline) against its target, under 25%. It reports; it exits 0 whether or not the
 * target is met.
 *
 * Options: --apps N (default 10000), --runs N (default 11, after one warm-up of each; GC pauses make fewer runs noisy).
 */
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const ROOT = path.resolve(__dirname, '..');
const KEYWORD = 'benchmarkmarker';
/** The node's own overhead over the baseline must stay under this fraction. */
const TARGET_OVERHEAD = 0.25;

function arg(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	if (index === -1) return fallback;
	const value = Number(process.argv[index + 1]);
	return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * The node is bundled from source as the package build does (n8n-workflow external), so the figures
 * are of the current code. The harness applies the credential from dist/ outside jest: build if absent.
 */
function loadNode() {
	const credential = path.join(ROOT, 'dist/credentials/UkPlanningApi.credentials.js');
	if (!fs.existsSync(credential)) {
		console.log('dist/ has no UK Planning credential: running npm run build');
		execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], {
			cwd: ROOT,
			stdio: 'inherit',
		});
	}
	const { requireBundled } = require(path.join(ROOT, 'test/harness/n8n.js'));
	return requireBundled(path.join(ROOT, 'nodes/UkPlanning/UkPlanning.node.ts')).UkPlanning;
}

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function benchApplications(lpaId, count, today) {
	const base = Date.parse(`${today}T00:00:00Z`);
	const applications = [];
	for (let i = 0; i < count; i++) {
		const validated = new Date(base - (30 + (i % 300)) * 86400000).toISOString().slice(0, 10);
		applications.push({
			lpa_id: lpaId,
			validated,
			published_at: new Date(Date.parse(`${validated}T00:00:00Z`) + 2 * 86400000).toISOString(),
			title: `Single storey rear extension ${KEYWORD} ${i}`,
			address: `${(i % 200) + 1} Bench Street London SW1A 2AA`,
			postcode: 'SW1A 2AA',
			applicant_name: `Applicant ${i}`,
		});
	}
	return applications;
}

async function main() {
	const appCount = arg('apps', 10000);
	const runs = arg('runs', 11);
	const UkPlanning = loadNode();
	const { runNode } = require(path.join(ROOT, 'test/harness/n8n.js'));
	const { startPlanningSandbox } = require(path.join(ROOT, 'sandbox/planning'));
	const { request } = require('undici');

	const sandbox = await startPlanningSandbox({ port: 0 });
	try {
		const { control } = sandbox;
		const now = await control.now();
		const today = String(typeof now === 'string' ? now : now.now).slice(0, 10);
		const [lpa] = await control.lpas();
		await control.addApplications(benchApplications(String(lpa.id), appCount, today));
		const key = 'bench-search-key';
		await control.setCredits(key, 1e9);

		// Simplify off: every field is normalised and renamed, the most work the node does per application.
		const parameters = {
			resource: 'application',
			operation: 'search',
			filters: { keyword: KEYWORD },
			maxCredits: appCount,
			simplify: false,
		};
		const credentials = { ukPlanningApi: { apiKey: key, baseUrl: sandbox.url } };
		const rawUrl = `${sandbox.url}/search?${new URLSearchParams({ keyword: KEYWORD, return_data: '1', key })}`;

		const timeNode = async () => {
			const started = performance.now();
			const result = await runNode(UkPlanning, { parameters, credentials });
			const elapsed = performance.now() - started;
			if (result.error) throw new Error(`node failed: ${result.error.message}`);
			if (result.output[0].length !== appCount)
				throw new Error(`node returned ${result.output[0].length} items`);
			return elapsed;
		};
		const countUrl = `${sandbox.url}/search?${new URLSearchParams({ keyword: KEYWORD, return_data: '0', key })}`;
		const timeBaseline = async () => {
			const started = performance.now();
			const countAnswer = await request(countUrl);
			const counted = await countAnswer.body.json();
			const answer = await request(rawUrl);
			const body = await answer.body.json();
			const elapsed = performance.now() - started;
			if (Number(counted.response.application_count) !== appCount)
				throw new Error(`raw count returned ${counted.response.application_count}`);
			if (body.response.data.length !== appCount)
				throw new Error(`raw fetch returned ${body.response.data.length}`);
			return elapsed;
		};

		await timeNode();
		await timeBaseline();
		const nodeTimes = [];
		const baselineTimes = [];
		for (let run = 0; run < runs; run++) {
			nodeTimes.push(await timeNode());
			baselineTimes.push(await timeBaseline());
		}
		const nodeMs = median(nodeTimes);
		const baselineMs = median(baselineTimes);
		const overhead = (nodeMs - baselineMs) / baselineMs;
		console.log(
			`search returning ${appCount} applications, median of ${runs} runs after a warm-up`,
		);
		console.log(
			`node (count + paid fetch + output, n8n-core ExecuteContext):           ${nodeMs.toFixed(1)} ms`,
		);
		console.log(
			`raw undici free count + paid fetch, sequential, JSON parsed:           ${baselineMs.toFixed(1)} ms`,
		);
		console.log(`ratio node / (raw count + raw fetch): ${(nodeMs / baselineMs).toFixed(2)}`);
		console.log(
			`node overhead: ${(overhead * 100).toFixed(1)}% (target < ${TARGET_OVERHEAD * 100}%: ${overhead < TARGET_OVERHEAD ? 'met' : 'NOT met'})`,
		);
	} finally {
		await sandbox.close();
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
