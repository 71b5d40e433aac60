#!/usr/bin/env node
/**
 * Benchmark of the UK Planning Trigger (`npm run bench:trigger`).
 *
 * Replays a deterministic feed in the Planning sandbox under a simulated clock, polling hourly, and
 * compares on the same feed: our trigger (run in-process through a real n8n-core PollContext), the
 * naive poller (whole window with return_data=1 every poll) and the public-client pattern (48-hour
 * window). A second pass runs our trigger alone with 10% of requests faulted (429, 503, answers lost
 * after the API charged, dropped connections, timeouts), two restarts and one poll run twice. Its trigger
 * has the Timeout option at 1 s (--fault-timeout-ms), so that a timeout costs a second of real time,
 * not the default 5 minutes; the poll budget is 5 minutes in both passes.
 *
 * Options: --days N (simulated days, default 70), --seed N, --max-credits N (trigger's Max Credits per
 * Poll, default 200), --lookback N (default 30), --fault-timeout-ms N (default 1000), --progress-days N,
 * --no-faults, --no-baselines.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');
const fs = require('node:fs');

const ROOT = path.resolve(__dirname, '..');

const { generateFeed, mulberry32 } = require(path.join(ROOT, 'sandbox/planning/feed.js'));
const DAY_MS = 86400000;
const POLL_BUDGET_MS = 5 * 60 * 1000;

function arg(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	if (index < 0) return fallback;
	const value = process.argv[index + 1];
	return value === undefined || value.startsWith('--') ? true : Number(value);
}

/** The trigger is TypeScript; bundled as the package build does, by the test harness's one bundler. */
function loadTrigger() {
	const { requireBundled } = require(path.join(ROOT, 'test/harness/n8n.js'));
	return requireBundled(path.join(ROOT, 'nodes/UkPlanningTrigger/UkPlanningTrigger.node.ts'))
		.UkPlanningTrigger;
}

/** Node parameters of the trigger for a list of authorities (see nodes/UkPlanning/descriptions/filters). */
function triggerParameters(lpaIds, lookbackDays, maxCredits) {
	return {
		filters: { lpaIds },
		lookbackDays,
		triggerOptions: { maxCreditsPerPoll: maxCredits, backlogOrder: 'newestFirst' },
	};
}

/**
 * A proxy in front of the sandbox that faults a share of requests at random. It tells the sandbox to
 * fault the very request it forwards next (the bench is the only client and requests are sequential).
 * For a lost answer it lets the API answer (and charge) and then drops the connection; for a timeout it
 * lets the API answer (and charge) and holds the answer back until the client stops waiting.
 */
