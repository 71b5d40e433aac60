#!/usr/bin/env node
/**
 * `npm run bench:datastore-trigger`: the London Datastore Trigger on a DataPress 4 site of 2,000 datasets
 * and 10,000 files (5 each), 1% of the datasets changing between hourly polls (new file versions, metadata
 * edits, files added and removed, datasets published and removed), against the naive baseline measured in
 * the same run: reading every dataset by its own address each poll (the trigger's own Chosen Datasets mode
 * with all 2,000, four requests at a time).
 *
 * Both run in real n8n-core PollContexts (test/harness) over real HTTP to the DataPress 4 sandbox, through
 * a gate (sandbox/gate.js) that gives every request a latency in simulated time (concurrent requests
 * overlap, sequential ones add up), and a counting proxy that measures the bytes of every answer. Per poll:
 * requests, bytes, simulated network time, real time in this process (JSON parsing and diffing), and the
 * static data size per dataset. One export in the run answers 503 (retried within the poll), one is cut
 * off mid-body once (retried within the poll) and one at every attempt (the poll fails, the next one
 * catches up): at the end the trigger must have emitted exactly the events the baseline emitted, each once.
 * Then the sandbox serves ETags (as a standard server could; the documents show none on DataPress 4) and
 * the trigger polls twice without changes: a whole export that gives it the ETag, then a 304.
 *
 * Options: --datasets N (default 2000), --files N (per dataset, default 5), --polls N (default 6),
 * --change-share R (default 0.01), --latency-ms N (default 80), --seed N. Prints a table; exits non-zero
 * only when it crashes or the two disagree.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { startDatastoreSandboxes } = require(path.join(ROOT, 'sandbox/datapress'));
const { createSimClock } = require(path.join(ROOT, 'sandbox/simclock.js'));
const { startGate } = require(path.join(ROOT, 'sandbox/gate.js'));
const { mulberry32 } = require(path.join(ROOT, 'sandbox/planning/feed.js'));

function option(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const DATASETS = option('datasets', 2000);
const FILES = option('files', 5);
const POLLS = option('polls', 6);
const CHANGE_SHARE = option('change-share', 0.01);
const LATENCY_MS = option('latency-ms', 80);
const SEED = option('seed', 7);
const KEY = 'demo-editor-key';
const EXPORT = '/api/v3/datasets/export.json';
const TEAMS = ['4mxpm', 'g7lad', 'p9lan', 't4fln'];

/** A proxy that counts the requests and the bytes of the answers passing through it. */
async function startCounter(target) {
	const counts = { requests: 0, bytes: 0 };
	const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
	const server = http.createServer((request, response) => {
		counts.requests++;
		const upstream = http.request(
			`${target}${request.url}`,
			{ method: request.method, headers: request.headers, agent },
			(answer) => {
				response.writeHead(answer.statusCode, answer.headers);
				answer.on('data', (chunk) => {
					counts.bytes += chunk.length;
				});
				answer.pipe(response);
				answer.on('aborted', () => response.destroy());
				answer.on('error', () => response.destroy());
			},
		);
		upstream.on('error', () => response.destroy());
		request.pipe(upstream);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		take() {
			const taken = { ...counts };
			counts.requests = 0;
			counts.bytes = 0;
			return taken;
		},
		async close() {
			agent.destroy();
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

function csv(random, rows = 3) {
	const lines = ['borough,value'];
	for (let row = 0; row < rows; row++) lines.push(`B${row},${Math.floor(random() * 1000)}`);
	return `${lines.join('\n')}\n`;
}

/** The site: the seed removed, then `DATASETS` datasets of `FILES` small CSV files each. */
function buildSite(sandbox, random) {
	sandbox.control.applyChanges(
		sandboxDatasets(sandbox).map((id) => ({ kind: 'removeDataset', id })),
	);
	const publish = [];
	for (let index = 0; index < DATASETS; index++) {
		publish.push({
			kind: 'publishDataset',
			team: TEAMS[index % TEAMS.length],
			title: `Dataset ${index} of the benchmark site`,
			description: `<p>Figures for London, series ${index}, by borough and year.</p>`,
			tags: [`series-${index % 50}`, 'benchmark'],
			topics: ['demographics'],
			custom: { update_frequency: 'Monthly', geo: 'Borough' },
			files: Array.from({ length: FILES }, (_, file) => ({
				fileName: `series-${index}-part-${file}.csv`,
				content: csv(random),
			})),
		});
	}
	return sandbox.control.applyChanges(publish).map((applied) => applied.id);
}

function sandboxDatasets(sandbox) {
	// The seed's ids, as the control API reads them.
	return ['vd4q4', 'a7k2m', 'b3pop', 'c5ext', 'd9pvt', 'e4tub'].filter((id) =>
		sandbox.control.dataset(id),
	);
}

/** 1% of the datasets change: the mix of what editors do in an hour. */
function hourOfChanges(sandbox, ids, random, hour) {
	const count = Math.max(1, Math.round(ids.length * CHANGE_SHARE));
	const picked = new Set();
	while (picked.size < Math.min(count, ids.length))
		picked.add(ids[Math.floor(random() * ids.length)]);
	const changes = [];
	for (const id of picked) {
		const dataset = sandbox.control.dataset(id);
		const files = Object.keys(dataset.resources);
		const roll = random();
		if (roll < 0.5 && files.length)
			changes.push({
				kind: 'replaceFile',
				id,
				resourceId: files[Math.floor(random() * files.length)],
				content: csv(random),
			});
		else if (roll < 0.75)
			changes.push({ kind: 'editDataset', id, set: { title: `${dataset.title} (rev ${hour})` } });
		else if (roll < 0.85)
			changes.push({ kind: 'addFile', id, fileName: `added-${hour}.csv`, content: csv(random) });
		else if (roll < 0.9 && files.length)
			changes.push({ kind: 'removeFile', id, resourceId: files[0] });
		else if (roll < 0.95)
			changes.push({
				kind: 'publishDataset',
				team: TEAMS[0],
				title: `Published in hour ${hour}`,
				files: [{ fileName: 'new.csv', content: csv(random) }],
			});
		else changes.push({ kind: 'removeDataset', id });
	}
	const applied = sandbox.control.applyChanges(changes);
	for (const change of applied) {
		if (change.kind === 'publishDataset') ids.push(change.id);
		if (change.kind === 'removeDataset') ids.splice(ids.indexOf(change.id), 1);
	}
	return applied;
}

async function main() {
	const { runPoll, requireBundled, serializeError } = require(
		path.join(ROOT, 'test/harness/n8n.js'),
	);
	const { LondonDatastoreTrigger } = requireBundled(
		path.join(ROOT, 'nodes/LondonDatastoreTrigger/LondonDatastoreTrigger.node.ts'),
	);
	const random = mulberry32(SEED);
	const sandbox = await startDatastoreSandboxes({ api: 'v4', port: 0 });
	const clock = createSimClock(Date.now());
	const gate = await startGate({ target: sandbox.url, clock, latencyMs: LATENCY_MS });
	const counter = await startCounter(gate.url);
	try {
		process.stderr.write(`building a site of ${DATASETS} datasets, ${DATASETS * FILES} files\n`);
		const ids = buildSite(sandbox, random);
		const credentials = {
			londonDatastoreApi: { apiKey: KEY, baseUrl: counter.url, apiVersion: 'v4' },
		};
		const runs = {
			trigger: { parameters: { events: EVENT_KINDS, watch: 'site' }, staticData: {}, rows: [] },
			// Without a list of the site, the baseline knows only the datasets it was given: all of them at
			// the start, each read by its own address every poll.
			baseline: {
				parameters: {
					events: EVENT_KINDS,
					watch: 'datasets',
					datasets: {
						dataset: ids.map((value) => ({ datasetId: { __rl: true, mode: 'id', value } })),
					},
				},
				staticData: {},
				rows: [],
			},
		};
		const emitted = { trigger: [], baseline: [] };

		async function pollOnce(name, fault) {
			const run = runs[name];
			const parameters = run.parameters;
			if (fault) sandbox.control.injectFault({ path: EXPORT, ...fault });
			process.stderr.write(`poll ${name}\n`);
			counter.take();
			const simulatedStart = clock.now();
			const realStart = process.hrtime.bigint();
			const result = await runPoll(LondonDatastoreTrigger, {
				parameters,
				credentials,
				staticData: run.staticData,
			});
			const realMs = Number(process.hrtime.bigint() - realStart) / 1e6;
			const { requests, bytes } = counter.take();
			run.staticData = result.staticData;
			const datasets = Object.keys(run.staticData.watch?.datasets ?? {}).length;
			const events = result.output ? result.output[0].map((item) => item.json) : [];
			emitted[name].push(
				...events.map(
					(item) => `${item.event}:${item.dataset.id}:${item.file ? item.file.id : ''}`,
				),
			);
			run.rows.push({
				requests,
				bytes,
				networkMs: clock.now() - simulatedStart,
				realMs,
				events: events.length,
				staticBytesPerDataset: datasets ? JSON.stringify(run.staticData).length / datasets : 0,
				error: result.error ? serializeError(result.error).replace(/\s+/g, ' ').slice(0, 120) : '',
			});
		}

		// Activation: both learn.
		await pollOnce('trigger');
		await pollOnce('baseline');
		for (let hour = 1; hour <= POLLS; hour++) {
			hourOfChanges(sandbox, ids, random, hour);
			const fault =
				hour === 2
					? { status: 503 }
					: hour === 3
						? { cutAfterBytes: 100000 }
						: hour === 4
							? { cutAfterBytes: 100000, times: 4 }
							: undefined;
			await pollOnce('trigger', fault);
			await pollOnce('baseline');
		}
		// A last poll of the trigger without changes, to catch up after the cut-off export.
		await pollOnce('trigger');
		// Conditional requests, were the site to send ETags: nothing changes between these two polls.
		sandbox.control.setValidators({ etag: true });
		runs.conditional = { ...runs.trigger, staticData: runs.trigger.staticData, rows: [] };
		emitted.conditional = [];
		await pollOnce('conditional');
		await pollOnce('conditional');

		const sum = (rows, field) => rows.reduce((total, row) => total + row[field], 0);
		const steady = (rows) => rows.slice(1).filter((row) => !row.error);
		const table = (name) => {
			const rows = runs[name].rows;
			const titles = {
				trigger: 'Trigger (Whole Site, export)',
				baseline: 'Baseline (every dataset by its address)',
				conditional: 'Trigger with ETags served, no change: the whole export, then a 304',
			};
			process.stdout.write(`\n${titles[name]}\n`);
			process.stdout.write(
				'poll  requests       bytes  network s  real s  events  static B/dataset  error\n',
			);
			rows.forEach((row, index) =>
				process.stdout.write(
					`${String(index).padStart(4)}  ${String(row.requests).padStart(8)}  ${String(row.bytes).padStart(10)}  ${(row.networkMs / 1000).toFixed(2).padStart(9)}  ${(row.realMs / 1000).toFixed(2).padStart(6)}  ${String(row.events).padStart(6)}  ${row.staticBytesPerDataset.toFixed(0).padStart(16)}  ${row.error}\n`,
				),
			);
		};
		table('trigger');
		table('baseline');
		table('conditional');
		const t = steady(runs.trigger.rows);
		const b = steady(runs.baseline.rows);
		const mean = (rows, field) => sum(rows, field) / rows.length;
		const ratio = (field) => mean(b, field) / mean(t, field);
		process.stdout.write(
			`\nSteady polls (after activation, failed ones left out): per poll, trigger vs baseline\n` +
				`  requests      ${mean(t, 'requests').toFixed(1)} vs ${mean(b, 'requests').toFixed(1)} (baseline / trigger ${ratio('requests').toFixed(0)}x)\n` +
				`  bytes         ${(mean(t, 'bytes') / 1e6).toFixed(2)} MB vs ${(mean(b, 'bytes') / 1e6).toFixed(2)} MB (${ratio('bytes').toFixed(2)}x)\n` +
				`  network time  ${(mean(t, 'networkMs') / 1000).toFixed(2)} s vs ${(mean(b, 'networkMs') / 1000).toFixed(2)} s simulated at ${LATENCY_MS} ms a request (${ratio('networkMs').toFixed(0)}x)\n` +
				`  real time     ${(mean(t, 'realMs') / 1000).toFixed(2)} s vs ${(mean(b, 'realMs') / 1000).toFixed(2)} s in this process (${ratio('realMs').toFixed(1)}x)\n` +
				`  static data   ${mean(t, 'staticBytesPerDataset').toFixed(0)} B vs ${mean(b, 'staticBytesPerDataset').toFixed(0)} B per dataset\n`,
		);
		const [whole, notModified] = runs.conditional.rows;
		process.stdout.write(
			`Unchanged poll with the export's ETag: ${notModified.requests} request, ${notModified.bytes} body bytes (HTTP 304), ${(notModified.realMs / 1000).toFixed(2)} s real, against ${(whole.bytes / 1e6).toFixed(2)} MB and ${(whole.realMs / 1000).toFixed(2)} s for the whole export; events ${whole.events + notModified.events}${notModified.error ? `; error ${notModified.error}` : ''}\n`,
		);
		if (notModified.bytes !== 0 || whole.events + notModified.events !== 0) process.exitCode = 1;
		const count = (list) => {
			const map = new Map();
			for (const key of list) map.set(key, (map.get(key) || 0) + 1);
			return map;
		};
		const trigger = count(emitted.trigger);
		const baseline = count(emitted.baseline);
		// Datasets published during the run exist only for the trigger (the baseline has no list to find
		// them in): they are compared apart; every other event must be the same, as many times.
		const initial = new Set(
			runs.baseline.parameters.datasets.dataset.map((entry) => entry.datasetId.value),
		);
		const onlyNew = [...trigger.keys()].filter((key) => !initial.has(key.split(':')[1]));
		for (const key of onlyNew) trigger.delete(key);
		const differences = [...new Set([...trigger.keys(), ...baseline.keys()])].filter(
			(key) => trigger.get(key) !== baseline.get(key),
		);
		process.stdout.write(
			`Events: trigger ${emitted.trigger.length} (${onlyNew.length} of datasets published during the run, which the baseline cannot see), baseline ${emitted.baseline.length}; differences on the datasets both watch: ${differences.length}\n`,
		);
		if (differences.length) {
			process.stdout.write(`  ${differences.slice(0, 20).join('\n  ')}\n`);
			process.exitCode = 1;
		}
	} finally {
		await counter.close();
		await gate.close();
		await sandbox.close();
	}
}

const EVENT_KINDS = [
	'newDataset',
	'datasetUpdated',
	'newFile',
	'fileChanged',
	'fileRemoved',
	'datasetRemoved',
];

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
