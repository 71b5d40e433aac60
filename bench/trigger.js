#!/usr/bin/env node
/**
 * Benchmark of the UK Planning Trigger (`npm run bench:trigger`).
 *
 * Replays a deterministic feed in the Planning sandbox under a simulated clock, polling hourly, and
 * scores our trigger (run in-process through a real n8n-core PollContext): applications missed and
 * duplicated, credits per application in steady state, requests and simulated wall time per poll.
 *
 * Sandbox and trigger run in this one process under one simulated clock (sandbox/simclock.js: Date.now()
 * and new Date() read it). Requests go through a gate (sandbox/gate.js) that gives each one a latency in
 * simulated time and faults a share of them, per request; the gate advances the clock as a discrete-event
 * simulation, so concurrent requests overlap and sequential ones cost the latency each. The HTTP core's
 * retry waits (n8n-workflow's sleep) are simulated waits in the same gate: a Retry-After of 1 s costs a
 * simulated second and no real one. Attempt timeouts stay real timers (no fault here needs one).
 *
 * Static data is kept as n8n 2.x keeps it: one object in memory that every poll mutates (whatever the
 * poll returned), stored to the database at activation (after the first poll) and after each poll that
 * emitted items; a restart goes on from the stored copy.
 *
 * Passes: clean at 0 ms latency (with the baselines: the naive poller, whole window with return_data=1
 * every poll; the public-client pattern, 48-hour window), clean at --latency-ms, and a fault pass at
 * --latency-ms. Each pass restarts the trigger --restarts times after 5 hours offline; the fault pass
 * also runs one poll twice.
 *
 * Options: --days N (simulated days, default 70), --seed N, --max-credits N (Max Credits per Poll,
 * default 200), --lookback N (default 30), --authorities N (in the feed, default 16), --latency-ms N
 * (default 300), --fault-rate R (share of all requests faulted, default 0.03), --paid-fault-rate R (share
 * of paid requests faulted during the first --paid-fault-days simulated days of the pass and after each
 * restart, default 0.1 and 2), --restarts N (default 3), --quiet-ms N (real time the gate waits for the
 * client before it moves the clock, default 3), --progress-days N, --quick (16 days, look-back 10, 8
 * authorities), --no-faults, --no-baselines, --no-latency-pass, --show-polls-over N (a line on stderr for
 * each poll of more than N requests).
 *
 * `--national`: the whole country (sandbox/planning/feed.js `generateNationalFeed`: 400 authorities, the
 * real ids of the API facts kept, about 1,900 applications a working day, weekly and daily council
 * batches and trickles, 2% without a postcode, 6% at an address with another, publications up to 28 days
 * late), validated from 35 days before the start; the sandbox lists the authorities its seed lacks. The
 * trigger at version 2 with no filters, Max Credits per Poll 40,000 (above the window's activation cost,
 * about 35,000, so that activation is one poll), the node's 300 s poll budget, 14 days by default, steady
 * state from day 3 (--steady-from-day N); no baselines (they would pay for the whole window every poll).
 * Besides the rows above it prints the emitted applications that existed at activation, failed polls (and
 * their errors), activation credits per application in the window, steady credits per new application,
 * free and paid requests per steady poll, what the saved state carries over to the next poll (paid
 * queries pending, days deferred), poll time p50/p99/max against the budget, and the saved static data's
 * bytes per application in the window; each missed application (up to 10) with the polls around its
 * publication and whether one more poll after the end, without faults, delivers it (`deliveredByNextPoll`:
 * the last poll carried it over); then the national targets. `--only clean0,clean-latency,faults`
 * runs the passes named (one pass per process keeps a long run's figures when a later pass is stopped).
 * Real time: a working day's 24 polls take about 2 minutes at 300 ms on the shared 2 cores (most of it
 * the gate's quiet periods, the sandbox and the planner's own CPU), a pass of 14 days 15 to 30 minutes.
 *
 * It reports and exits 0 whether or not the targets are met; it exits non-zero only when it crashes.
 */
'use strict';

const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

const { generateFeed, generateNationalFeed, mulberry32 } = require(
	path.join(ROOT, 'sandbox/planning/feed.js'),
);
const { createSimClock } = require(path.join(ROOT, 'sandbox/simclock.js'));
const { startGate } = require(path.join(ROOT, 'sandbox/gate.js'));

const DAY_MS = 86400000;
const HOUR_MS = 3600000;
const POLL_BUDGET_MS = 5 * 60 * 1000;
const OFFLINE_HOURS_BEFORE_RESTART = 5;
/** Authorities with their real LPA ids, busy ones first (api-facts.md); the quieter ones follow. */
const BUSY_LPAS = ['205', '213', '106', '175', '245'];
/** Watched: two busy authorities (leeds, sheffield) and two quieter ones (bromsgrove, chichester). */
const WATCHED = ['205', '213', '1', '2'];

const TARGETS = {
	creditsClean: 1.1,
	creditsFaults: 1.15,
};
/**
 * The national mode's targets: the same credits with faults as without (re-payments of answers lost
 * after the charge apart), activation at one credit per application, polls within 60% of the budget.
 */
const NATIONAL_TARGETS = {
	credits: 1.1,
	activationCredits: 1.0,
	pollP99Share: 0.6,
	stateBytesPerApplication: 100,
};
/** National mode: 14 simulated days (the 30-day window learned at activation, then hourly polls). */
const NATIONAL_DAYS = 14;
const NATIONAL_STEADY_FROM_DAY = 3;
/** Above a national window's activation cost (about 35,000), so that activation is one poll. */
const NATIONAL_MAX_CREDITS = 40000;
/** Days of the feed validated before the start: the look-back window and the late publications into it. */
const NATIONAL_FEED_LEAD_DAYS = 35;

