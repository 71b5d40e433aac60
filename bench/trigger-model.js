#!/usr/bin/env node
/**
 * The trigger's poll planner over the benchmark's feed in memory (`npm run bench:trigger-model`): minutes
 * instead of hours, for trying a change to the planner before the HTTP benchmark (`bench:trigger`).
 *
 * The planner runs against test/harness/searchModel.js (the API's filter semantics, one credit per
 * application fetched, applications hidden until published) under a simulated clock. With
 * `--latency-ms N` every request costs N ms of simulated time: requests in flight together overlap (four counts at
 * once to begin with, widening and backing off as the node's binding does), sequential ones add up, and applications published
 * meanwhile show up mid-poll. Hourly polls, a 300 s poll budget with the node's reserve (pollApi.ts). `--fault-rate R` fails that share of paid requests (half of them after the
 * API charged), and 10% of them while activation is learning.
 *
 * Options: --days N (default 40; the first 30 are the first window), --seed N (7), --latency-ms N (0),
 * --fault-rate R (0), --watch all|4 (4 of 16 authorities, default; all watches the 16), --max-credits N
 * (Max Credits per Poll, 200).
 *
 * `--national`: the whole country (sandbox/planning/feed.js `generateNationalFeed`: about 400 authorities,
 * about 1,900 applications a working day, weekly council batches, publications up to 28 days late), no
 * filters, as a national customer watches it; 33 days by default, Max Credits per Poll 40,000 (above the
 * window's activation cost, about 35,000, as in bench:trigger and as the trigger's README advises), steady state
 * from day 3 (--steady-from-day N). There, as in the node, no request runs past the poll budget (one that
 * would is aborted at it, a paid one possibly after the API charged), and --fault-rate also faults free
 * counts, which the transport retries (three attempts, a second apart). `--save-state FILE` writes the
 * last saved copy of the state (for bench/state-save.js).
 *
 * When applications were missed, one more poll an hour after the end, without faults, counts how many of
 * them it delivers: the last poll carried them over, as any poll may (the figures stay as they were).
 */
'use strict';

const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DAY = 86400000;
const POLL_BUDGET_MS = 300000;
const LOOKBACK_DAYS = 30;

function arg(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	if (index < 0) return fallback;
	const value = process.argv[index + 1];
	return value === undefined || value.startsWith('--') ? fallback : value;
}

/**
 * A simulated clock with latency: a request resolves `latencyMs` after it started; when no new request
 * has arrived for a turn of the event loop, the clock jumps to the earliest answer due.
 */
function latencyClock(clock, latencyMs) {
	const pending = [];
	let arrivals = 0;
	let seen = -1;
	let ticking = false;
	function tick() {
		if (!pending.length) {
			ticking = false;
			return;
		}
		if (arrivals !== seen) {
			seen = arrivals;
			setImmediate(tick);
			return;
		}
		pending.sort((a, b) => a.due - b.due);
		clock.now = Math.max(clock.now, pending[0].due);
		while (pending.length && pending[0].due <= clock.now) pending.shift().resolve();
		setImmediate(tick);
	}
	return () =>
		latencyMs === 0
			? Promise.resolve()
			: new Promise((resolve) => {
					arrivals++;
					pending.push({ due: clock.now + latencyMs, resolve });
					if (!ticking) {
						ticking = true;
						setImmediate(tick);
					}
				});
}

function quantile(values, share) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
}