async function startFaultProxy(target, control, rate, rand) {
	const stats = { requests: 0, faults: 0, byKind: {} };
	// Timeouts are drawn half as often as the others: each one costs a Timeout of real time.
	const kinds = ['429', '429', '503', '503', 'lost', 'lost', 'drop', 'drop', 'timeout'];
	const server = http.createServer(async (req, res) => {
		stats.requests++;
		let kind;
		if (req.url.startsWith('/v1/') && rand() < rate) {
			kind = kinds[Math.floor(rand() * kinds.length)];
			stats.faults++;
			stats.byKind[kind] = (stats.byKind[kind] || 0) + 1;
			if (kind === '429') await control.injectFault({ status: 429, retryAfter: 1, times: 1 });
			if (kind === '503') await control.injectFault({ status: 503, times: 1 });
			if (kind === 'drop') await control.injectFault({ drop: true, times: 1 });
		}
		const upstream = http.request(
			`${target}${req.url}`,
			{ method: req.method, headers: req.headers },
			(answer) => {
				if (kind === 'lost' || kind === 'timeout') {
					answer.resume();
					// A timeout: the client gives up and closes the socket itself.
					if (kind === 'lost') answer.on('end', () => req.socket.destroy());
					return;
				}
				res.writeHead(answer.statusCode, answer.headers);
				answer.pipe(res);
			},
		);
		upstream.on('error', () => req.socket.destroy());
		req.pipe(upstream);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		stats,
		close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
	};
}

function isoDay(ms) {
	return new Date(ms).toISOString().slice(0, 10);
}

/** A plain client polling /search with return_data=1 over a window of `windowDays`, dedup by keyval. */
function plainPoller(name, key, url, lpaIds, windowDays) {
	const seen = new Set();
	let first = true;
	return {
		name,
		key,
		async poll(nowMs) {
			const qs = new URLSearchParams({
				key,
				lpa_id: lpaIds.join(','),
				date_from: isoDay(nowMs - windowDays * DAY_MS),
				return_data: '1',
			});
			const answer = await fetch(`${url}/search?${qs}`);
			const body = await answer.json();
			const emitted = [];
			for (const app of body.response.data || []) {
				if (seen.has(app.keyval)) continue;
				seen.add(app.keyval);
				if (!first) emitted.push(app.keyval);
			}
			first = false;
			return emitted;
		},
	};
}

function ourPoller(name, key, baseUrl, harness, Trigger, parameters) {
	const poller = {
		name,
		key,
		staticData: {},
		errors: 0,
		async poll() {
			const result = await harness.runPoll(Trigger, {
				parameters,
				credentials: { ukPlanningApi: { apiKey: key, baseUrl } },
				staticData: poller.staticData,
				mode: 'trigger',
				pollBudgetMs: POLL_BUDGET_MS,
			});
			if (result.staticData) poller.staticData = result.staticData;
			if (result.error) {
				poller.errors++;
				const text = harness.serializeError
					? harness.serializeError(result.error)
					: String(result.error);
				if (text.includes(key)) throw new Error('the API key leaked into an error');
				return [];
			}
			const items = (result.output && result.output[0]) || [];
			return items.map((item) => String(item.json.reference ?? item.json.id));
		},
	};
	return poller;
}

function newTally() {
	return {
		emitted: new Map(),
		phase: { first: { credits: 0, delivered: 0 }, steady: { credits: 0, delivered: 0 } },
		polls: 0,
		requests: 0,
		maxRequests: 0,
	};
}

/** Runs the pollers hour by hour over the feed; returns one tally per poller. */
async function simulate({
	sandbox,
	pollers,
	startMs,
	days,
	lookbackDays,
	events = {},
	progressDays = 7,
}) {
	const { control } = sandbox;
	const tallies = new Map(pollers.map((p) => [p.name, newTally()]));
	const steadyFrom = startMs + lookbackDays * DAY_MS;
	const endMs = startMs + days * DAY_MS;
	const offline = new Set(events.offlineHours || []);
	let hour = 0;
	const began = Date.now();
	for (let now = startMs; now <= endMs; now += 3600000, hour++) {
		// A progress line a simulated week (on stderr, so the figures on stdout stay clean).
		if (hour % (24 * progressDays) === 0) {
			const requests = pollers.map((p) => `${tallies.get(p.name).requests} requests`).join(', ');
			process.stderr.write(
				`  ${pollers.map((p) => p.name).join(', ')}: day ${hour / 24} of ${days}, ${Math.round((Date.now() - began) / 1000)} s, ${requests}\n`,
			);
		}
		await control.setNow(new Date(now).toISOString());
		for (const poller of pollers) {
			if (offline.has(hour) && poller.restartable) continue;
			if (events.restartAt && events.restartAt.includes(hour) && poller.restartable) {
				// A restart: n8n reloads the static data it stored; nothing in memory survives.
				poller.staticData = JSON.parse(JSON.stringify(poller.staticData));
			}
			const tally = tallies.get(poller.name);
			const runs = events.twiceAt === hour && poller.restartable ? 2 : 1;
			for (let run = 0; run < runs; run++) {
				const emitted = await poller.poll(now);
				const phase = now >= steadyFrom ? tally.phase.steady : tally.phase.first;
				for (const keyval of emitted) {
					tally.emitted.set(keyval, (tally.emitted.get(keyval) || 0) + 1);
					phase.deliveredKeys = phase.deliveredKeys || [];
					phase.deliveredKeys.push(keyval);
				}
				const requests = (await control.requests()).filter(
					(r) => r.query && r.query.key === poller.key,
				).length;
				const charges = (await control.charges(poller.key)).reduce(
					(sum, c) => sum + (Number(c.consumed) || 0),
					0,
				);
				await control.clearLogs();
				phase.credits += charges;
				tally.polls++;
				tally.requests += requests;
				tally.maxRequests = Math.max(tally.maxRequests, requests);
			}
		}
	}
	return tallies;
}

function score(tally, expected) {
	let missed = 0;
	for (const keyval of expected) if (!tally.emitted.has(keyval)) missed++;
	let duplicated = 0;
	let spurious = 0;
	for (const [keyval, times] of tally.emitted) {
		duplicated += times - 1;
		if (!expected.has(keyval)) spurious++;
	}
	const deliveredIn = (phase) =>
		new Set((phase.deliveredKeys || []).filter((k) => expected.has(k))).size;
	const first = { credits: tally.phase.first.credits, delivered: deliveredIn(tally.phase.first) };
	const steady = {
		credits: tally.phase.steady.credits,
		delivered: deliveredIn(tally.phase.steady),
	};
	return {
		delivered: [...tally.emitted.keys()].filter((k) => expected.has(k)).length,
		missed,
		duplicated,
		spurious,
		first,
		steady,
		perFirst: first.delivered ? first.credits / first.delivered : NaN,
		perSteady: steady.delivered ? steady.credits / steady.delivered : NaN,
		requestsMean: tally.polls ? tally.requests / tally.polls : 0,
		requestsMax: tally.maxRequests,
	};
}

/** Applications of the filter published while active, within the look-back window of their publication day. */
async function expectedSet(control, lpaIds, startMs, endMs, lookbackDays) {
	const all = await control.applications({ includeUnpublished: true });
	const wanted = new Set(lpaIds.map(String));
	const expected = new Set();
	for (const app of all) {
		if (!wanted.has(String(app.lpa_id))) continue;
		const published = Date.parse(app.published_at);
		if (!(published > startMs && published <= endMs)) continue;
		const publishedDay = Math.floor(published / DAY_MS) * DAY_MS;
		if (Date.parse(`${app.validated}T00:00:00Z`) < publishedDay - lookbackDays * DAY_MS) continue;
		expected.add(String(app.keyval));
	}
	return expected;
}

function fmt(n, digits = 2) {
	return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function printRow(label, s) {
	console.log(
		`${label.padEnd(26)} delivered ${String(s.delivered).padStart(5)}  missed ${String(s.missed).padStart(5)}  duplicated ${String(s.duplicated).padStart(4)}  pre-existing/out-of-scope emitted ${String(s.spurious).padStart(4)}`,
	);
	console.log(
		`${''.padEnd(26)} first window: ${s.first.credits} credits / ${s.first.delivered} delivered = ${fmt(s.perFirst)}  |  steady state: ${s.steady.credits} credits / ${s.steady.delivered} delivered = ${fmt(s.perSteady)}  |  requests per poll mean ${fmt(s.requestsMean, 1)} max ${s.requestsMax}`,
	);
}

async function setUpFeed(sandbox, { seed, days, startMs }) {
	const { control } = sandbox;
	const lpas = await control.lpas();
	if (lpas.length < 15)
		throw new Error(`the sandbox knows ${lpas.length} authorities; the benchmark needs 15`);
	const lpaIds = lpas.slice(0, 16).map((lpa) => String(lpa.id));
	const feed = generateFeed({
		seed,
		lpaIds,
		busy: 5,
		startMs: startMs - 25 * DAY_MS,
		days: days + 25,
	});
	for (let i = 0; i < feed.length; i += 1000)
		await control.addApplications(feed.slice(i, i + 1000));
	return { lpaIds, feed };
}

async function main() {
	const days = arg('days', 70);
	const seed = arg('seed', 7);
	const maxCredits = arg('max-credits', 200);
	const lookbackDays = arg('lookback', 30);
	const withFaults = !process.argv.includes('--no-faults');
	// The fault pass's Timeout option: every injected timeout costs this much real time.
	const faultTimeoutMs = arg('fault-timeout-ms', 1000);
	const progressDays = arg('progress-days', 7);
	const withBaselines = !process.argv.includes('--no-baselines');
	const { startPlanningSandbox } = require(path.join(ROOT, 'sandbox/planning'));
	const harness = require(path.join(ROOT, 'test/harness/n8n.js'));
	const Trigger = loadTrigger();

	const sandbox = await startPlanningSandbox({ port: 0, seed: 1 });
	const startMs = Date.parse(await sandbox.control.now());
	const endMs = startMs + days * DAY_MS;
	try {
		const { lpaIds, feed } = await setUpFeed(sandbox, { seed, days, startMs });
		// The watched authorities: two busy ones and two quieter ones.
		const watched = [lpaIds[0], lpaIds[1], lpaIds[8], lpaIds[9]];
		const lateShare =
			feed.filter(
				(a) => Date.parse(a.published_at) - Date.parse(`${a.validated}T00:00:00Z`) >= DAY_MS,
			).length / feed.length;
		console.log(
			`feed: ${feed.length} applications of ${lpaIds.length} authorities over ${days + 25} validated days, ${(lateShare * 100).toFixed(0)}% published 1+ days late, ${feed.filter((a) => !a.postcode).length} without postcode; ${days} simulated days, hourly polls; watching authorities ${watched.join(',')}; look-back ${lookbackDays} days; Max Credits per Poll ${maxCredits}`,
		);
		const keys = {
			ours: 'bench-ours',
			naive: 'bench-naive',
			pub: 'bench-public',
			faults: 'bench-ours-faults',
		};
		for (const key of Object.values(keys)) await sandbox.control.setCredits(key, 1e9);
		const parameters = triggerParameters(watched, lookbackDays, maxCredits);
		const ours = ourPoller('our trigger', keys.ours, sandbox.url, harness, Trigger, parameters);
		const pollers = [ours];
		if (withBaselines) {
			pollers.push(
				plainPoller('naive poller (30 days)', keys.naive, sandbox.url, watched, lookbackDays),
			);
			pollers.push(plainPoller('public client (48 hours)', keys.pub, sandbox.url, watched, 2));
		}
		const tallies = await simulate({ sandbox, pollers, startMs, days, lookbackDays, progressDays });
		const expected = await expectedSet(sandbox.control, watched, startMs, endMs, lookbackDays);
		console.log(
			`\napplications to deliver (published while active, within the look-back window): ${expected.size}`,
		);
		const results = {};
		for (const poller of pollers) {
			results[poller.name] = score(tallies.get(poller.name), expected);
			printRow(poller.name, results[poller.name]);
		}
		if (ours.errors) console.log(`our trigger: ${ours.errors} failed polls`);
		const main = results['our trigger'];

		let faulted;
		if (withFaults) {
			await sandbox.control.reset({ seed: 1 });
			await sandbox.control.setNow(new Date(startMs).toISOString());
			await setUpFeed(sandbox, { seed, days, startMs });
			await sandbox.control.setCredits(keys.faults, 1e9);
			const proxy = await startFaultProxy(
				sandbox.origin,
				sandbox.control,
				0.1,
				mulberry32(seed + 1),
			);
			const faultParameters = {
				...parameters,
				triggerOptions: { ...parameters.triggerOptions, timeout: faultTimeoutMs },
			};
			const faultedPoller = ourPoller(
				'our trigger, faults',
				keys.faults,
				`${proxy.url}/v1`,
				harness,
				Trigger,
				faultParameters,
			);
			faultedPoller.restartable = true;
			const restartAt = [Math.floor(days * 24 * 0.3), Math.floor(days * 24 * 0.65)];
			const offlineHours = [];
			for (const at of restartAt) for (let h = 1; h <= 5; h++) offlineHours.push(at - h);
			const faultTallies = await simulate({
				sandbox,
				pollers: [faultedPoller],
				startMs,
				days,
				lookbackDays,
				events: { restartAt, offlineHours, twiceAt: Math.floor(days * 24 * 0.5) },
				progressDays,
			});
			await proxy.close();
			const faultExpected = await expectedSet(
				sandbox.control,
				watched,
				startMs,
				endMs,
				lookbackDays,
			);
			console.log(
				`\nfault pass: ${proxy.stats.faults} of ${proxy.stats.requests} requests faulted (${((proxy.stats.faults / proxy.stats.requests) * 100).toFixed(1)}%: ${JSON.stringify(proxy.stats.byKind)}), Timeout ${faultTimeoutMs / 1000} s, poll budget ${POLL_BUDGET_MS / 1000} s, ${faultedPoller.errors} polls failed and were retried by the next poll, restarts at hours ${restartAt.join(' and ')} after 5 hours offline, poll at hour ${Math.floor(days * 24 * 0.5)} run twice; ${faultExpected.size} applications to deliver`,
			);
			faulted = score(faultTallies.get(faultedPoller.name), faultExpected);
			printRow('our trigger, faults', faulted);
		}
		console.log(
			`\nour trigger: steady-state credits per application ${fmt(main.perSteady, 3)}, missed + duplicated ${main.missed + main.duplicated}` +
				(faulted
					? `; fault pass: ${fmt(faulted.perSteady, 3)} credits per application, missed + duplicated ${faulted.missed + faulted.duplicated}`
					: ''),
		);
	} finally {
		await sandbox.close();
	}
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