function arg(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	if (index < 0) return fallback;
	const value = process.argv[index + 1];
	return value === undefined || value.startsWith('--') ? true : Number(value);
}

function readOptions() {
	const quick = process.argv.includes('--quick');
	const national = process.argv.includes('--national');
	const options = {
		quick,
		national,
		days: arg('days', national ? NATIONAL_DAYS : quick ? 16 : 70),
		seed: arg('seed', 7),
		maxCredits: arg('max-credits', national ? NATIONAL_MAX_CREDITS : 200),
		lookbackDays: arg('lookback', quick ? 10 : 30),
		steadyFromDay: arg('steady-from-day', national ? NATIONAL_STEADY_FROM_DAY : undefined),
		authorities: arg('authorities', quick ? 8 : 16),
		latencyMs: arg('latency-ms', 300),
		faultRate: arg('fault-rate', 0.03),
		paidFaultRate: arg('paid-fault-rate', 0.1),
		paidFaultDays: arg('paid-fault-days', 2),
		restarts: arg('restarts', 3),
		quietMs: arg('quiet-ms', 3),
		progressDays: arg('progress-days', quick || national ? 2 : 7),
		showPollsOver: arg('show-polls-over', undefined),
		faults: !process.argv.includes('--no-faults'),
		// The baselines pay for the whole window every poll: at national scale 35,000 credits an hour.
		baselines: !national && !process.argv.includes('--no-baselines'),
		latencyPass: !process.argv.includes('--no-latency-pass'),
	};
	for (const [name, value] of Object.entries(options)) {
		if (typeof value === 'number' && !Number.isFinite(value))
			throw new Error(`--${name} needs a number`);
	}
	if (options.steadyFromDay === undefined) options.steadyFromDay = options.lookbackDays;
	return options;
}

/** The trigger is TypeScript; bundled as the package build does, by the test harness's one bundler. */
function loadTrigger() {
	const { requireBundled } = require(path.join(ROOT, 'test/harness/n8n.js'));
	return requireBundled(path.join(ROOT, 'nodes/UkPlanningTrigger/UkPlanningTrigger.node.ts'))
		.UkPlanningTrigger;
}

/**
 * Makes the HTTP core's retry waits simulated: the bundled node calls n8n-workflow's `sleep` through the
 * package's exports, which are getters down to @n8n/utils/sleep's `exports.sleep`, read at each call.
 * Returns the undo.
 */
function simulateSleep(scheduler) {
	const workflowEntry = require.resolve('n8n-workflow', { paths: [ROOT] });
	const sleepModule = require(require.resolve('@n8n/utils/sleep', { paths: [workflowEntry] }));
	const realSleep = sleepModule.sleep;
	sleepModule.sleep = async (ms) => {
		await scheduler.current().wait(ms);
	};
	if (require(workflowEntry).sleep !== sleepModule.sleep)
		throw new Error("n8n-workflow's sleep could not be simulated (its module layout changed)");
	return () => {
		sleepModule.sleep = realSleep;
	};
}

/**
 * Node parameters of the trigger (version 2) for a list of authorities, or none: no filters, the whole
 * country (see nodes/UkPlanning/descriptions/filters).
 */
function triggerParameters(lpaIds, lookbackDays, maxCredits) {
	return {
		filters: lpaIds ? { lpaIds } : {},
		lookbackDays,
		triggerOptions: { maxCreditsPerPoll: maxCredits, backlogOrder: 'newestFirst' },
	};
}

function isoDay(ms) {
	return new Date(ms).toISOString().slice(0, 10);
}

/**
 * What the trigger's saved state says about its days: how many are not learned yet, the paid queries
 * waiting in them (`pending`), the searches cut short to be resumed (`narrow` pending slices) and the days
 * whose search the poll budget cut off (`deferred`): what the next poll carries over. Reads the long
 * field names and their short forms alike.
 */
function stateSummary(state) {
	if (!state || typeof state !== 'object') return undefined;
	const days = Object.values(state.days ?? state.d ?? {});
	const summary = { days: days.length, unlearned: 0, pending: 0, narrow: 0, deferred: 0 };
	for (const day of days) {
		if (!(day.complete ?? day.c)) summary.unlearned++;
		const pending = day.pending ?? day.p;
		const slices = pending && (pending.slices ?? pending.s);
		for (const slice of Array.isArray(slices) ? slices : []) {
			if (slice.narrow ?? slice.n) summary.narrow++;
			else summary.pending++;
		}
		if (day.deferred ?? day.f) summary.deferred++;
	}
	return summary;
}