async function main() {
	const national = process.argv.includes('--national');
	const days = Number(arg('days', national ? 33 : 40));
	const seed = Number(arg('seed', 7));
	const latencyMs = Number(arg('latency-ms', 0));
	const faultRateArg = Number(arg('fault-rate', 0));
	let faultRate = faultRateArg;
	const maxCredits = Number(arg('max-credits', national ? 40000 : 200));
	const steadyFromDay = Number(arg('steady-from-day', national ? 3 : LOOKBACK_DAYS));
	const watchAll = arg('watch', '4') === 'all';
	const { requireBundled } = require(path.join(ROOT, 'test/harness/n8n.js'));
	const { planPoll } = requireBundled(path.join(ROOT, 'nodes/UkPlanningTrigger/planner/poll.ts'));
	const { TaskPool } = requireBundled(path.join(ROOT, 'nodes/shared/concurrency.ts'));
	const { describeInterval, suggestPollInterval } = requireBundled(
		path.join(ROOT, 'nodes/UkPlanningTrigger/planner/costModel.ts'),
	);
	const { BUDGET_RESERVE_SHARE, COUNT_CONCURRENCY, MOST_COUNT_CONCURRENCY } = requireBundled(
		path.join(ROOT, 'nodes/UkPlanningTrigger/pollApi.ts'),
	);
	const reserveMs = POLL_BUDGET_MS * BUDGET_RESERVE_SHARE;
	const { generateFeed, generateNationalFeed, mulberry32 } = require(
		path.join(ROOT, 'sandbox/planning/feed.js'),
	);
	const { searchModel } = require(path.join(ROOT, 'test/harness/searchModel.js'));

	const start = Date.parse('2026-11-20T12:00:00Z');
	let lpaIds;
	let feed;
	if (national) {
		({ lpaIds, apps: feed } = generateNationalFeed({
			seed,
			startMs: start - 35 * DAY,
			days: days + 35,
		}));
	} else {
		lpaIds = Array.from({ length: 16 }, (_, i) => String(i + 1));
		feed = generateFeed({ seed, lpaIds, busy: 5, startMs: start - 25 * DAY, days: days + 25 });
	}
	// The national feed's keyvals are as long as the sandbox's (13 characters), for the state's size.
	const keyvalOf = (i) => (national ? `K${i.toString(36).padStart(12, '0')}` : `K${i}`);
	feed.forEach((a, i) =>
		Object.assign(a, { keyval: keyvalOf(i), pub: Date.parse(a.published_at) }),
	);
	const watched = national ? lpaIds : watchAll ? lpaIds : ['1', '2', '9', '10'];
	const watchedSet = new Set(watched);
	const mine = feed.filter((a) => watchedSet.has(a.lpa_id));
	const clock = { now: start };
	const model = searchModel({ apps: mine, lpaIds, clock });
	const delay = latencyClock(clock, latencyMs);
	const rand = mulberry32(seed + 1);
	let pool;
	let learning = true;
	let deadline = 0;
	let chargedThenLost = 0;
	let countRetries = 0;
	const overBudget = () => national && clock.now > deadline;
	const aborted = () => new Error('the connection was aborted at the poll budget');
	const api = {
		count: (query) =>
			pool.run(async () => {
				// As the node's binding: a count reaching its turn in the reserve does not start.
				if (deadline - clock.now < reserveMs) throw new Error('not started: the reserve');
				for (let attempt = 1; ; attempt++) {
					await delay();
					if (overBudget()) throw aborted();
					if (!(national && rand() < faultRate)) return model.count(query);
					// A 503 or a 429: the transport retries after a wait (simulated), three attempts in all;
					// after a 429 the binding halves the counts in flight.
					if (rand() < 0.5) pool.backOff();
					if (attempt === 3) throw new Error('HTTP 503 after 3 attempts');
					countRetries++;
					await delay();
				}
			}),
		async fetch(query) {
			await delay();
			if (overBudget()) {
				chargedThenLost += (await model.fetch(query)).consumed;
				throw aborted();
			}
			const rate = learning && faultRate > 0 ? Math.max(faultRate, 0.1) : faultRate;
			if (rand() < rate) {
				if (rand() < 0.5) chargedThenLost += (await model.fetch(query)).consumed;
				throw new Error('the answer was lost');
			}
			return model.fetch(query);
		},
		lpaIds: async () => {
			await delay();
			return lpaIds;
		},
		timeLeftMs: () => deadline - clock.now,
	};
	const config = {
		base: national ? {} : { lpa_id: watched.join(',') },
		lookbackDays: LOOKBACK_DAYS,
		backfillDays: 0,
		maxCredits,
		backlogOrder: 'newestFirst',
		fingerprint: 'model',
		reserveMs,
	};
	const end = start + days * DAY;
	const steadyFrom = start + steadyFromDay * DAY;
	const emitted = new Map();
	const steady = { credits: 0, lost: 0, delivered: 0, polls: 0, free: 0, carried: 0, deferred: 0 };
	const requests = [];
	const wallTimes = [];
	const spentPerPoll = [];
	const failures = [];
	let saved;
	let state;
	let failedPolls = 0;
	let unresolved = 0;
	let activation;
	let stateBytes = 0;
	let stateApps = 0;
	let saveMs = 0;
	const realStart = Date.now();
	const windowApps = (at) => {
		const today = new Date(at).toISOString().slice(0, 10);
		const from = new Date(at - LOOKBACK_DAYS * DAY).toISOString().slice(0, 10);
		return mine.filter((a) => a.pub <= at && a.validated >= from && a.validated <= today).length;
	};
	for (let hour = start; hour <= end; hour += 3600000) {
		clock.now = Math.max(clock.now, hour);
		const began = clock.now;
		deadline = began + POLL_BUDGET_MS;
		pool = new TaskPool(COUNT_CONCURRENCY, MOST_COUNT_CONCURRENCY);
		const credits = model.credits;
		const lost = chargedThenLost;
		const logged = model.log.length;
		let result;
		try {
			result = await planPoll(state, config, api);
		} catch (error) {
			failedPolls++;
			failures.push(error.message);
			wallTimes.push(clock.now - began);
			requests.push(model.log.length - logged);
			spentPerPoll.push(model.credits - credits);
			continue;
		}
		// n8n keeps the static data in memory between polls (the saved copy is measured at the end).
		state = result.state;
		const wasLearning = learning;
		learning = Object.values(state.days).some((day) => !(day.complete ?? day.c));
		if (!activation)
			activation = { credits: 0, lost: 0, polls: 0, emitted: 0, window: windowApps(began) };
		if (wasLearning) {
			activation.credits += model.credits - credits;
			activation.lost += chargedThenLost - lost;
			activation.emitted += result.emitted.length;
			activation.polls++;
		}
		unresolved += result.stats.unresolved;
		requests.push(model.log.length - logged);
		spentPerPoll.push(model.credits - credits);
		wallTimes.push(clock.now - began);
		if (result.stats.failures) failures.push(result.stats.partialError);
		if (process.argv.includes('--trace')) {
			const unlearned = Object.values(state.days).filter((day) => !(day.complete ?? day.c));
			const { freeRequests, paidRequests, learned, emitted, carriedOver, deferredDays } =
				result.stats;
			process.stderr.write(
				`${new Date(began).toISOString().slice(0, 13)} ${((clock.now - began) / 1000).toFixed(0)}s credits ${model.credits - credits} free ${freeRequests} paid ${paidRequests} learned ${learned} emitted ${emitted} carried ${carriedOver} deferred ${deferredDays} unlearned days ${unlearned.length} (${unlearned.filter((day) => day.partCounts).length} with parts)\n`,
			);
		}
		for (const app of result.emitted) emitted.set(app.keyval, (emitted.get(app.keyval) || 0) + 1);
		if (hour >= steadyFrom && !learning) {
			steady.credits += model.credits - credits;
			steady.lost += chargedThenLost - lost;
			steady.delivered += result.emitted.length;
			steady.polls++;
			steady.free += result.stats.freeRequests;
			steady.carried += result.stats.carriedOver;
			steady.deferred += result.stats.deferredDays;
		}
	}
	// The saved copy: the static data as n8n serialises it to its database.
	const savedAt = Date.now();
	saved = JSON.stringify(state);
	saveMs = Date.now() - savedAt;
	stateBytes = saved.length;
	stateApps = windowApps(clock.now);
	const expected = mine.filter((a) => {
		if (!(a.pub > start && a.pub <= end)) return false;
		const publishedDay = Math.floor(a.pub / DAY) * DAY;
		return Date.parse(`${a.validated}T00:00:00Z`) >= publishedDay - LOOKBACK_DAYS * DAY;
	});
	const expectedKeys = new Set(expected.map((a) => a.keyval));
	const missedApps = expected.filter((a) => !emitted.has(a.keyval));
	const missed = missedApps.length;
	// The last poll may carry a paid query over like any other, and no poll follows it: one more poll an
	// hour after the end, without faults, tells an application it left to the next poll from one lost.
	let deliveredByNextPoll = 0;
	if (missed && state) {
		faultRate = 0;
		clock.now = Math.max(clock.now, end + 3600000);
		deadline = clock.now + POLL_BUDGET_MS;
		pool = new TaskPool(COUNT_CONCURRENCY, MOST_COUNT_CONCURRENCY);
		const next = new Set((await planPoll(state, config, api)).emitted.map((app) => app.keyval));
		deliveredByNextPoll = missedApps.filter((a) => next.has(a.keyval)).length;
	}
	const duplicated = [...emitted.values()].reduce((sum, n) => sum + n - 1, 0);
	const preExisting = [...emitted.keys()].filter((k) => !expectedKeys.has(k)).length;
	const mean = requests.reduce((a, b) => a + b, 0) / requests.length;
	const polls = requests.length;
	console.log(
		national
			? `planner over the national feed in memory: ${lpaIds.length} authorities, no filters, ${days} days hourly, latency ${latencyMs} ms a request, faults ${faultRateArg * 100}% (counts retried, paid lost), Max Credits per Poll ${maxCredits}`
			: `planner over the feed in memory: ${watched.length} of 16 authorities watched, ${days} days hourly, latency ${latencyMs} ms a request, paid faults ${faultRateArg * 100}%, Max Credits per Poll ${maxCredits}`,
	);
	console.log(
		`  ${expected.length} to deliver: missed ${missed} (unresolved ${unresolved}${missed ? `; delivered by one more poll after the end, without faults: ${deliveredByNextPoll}` : ''}), duplicated ${duplicated}, pre-existing emitted ${preExisting}, failed polls ${failedPolls} of ${polls}`,
	);
	if (activation)
		console.log(
			`  activation: ${activation.credits} credits over ${activation.polls} polls, ${activation.emitted} of them for new applications delivered meanwhile; ${activation.credits - activation.emitted} for the ${activation.window} applications in the window = ${((activation.credits - activation.emitted) / Math.max(1, activation.window)).toFixed(3)} per application (${((activation.credits - activation.emitted - activation.lost) / Math.max(1, activation.window)).toFixed(3)} without the ${activation.lost} charged for answers lost)`,
		);
	console.log(
		`  steady state: ${steady.credits} credits / ${steady.delivered} delivered = ${(steady.credits / steady.delivered).toFixed(3)} per application (${((steady.credits - steady.lost) / steady.delivered).toFixed(3)} without the ${steady.lost} charged for answers lost); per steady poll ${(steady.free / Math.max(1, steady.polls)).toFixed(1)} free requests, ${(steady.carried / Math.max(1, steady.polls)).toFixed(2)} paid queries and ${(steady.deferred / Math.max(1, steady.polls)).toFixed(2)} days carried over`,
	);
	if (activation) {
		// What Fetch Test Event would suggest at this volume and latency (planner/costModel.ts).
		const advice = suggestPollInterval({
			windowCount: activation.window,
			lookbackDays: LOOKBACK_DAYS,
			msPerCount: latencyMs,
			budgetMs: POLL_BUDGET_MS,
		});
		console.log(
			`  suggested poll interval (cost model, ${Math.round(advice.perDay)} a day, ${latencyMs} ms a count): ${advice.minutes ? describeInterval(advice.minutes) : 'none fits'}, the busiest poll's search expected to take ${advice.busiestPollSeconds.toFixed(0)} s (hourly polls here)`,
		);
	}
	console.log(
		`  polls over Max Credits per Poll: ${spentPerPoll.filter((spent) => spent > maxCredits).length} of ${spentPerPoll.length}; most credits in one poll ${Math.max(...spentPerPoll)}`,
	);
	console.log(
		`  requests per poll: mean ${mean.toFixed(1)}, p90 ${quantile(requests, 0.9)}, p99 ${quantile(requests, 0.99)}, max ${Math.max(...requests)}; poll time (simulated): p50 ${(quantile(wallTimes, 0.5) / 1000).toFixed(1)} s, p99 ${(quantile(wallTimes, 0.99) / 1000).toFixed(1)} s, max ${(Math.max(...wallTimes) / 1000).toFixed(1)} s of the ${POLL_BUDGET_MS / 1000} s budget${countRetries ? `; ${countRetries} counts retried` : ''}`,
	);
	console.log(
		`  saved state: ${stateBytes} bytes for ${stateApps} applications in the window = ${(stateBytes / Math.max(1, stateApps)).toFixed(1)} bytes each, serialised in ${saveMs} ms; run ${((Date.now() - realStart) / 1000).toFixed(0)} s`,
	);
	if (failures.length)
		console.log(`  first failures: ${[...new Set(failures)].slice(0, 3).join(' | ')}`);
	const saveTo = arg('save-state', undefined);
	if (saveTo && saved) require('node:fs').writeFileSync(saveTo, saved);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