function deepCopy(value) {
	return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
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

/**
 * Our trigger, with its static data kept as n8n keeps it: `memory` is the workflow's object, mutated by
 * every poll; `stored` is the database copy, written at activation and when a poll emitted items.
 */
function ourPoller(name, key, baseUrl, harness, Trigger, parameters) {
	const poller = {
		name,
		key,
		restartable: true,
		memory: {},
		stored: undefined,
		polls: 0,
		errors: 0,
		errorTexts: new Map(),
		restarts: 0,
		async poll() {
			const result = await harness.runPoll(Trigger, {
				parameters,
				credentials: { ukPlanningApi: { apiKey: key, baseUrl } },
				staticData: poller.memory,
				mode: 'trigger',
				pollBudgetMs: POLL_BUDGET_MS,
			});
			poller.polls++;
			let items = [];
			if (result.error) {
				poller.errors++;
				const text = harness.serializeError
					? harness.serializeError(result.error)
					: String(result.error);
				if (text.includes(key)) throw new Error('the API key leaked into an error');
				const message = String(result.error.message || text).slice(0, 160);
				poller.errorTexts.set(message, (poller.errorTexts.get(message) || 0) + 1);
			} else {
				items = (result.output && result.output[0]) || [];
			}
			if (poller.polls === 1 || items.length) poller.stored = deepCopy(poller.memory);
			return items.map((item) => String(item.json.reference ?? item.json.id));
		},
		/** n8n restarted: what was only in memory is gone; the stored copy is loaded. */
		restart() {
			poller.restarts++;
			poller.memory = deepCopy(poller.stored) || {};
		},
	};
	return poller;
}

function newTally() {
	const phase = () => ({ credits: 0, lostCredits: 0, deliveredKeys: [] });
	return {
		emitted: new Map(),
		phase: { first: phase(), steady: phase() },
		requests: [],
		wallMs: [],
		creditsPerPoll: [],
		errors: 0,
		/** One record per poll of a restartable poller (the trigger): what the national mode scores. */
		polls: [],
	};
}

function sumCharges(charges) {
	return charges.reduce((sum, charge) => sum + (Number(charge.consumed) || 0), 0);
}

/** Runs the pollers hour by hour over the feed; returns one tally per poller. */
async function simulate({
	sandbox,
	gate,
	clock,
	pollers,
	startMs,
	days,
	steadyFromDay,
	events,
	log,
}) {
	const { control } = sandbox;
	const tallies = new Map(pollers.map((p) => [p.name, newTally()]));
	const steadyFrom = startMs + steadyFromDay * DAY_MS;
	const endMs = startMs + days * DAY_MS;
	const offline = new Set(events.offlineHours || []);
	const restartAt = new Set(events.restartAt || []);
	const began = process.hrtime.bigint();
	let hour = 0;
	for (let now = startMs; now <= endMs; now += HOUR_MS, hour++) {
		if (hour % (24 * events.progressDays) === 0) {
			const requests = pollers
				.map((p) => `${tallies.get(p.name).requests.reduce((a, b) => a + b, 0)} requests`)
				.join(', ');
			const seconds = Number((process.hrtime.bigint() - began) / 1000000000n);
			log(`day ${hour / 24} of ${days}, ${seconds} s real, ${requests}`);
		}
		// Polls are shorter than an hour, so the clock is behind the next hour (never move it back).
		clock.advanceTo(now);
		if (events.beforeHour) events.beforeHour(now);
		for (const poller of pollers) {
			if (poller.restartable && offline.has(hour)) continue;
			if (poller.restartable && restartAt.has(hour)) poller.restart();
			const tally = tallies.get(poller.name);
			const runs = poller.restartable && events.twiceAt === hour ? 2 : 1;
			for (let run = 0; run < runs; run++) {
				const before = { ...gate.stats(poller.key) };
				const startedMs = clock.now();
				const stateBefore = poller.restartable ? stateSummary(poller.memory.state) : undefined;
				const errorsBefore = poller.errors;
				const emitted = await poller.poll(clock.now());
				const wallMs = clock.now() - startedMs;
				const after = gate.stats(poller.key);
				const phase = now >= steadyFrom ? tally.phase.steady : tally.phase.first;
				for (const keyval of emitted) {
					tally.emitted.set(keyval, (tally.emitted.get(keyval) || 0) + 1);
					phase.deliveredKeys.push(keyval);
				}
				const charged = sumCharges(control.charges(poller.key));
				phase.credits += charged;
				tally.creditsPerPoll.push(charged);
				phase.lostCredits += after.lostCredits - before.lostCredits;
				control.clearLogs();
				tally.requests.push(after.requests - before.requests);
				tally.wallMs.push(wallMs);
				if (poller.restartable) {
					tally.polls.push({
						at: now,
						startedMs,
						learning: !stateBefore || stateBefore.unlearned > 0,
						steady: now >= steadyFrom,
						failed: poller.errors > errorsBefore,
						credits: charged,
						lostCredits: after.lostCredits - before.lostCredits,
						emitted: emitted.length,
						requests: after.requests - before.requests,
						paid: after.paid - before.paid,
						wallMs,
						after: stateSummary(poller.memory.state),
					});
				}
				if (
					events.showPollsOver !== undefined &&
					after.requests - before.requests > events.showPollsOver
				)
					log(
						`${poller.name}, hour ${hour}${restartAt.has(hour) ? ' (after a restart)' : ''}: ${after.requests - before.requests} requests, ${seconds(wallMs)} s, ${emitted.length} emitted`,
					);
			}
		}
	}
	return tallies;
}

function percentile(values, share) {
	if (!values.length) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
}

function mean(values) {
	return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

function score(tally, expected, maxCredits) {
	let missed = 0;
	for (const keyval of expected) if (!tally.emitted.has(keyval)) missed++;
	let duplicated = 0;
	let spurious = 0;
	for (const [keyval, times] of tally.emitted) {
		duplicated += times - 1;
		if (!expected.has(keyval)) spurious++;
	}
	const phaseScore = (phase) => {
		const delivered = new Set(phase.deliveredKeys.filter((k) => expected.has(k))).size;
		return {
			credits: phase.credits,
			lostCredits: phase.lostCredits,
			delivered,
			perApp: delivered ? phase.credits / delivered : NaN,
			perAppExclLost: delivered ? (phase.credits - phase.lostCredits) / delivered : NaN,
		};
	};
	const wall = tally.wallMs;
	return {
		delivered: [...tally.emitted.keys()].filter((k) => expected.has(k)).length,
		missed,
		duplicated,
		spurious,
		first: phaseScore(tally.phase.first),
		steady: phaseScore(tally.phase.steady),
		polls: tally.requests.length,
		overCap: {
			polls: tally.creditsPerPoll.filter((credits) => credits > maxCredits).length,
			most: Math.max(0, ...tally.creditsPerPoll),
		},
		requests: {
			mean: mean(tally.requests),
			p90: percentile(tally.requests, 0.9),
			p99: percentile(tally.requests, 0.99),
			max: Math.max(0, ...tally.requests),
		},
		wall: {
			mean: mean(wall),
			p99: percentile(wall, 0.99),
			max: Math.max(0, ...wall),
			nearBudget: wall.filter((ms) => ms >= 0.8 * POLL_BUDGET_MS).length,
			atBudget: wall.filter((ms) => ms >= POLL_BUDGET_MS).length,
		},
	};
}

/**
 * The national mode's figures from the trigger's poll records: activation (the polls until every day of
 * the window was learned), steady state (learned, from --steady-from-day), the applications emitted that
 * existed at activation, poll time against the budget, and the saved static data per application.
 */
function scoreNational(tally, { all, expected, ours, startMs, endMs, lookbackDays }) {
	const polls = tally.polls;
	const sum = (list, field) => list.reduce((total, poll) => total + poll[field], 0);
	const learning = polls.filter((poll) => poll.learning);
	const steady = polls.filter((poll) => poll.steady && !poll.learning);
	const publishedAt = new Map(all.map((app) => [String(app.keyval), Date.parse(app.published_at)]));
	let existedAtActivation = 0;
	for (const keyval of tally.emitted.keys())
		if (publishedAt.has(keyval) && publishedAt.get(keyval) <= startMs) existedAtActivation++;
	const activationWindow = windowApplications(all, startMs, lookbackDays);
	const activationCredits = sum(learning, 'credits');
	const activationEmitted = sum(learning, 'emitted');
	const activationLost = sum(learning, 'lostCredits');
	const steadyCredits = sum(steady, 'credits');
	const steadyLost = sum(steady, 'lostCredits');
	const steadyDelivered = sum(steady, 'emitted');
	const wall = polls.map((poll) => poll.wallMs);
	const serialiseBegan = process.hrtime.bigint();
	const saved = JSON.stringify(ours.stored ?? {});
	const serialiseMs = Number(process.hrtime.bigint() - serialiseBegan) / 1e6;
	const endWindow = windowApplications(all, endMs, lookbackDays);
	const missed = all
		.filter((app) => expected.has(String(app.keyval)) && !tally.emitted.has(String(app.keyval)))
		.map((app) => ({
			keyval: app.keyval,
			lpa: app.lpa_id,
			validated: app.validated,
			published: app.published_at,
			postcode: app.postcode,
			address: app.address,
			sameDayInAuthority: all.filter(
				(other) => other.lpa_id === app.lpa_id && other.validated === app.validated,
			).length,
		}));
	return {
		missed,
		/** New applications the planner could not tell from ones existing at activation (its own count). */
		unresolved: Number((ours.memory.state ?? {}).unresolved ?? (ours.memory.state ?? {}).u) || 0,
		pollRecords: polls,
		polls: polls.length,
		failedPolls: polls.filter((poll) => poll.failed).length,
		existedAtActivation,
		activation: {
			polls: learning.length,
			credits: activationCredits,
			emitted: activationEmitted,
			lost: activationLost,
			window: activationWindow,
			perApp: (activationCredits - activationEmitted) / Math.max(1, activationWindow),
			perAppExclLost:
				(activationCredits - activationEmitted - activationLost) / Math.max(1, activationWindow),
		},
		steady: {
			polls: steady.length,
			credits: steadyCredits,
			lost: steadyLost,
			delivered: steadyDelivered,
			perApp: steadyCredits / steadyDelivered,
			perAppExclLost: (steadyCredits - steadyLost) / steadyDelivered,
			freePerPoll: mean(steady.map((poll) => poll.requests - poll.paid)),
			paidPerPoll: mean(steady.map((poll) => poll.paid)),
			pendingPerPoll: mean(steady.map((poll) => poll.after?.pending ?? 0)),
			narrowPerPoll: mean(steady.map((poll) => poll.after?.narrow ?? 0)),
			deferredPerPoll: mean(steady.map((poll) => poll.after?.deferred ?? 0)),
			pollsCarrying: steady.filter(
				(poll) => poll.after?.pending || poll.after?.narrow || poll.after?.deferred,
			).length,
		},
		wall: {
			p50: percentile(wall, 0.5),
			p99: percentile(wall, 0.99),
			max: Math.max(0, ...wall),
			overBudget: wall.filter((ms) => ms > POLL_BUDGET_MS).length,
		},
		state: {
			bytes: saved.length,
			window: endWindow,
			perApp: saved.length / Math.max(1, endWindow),
			serialiseMs,
		},
	};
}

/** Applications of the filter published while active, within the look-back window of their publication day. */
function expectedSet(control, lpaIds, startMs, endMs, lookbackDays) {
	const all = control.applications({ includeUnpublished: true });
	const wanted = lpaIds && new Set(lpaIds.map(String));
	const expected = new Set();
	for (const app of all) {
		if (wanted && !wanted.has(String(app.lpa_id))) continue;
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

function seconds(ms, digits = 1) {
	return fmt(ms / 1000, digits);
}

function printRow(label, s, { timing = true } = {}) {
	console.log(
		`${label.padEnd(26)} delivered ${String(s.delivered).padStart(5)}  missed ${String(s.missed).padStart(5)}  duplicated ${String(s.duplicated).padStart(4)}  pre-existing/out-of-scope emitted ${String(s.spurious).padStart(4)}`,
	);
	const lost = (phase) =>
		phase.lostCredits
			? ` (${phase.lostCredits} re-paid after lost answers; ${fmt(phase.perAppExclLost)} without them)`
			: '';
	console.log(
		`${''.padEnd(26)} first window: ${s.first.credits} credits / ${s.first.delivered} delivered = ${fmt(s.first.perApp)}${lost(s.first)}  |  steady state: ${s.steady.credits} credits / ${s.steady.delivered} delivered = ${fmt(s.steady.perApp)}${lost(s.steady)}`,
	);
	console.log(
		`${''.padEnd(26)} requests per poll: mean ${fmt(s.requests.mean, 1)}, p90 ${s.requests.p90}, p99 ${s.requests.p99}, max ${s.requests.max} (${s.polls} polls)`,
	);
	if (timing) {
		console.log(
			`${''.padEnd(26)} polls charged more than Max Credits per Poll: ${s.overCap.polls}; most credits charged in one poll ${s.overCap.most}`,
		);
		console.log(
			`${''.padEnd(26)} poll wall time (simulated): mean ${seconds(s.wall.mean)} s, p99 ${seconds(s.wall.p99)} s, max ${seconds(s.wall.max)} s of the ${POLL_BUDGET_MS / 1000} s budget; ${s.wall.nearBudget} polls at 80%+ of it, ${s.wall.atBudget} at or over it`,
		);
	}
}

/** The authorities of the feed: the busy ones first (generateFeed's `busy`), then quieter ones. */
function feedAuthorities(allIds, count) {
	const busy = BUSY_LPAS.filter((id) => allIds.includes(id)).slice(0, Math.ceil(count / 3));
	const quiet = allIds.filter((id) => !BUSY_LPAS.includes(id)).slice(0, count - busy.length);
	for (const id of WATCHED) {
		if (!busy.includes(id) && !quiet.includes(id))
			throw new Error(`the feed leaves out watched authority ${id}`);
	}
	return { lpaIds: [...busy, ...quiet], busy: busy.length };
}

function setUpFeed(control, { seed, days, startMs, authorities }) {
	const allIds = control.lpas().map((lpa) => String(lpa.id));
	const { lpaIds, busy } = feedAuthorities(allIds, authorities);
	const feed = generateFeed({
		seed,
		lpaIds,
		busy,
		startMs: startMs - 25 * DAY_MS,
		days: days + 25,
	});
	control.addApplications(feed);
	return { lpaIds, busy, feed };
}

/**
 * The whole country (sandbox/planning/feed.js `generateNationalFeed`): the sandbox learns the authorities
 * its seed lacks, then the applications, validated from NATIONAL_FEED_LEAD_DAYS before the start.
 */
function setUpNationalFeed(control, { seed, days, startMs }) {
	const { lpaIds, apps } = generateNationalFeed({
		seed,
		startMs: startMs - NATIONAL_FEED_LEAD_DAYS * DAY_MS,
		days: days + NATIONAL_FEED_LEAD_DAYS,
	});
	const known = new Set(control.lpas().map((lpa) => String(lpa.id)));
	control.addAuthorities(
		lpaIds.filter((id) => !known.has(id)).map((id) => ({ id, name: `authority-${id}` })),
	);
	control.addApplications(apps);
	return { lpaIds, feed: apps };
}

/**
 * Applications in the look-back window at `atMs` (validated from `lookbackDays` days before its day to
 * that day, published by then): what activation learns, and what the state keeps.
 */
function windowApplications(all, atMs, lookbackDays) {
	const today = isoDay(atMs);
	const from = isoDay(atMs - lookbackDays * DAY_MS);
	return all.filter(
		(app) =>
			Date.parse(app.published_at) <= atMs && app.validated >= from && app.validated <= today,
	).length;
}

/** Restart hours spread over the run (3 restarts: at a quarter, a half and three quarters). */
function restartHours(days, restarts) {
	return Array.from({ length: restarts }, (_, i) =>
		Math.floor(((days * 24) / (restarts + 1)) * (i + 1)),
	);
}

/**
 * One pass: a fresh sandbox state at the start time, the gate with this pass's latency and faults, the
 * pollers hour by hour. Returns the scores and the gate's fault counts.
 */
async function runPass(env, pass) {
	const { sandbox, clock, options, startMs, harness, Trigger, sleepScheduler } = env;
	const { control } = sandbox;
	const realBegan = process.hrtime.bigint();
	clock.set(startMs);
	control.reset({ seed: 1 });
	control.setNow(new Date(startMs).toISOString());
	const { feed } = options.national
		? setUpNationalFeed(control, { ...options, startMs })
		: setUpFeed(control, { ...options, startMs });
	const watched = options.national ? undefined : WATCHED;
	const random = mulberry32(options.seed + 1);
	const gate = await startGate({
		target: sandbox.origin,
		clock,
		latencyMs: pass.latencyMs,
		quietMs: options.quietMs,
		faults: { rate: pass.faultRate || 0, random },
	});
	sleepScheduler.use(gate.scheduler);
	try {
		const parameters = triggerParameters(watched, options.lookbackDays, options.maxCredits);
		const ourKey = `bench-${pass.id}`;
		const ours = ourPoller('our trigger', ourKey, `${gate.url}/v1`, harness, Trigger, parameters);
		const pollers = [ours];
		if (pass.baselines) {
			const naiveName = `naive poller (${options.lookbackDays} days)`;
			pollers.push(
				plainPoller(naiveName, 'bench-naive', `${gate.url}/v1`, WATCHED, options.lookbackDays),
			);
			pollers.push(
				plainPoller('public client (48 hours)', 'bench-public', `${gate.url}/v1`, WATCHED, 2),
			);
		}
		for (const poller of pollers) control.setCredits(poller.key, 1e9);

		const restartAt = restartHours(options.days, options.restarts);
		const offlineHours = [];
		for (const at of restartAt)
			for (let h = 1; h <= OFFLINE_HOURS_BEFORE_RESTART; h++) offlineHours.push(at - h);
		// Paid requests are faulted more often around an activation: the first days and after each restart.
		const paidWindows = [0, ...restartAt].map((hour) => [
			startMs + hour * HOUR_MS,
			startMs + hour * HOUR_MS + options.paidFaultDays * DAY_MS,
		]);
		const beforeHour = pass.faultRate
			? (now) => {
					const inWindow = paidWindows.some(([from, to]) => now >= from && now < to);
					gate.setFaults({ paidRate: inWindow ? options.paidFaultRate : undefined });
				}
			: undefined;
		const twiceAt = pass.twice ? Math.floor(options.days * 24 * 0.5) + 7 : undefined;
		const tallies = await simulate({
			sandbox,
			gate,
			clock,
			pollers,
			startMs,
			days: options.days,
			steadyFromDay: options.steadyFromDay,
			events: {
				restartAt,
				offlineHours,
				twiceAt,
				beforeHour,
				progressDays: options.progressDays,
				showPollsOver: options.showPollsOver,
			},
			log: (line) => process.stderr.write(`  [${pass.label}] ${line}\n`),
		});
		const endMs = startMs + options.days * DAY_MS;
		const expected = expectedSet(control, watched, startMs, endMs, options.lookbackDays);
		const results = new Map();
		for (const poller of pollers)
			results.set(poller.name, score(tallies.get(poller.name), expected, options.maxCredits));
		const national = options.national
			? scoreNational(tallies.get(ours.name), {
					all: control.applications({ includeUnpublished: true }),
					expected,
					ours,
					startMs,
					endMs,
					lookbackDays: options.lookbackDays,
				})
			: undefined;
		if (national?.missed.length) await pollAfterTheEnd(ours, national, { gate, clock, endMs });
		return {
			realMs: Number(process.hrtime.bigint() - realBegan) / 1e6,
			national,
			pass,
			feed,
			expected,
			results,
			ours,
			restartAt,
			twiceAt,
			faults: gate.stats(ourKey),
		};
	} finally {
		sleepScheduler.use(undefined);
		await gate.close();
	}
}

/**
 * The last poll of a pass may carry a paid query over (a faulted request, the budget) like any other, and
 * no poll follows it: an application published in the last hour is then scored missed although the
 * saved state still leads to it. One more poll after the end, without faults, tells the two apart: it
 * marks each missed application `deliveredByNextPoll` (the run's figures stay as they were).
 */
async function pollAfterTheEnd(ours, national, { gate, clock, endMs }) {
	gate.setFaults({ rate: 0, paidRate: undefined });
	clock.advanceTo(endMs + HOUR_MS);
	const next = new Set(await ours.poll(clock.now()));
	for (const app of national.missed) app.deliveredByNextPoll = next.has(String(app.keyval));
}

function printPass(outcome, options) {
	const { pass, expected, results, ours, restartAt, twiceAt, faults } = outcome;
	console.log(`\n== ${pass.label} ==`);
	const details = [
		`latency ${pass.latencyMs} ms a request (simulated)`,
		`${expected.size} applications to deliver (published while active, within the look-back window)`,
		`restarts at hours ${restartAt.join(', ')} after ${OFFLINE_HOURS_BEFORE_RESTART} hours offline`,
	];
	if (twiceAt !== undefined) details.push(`the poll at hour ${twiceAt} run twice`);
	console.log(details.join('; '));
	if (pass.faultRate) {
		console.log(
			`faults: ${faults.faults} of ${faults.requests} requests of our trigger (${fmt((faults.faults / faults.requests) * 100, 1)}%: ${JSON.stringify(faults.byKind)}); base rate ${options.faultRate}, paid requests at ${options.paidFaultRate} during the first ${options.paidFaultDays} days and after each restart; ${faults.lostCredits} credits charged for answers lost after the charge`,
		);
	}
	for (const [name, s] of results) printRow(name, s, { timing: name === 'our trigger' });
	if (ours.errors) console.log(`our trigger: ${ours.errors} failed polls (the next poll retries)`);
	if (outcome.national) printNational(outcome);
}

function printNational(outcome) {
	const { national: n, ours } = outcome;
	const a = n.activation;
	const st = n.steady;
	console.log(
		`national: emitted that existed at activation ${n.existedAtActivation}; failed polls ${n.failedPolls} of ${n.polls}; unresolved (the state's count of new applications not told from old ones, not emitted) ${n.unresolved}`,
	);
	for (const [message, times] of ours.errorTexts) console.log(`  failed ${times}x: ${message}`);
	// What was missed, to reproduce it: the application and the polls around its publication.
	for (const app of n.missed.slice(0, 10))
		console.log(
			`  missed: ${JSON.stringify(app)}; polls then: ${pollsAround(outcome, app.published)}`,
		);
	console.log(
		`  activation: ${a.credits} credits over ${a.polls} polls, ${a.emitted} of them for new applications delivered meanwhile; ${a.credits - a.emitted} for the ${a.window} applications in the window = ${fmt(a.perApp, 3)} per application (${fmt(a.perAppExclLost, 3)} without the ${a.lost} charged for answers lost)`,
	);
	console.log(
		`  steady state (${st.polls} polls): ${st.credits} credits / ${st.delivered} delivered = ${fmt(st.perApp, 3)} per application (${fmt(st.perAppExclLost, 3)} without the ${st.lost} charged for answers lost); per poll ${fmt(st.freePerPoll, 1)} free and ${fmt(st.paidPerPoll, 1)} paid requests; carried over to the next poll: ${fmt(st.pendingPerPoll, 2)} paid queries, ${fmt(st.narrowPerPoll, 2)} searches to resume and ${fmt(st.deferredPerPoll, 2)} days deferred on average (${st.pollsCarrying} polls carried something)`,
	);
	console.log(
		`  poll time (simulated): p50 ${seconds(n.wall.p50)} s, p99 ${seconds(n.wall.p99)} s, max ${seconds(n.wall.max)} s of the ${POLL_BUDGET_MS / 1000} s budget; ${n.wall.overBudget} over it`,
	);
	console.log(
		`  saved static data: ${n.state.bytes} bytes for ${n.state.window} applications in the window = ${fmt(n.state.perApp, 1)} bytes each (serialised in ${fmt(n.state.serialiseMs, 0)} ms)`,
	);
	console.log(`  real time of the pass: ${fmt(outcome.realMs / 60000, 1)} min`);
}

/** The trigger's polls from 2 hours before `iso` to 6 after: hour, credits, emitted, failed, carried over. */
function pollsAround(outcome, iso) {
	const at = Date.parse(iso);
	return outcome.national.pollRecords
		.filter((poll) => poll.at >= at - 2 * HOUR_MS && poll.at <= at + 6 * HOUR_MS)
		.map(
			(poll) =>
				`${new Date(poll.at).toISOString().slice(5, 13)}h ${poll.credits}cr ${poll.emitted}em${poll.failed ? ' FAILED' : ''}${poll.after ? ` p${poll.after.pending}/n${poll.after.narrow}/d${poll.after.deferred}` : ''}`,
		)
		.join(', ');
}

function printNationalTargets(outcomes) {
	const rows = [];
	for (const { pass, results, national: n } of outcomes) {
		const s = results.get('our trigger');
		rows.push([
			`${pass.label}: 0 missed, 0 duplicated, 0 emitted that existed at activation`,
			`missed ${s.missed}, duplicated ${s.duplicated}, existed ${n.existedAtActivation}`,
			s.missed === 0 && s.duplicated === 0 && n.existedAtActivation === 0,
		]);
		const lostApart = pass.faultRate ? ' (lost-answer re-payments apart)' : '';
		const steady = pass.faultRate ? n.steady.perAppExclLost : n.steady.perApp;
		rows.push([
			`${pass.label}: steady credits per new application <= ${NATIONAL_TARGETS.credits}${lostApart}`,
			`${fmt(steady, 3)}${pass.faultRate ? ` (${fmt(n.steady.perApp, 3)} with them)` : ''}`,
			steady <= NATIONAL_TARGETS.credits,
		]);
		const activation = pass.faultRate ? n.activation.perAppExclLost : n.activation.perApp;
		rows.push([
			`${pass.label}: activation credits per application in the window <= ${NATIONAL_TARGETS.activationCredits}${lostApart}`,
			`${fmt(activation, 3)}${pass.faultRate ? ` (${fmt(n.activation.perApp, 3)} with them)` : ''}`,
			activation <= NATIONAL_TARGETS.activationCredits,
		]);
		if (!pass.faultRate)
			rows.push([`${pass.label}: 0 failed polls`, String(n.failedPolls), n.failedPolls === 0]);
		rows.push([
			`${pass.label}: every poll within the budget, p99 <= ${NATIONAL_TARGETS.pollP99Share * 100}% of it`,
			`p99 ${seconds(n.wall.p99)} s, max ${seconds(n.wall.max)} s`,
			n.wall.max <= POLL_BUDGET_MS && n.wall.p99 <= NATIONAL_TARGETS.pollP99Share * POLL_BUDGET_MS,
		]);
		rows.push([
			`${pass.label}: saved static data <= ${NATIONAL_TARGETS.stateBytesPerApplication} bytes per application in the window`,
			fmt(n.state.perApp, 1),
			n.state.perApp <= NATIONAL_TARGETS.stateBytesPerApplication,
		]);
	}
	printTargetRows(rows);
}

function printTargetRows(rows) {
	const labelWidth = Math.max(...rows.map(([label]) => label.length));
	const figureWidth = Math.max(...rows.map(([, figure]) => figure.length));
	console.log('\n== targets ==');
	for (const [label, figure, met] of rows) {
		console.log(
			`target ${label.padEnd(labelWidth)} : figure ${figure.padEnd(figureWidth)} ${met ? 'met' : 'NOT met'}`,
		);
	}
}

function printTargets(outcomes) {
	const rows = [];
	for (const { pass, results } of outcomes) {
		const s = results.get('our trigger');
		rows.push([
			`${pass.label}: 0 missed and 0 duplicated`,
			`missed ${s.missed}, duplicated ${s.duplicated}`,
			s.missed === 0 && s.duplicated === 0,
		]);
		if (pass.faultRate) {
			// Re-payments after answers lost once charged are the API's doing, counted apart.
			rows.push([
				`${pass.label}: steady-state credits per application <= ${TARGETS.creditsFaults} (lost-answer re-payments apart)`,
				`${fmt(s.steady.perAppExclLost, 3)} (${fmt(s.steady.perApp, 3)} with the ${s.steady.lostCredits} re-paid)`,
				s.steady.perAppExclLost <= TARGETS.creditsFaults,
			]);
		} else {
			rows.push([
				`${pass.label}: steady-state credits per application <= ${TARGETS.creditsClean}`,
				fmt(s.steady.perApp, 3),
				s.steady.perApp <= TARGETS.creditsClean,
			]);
		}
		if (pass.latencyMs > 0) {
			rows.push([
				`${pass.label}: p99 poll wall time <= the ${POLL_BUDGET_MS / 1000} s budget`,
				`${seconds(s.wall.p99)} s (max ${seconds(s.wall.max)} s)`,
				s.wall.p99 <= POLL_BUDGET_MS,
			]);
		}
	}
	printTargetRows(rows);
}

/** Counted and reported (a rejection nobody handles would end a plain Node process; n8n logs it). */
const unhandled = { count: 0, first: undefined };

async function main() {
	const options = readOptions();
	process.on('unhandledRejection', (reason) => {
		unhandled.count++;
		if (!unhandled.first) unhandled.first = String(reason?.message ?? reason).slice(0, 200);
	});
	const clock = createSimClock(Date.now()).install();
	// The gate of the pass in progress; the simulated sleep waits in it.
	let current;
	const sleepScheduler = {
		use: (gateScheduler) => {
			current = gateScheduler;
		},
		current: () => current || { wait: (ms) => new Promise((r) => setTimeout(r, ms)) },
	};
	const restoreSleep = simulateSleep(sleepScheduler);
	let sandbox;
	try {
		const { startPlanningSandbox, DEFAULT_NOW } = require(path.join(ROOT, 'sandbox/planning'));
		const startMs = Date.parse(DEFAULT_NOW);
		clock.set(startMs);
		// `tick`: the sandbox's clock runs on from setNow by Date.now(), which is the simulated clock.
		sandbox = await startPlanningSandbox({ port: 0, seed: 1, tick: true });
		const harness = require(path.join(ROOT, 'test/harness/n8n.js'));
		const Trigger = loadTrigger();
		const env = { sandbox, clock, options, startMs, harness, Trigger, sleepScheduler };

		const passes = [
			{ id: 'clean0', label: 'clean, 0 ms', latencyMs: 0, baselines: options.baselines },
		];
		if (options.latencyPass)
			passes.push({
				id: 'clean-latency',
				label: `clean, ${options.latencyMs} ms`,
				latencyMs: options.latencyMs,
			});
		if (options.faults)
			passes.push({
				id: 'faults',
				label: `faults, ${options.latencyMs} ms`,
				latencyMs: options.latencyMs,
				faultRate: options.faultRate,
				twice: true,
			});

		const outcomes = [];
		const only = process.argv.includes('--only')
			? String(process.argv[process.argv.indexOf('--only') + 1]).split(',')
			: undefined;
		for (const pass of passes) {
			if (only && !only.includes(pass.id)) continue;
			const outcome = await runPass(env, pass);
			if (!outcomes.length) {
				const { feed } = outcome;
				const lateShare =
					feed.filter(
						(a) => Date.parse(a.published_at) - Date.parse(`${a.validated}T00:00:00Z`) >= DAY_MS,
					).length / feed.length;
				if (options.national)
					console.log(
						`national feed (seed ${options.seed}): ${feed.length} applications of ${new Set(feed.map((a) => a.lpa_id)).size} authorities over ${options.days + NATIONAL_FEED_LEAD_DAYS} validated days, ${(lateShare * 100).toFixed(0)}% published 1+ days late, ${feed.filter((a) => !a.postcode).length} without postcode; ${options.days} simulated days, hourly polls, steady state from day ${options.steadyFromDay}; the trigger at version 2 with no filters; look-back ${options.lookbackDays} days; Max Credits per Poll ${options.maxCredits}; poll budget ${POLL_BUDGET_MS / 1000} s`,
					);
				else
					console.log(
						`feed: ${feed.length} applications of ${options.authorities} authorities over ${options.days + 25} validated days, ${(lateShare * 100).toFixed(0)}% published 1+ days late, ${feed.filter((a) => !a.postcode).length} without postcode; ${options.days} simulated days, hourly polls; watching authorities ${WATCHED.join(',')} (leeds, sheffield busy; bromsgrove, chichester quieter); look-back ${options.lookbackDays} days; Max Credits per Poll ${options.maxCredits}; poll budget ${POLL_BUDGET_MS / 1000} s`,
					);
			}
			printPass(outcome, options);
			outcomes.push(outcome);
		}
		if (options.national) printNationalTargets(outcomes);
		else printTargets(outcomes);
		console.log(
			`unhandled promise rejections: ${unhandled.count}${unhandled.first ? ` (first: ${unhandled.first})` : ''}`,
		);
	} finally {
		if (sandbox) await sandbox.close();
		restoreSleep();
		clock.uninstall();
	}
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}

module.exports = { restartHours, feedAuthorities, percentile };
