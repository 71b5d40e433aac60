'use strict';
const {
	planNewestFirst,
	capExceededMessage,
	narrowedHint,
} = require('../../nodes/UkPlanning/helpers/creditGuard.ts');
const { shiftDay: addDays } = require('../../nodes/UkPlanning/domain/days.ts');
const { matchesQuery } = require('../harness/searchModel');

/** A tiny deterministic random source, so that failures reproduce. */
function random(seed) {
	let state = seed >>> 0;
	return () => {
		state = (state * 1664525 + 1013904223) >>> 0;
		return state / 2 ** 32;
	};
}

function dataset({ seed = 1, size = 2000, days = 400, lpas = 12, today = '2026-11-20' }) {
	const next = random(seed);
	const apps = [];
	for (let i = 0; i < size; i++) {
		// Skewed towards recent days, like a real feed.
		const age = Math.floor(days * next() ** 2);
		apps.push({
			keyval: `K${i}`,
			lpa_id: String(1 + Math.floor(next() * lpas)),
			validated: addDays(today, -age),
		});
	}
	return apps;
}

const matches = matchesQuery;

/** The credit guard's free count and the paid fetch, over the shared /search semantics (test/harness/searchModel.js). */
function fakeApi(apps, lpaCount) {
	const api = {
		counts: 0,
		count: async (query) => {
			api.counts++;
			return apps.filter((app) => matches(app, query)).length;
		},
		authorityIds: async () => Array.from({ length: lpaCount }, (_, i) => String(i + 1)),
		fetch: (query) => apps.filter((app) => matches(app, query)),
	};
	return api;
}

async function planAndFetch(
	apps,
	{ base = {}, cap, lpas = 12, maxCountRequests, today = '2026-11-20' },
) {
	const api = fakeApi(apps, lpas);
	const total = apps.filter((app) => matches(app, base)).length;
	const plan = await planNewestFirst({
		base,
		total,
		cap,
		today,
		count: api.count,
		authorityIds: api.authorityIds,
		maxCountRequests,
	});
	const fetched = plan.fetches.flatMap((part) => {
		const got = api.fetch(part.query);
		expect(got.length).toBe(part.expected);
		return got;
	});
	return { plan, fetched, total, api };
}

function expectNewestFirst(apps, base, fetched) {
	const keys = new Set(fetched.map((app) => app.keyval));
	expect(keys.size).toBe(fetched.length); // no application paid for twice
	const left = apps.filter((app) => matches(app, base) && !keys.has(app.keyval));
	if (!fetched.length || !left.length) return;
	const oldestFetched = fetched.reduce(
		(min, app) => (app.validated < min ? app.validated : min),
		'9999',
	);
	const newestLeft = left.reduce((max, app) => (app.validated > max ? app.validated : max), '0000');
	// Everything left out is no newer than what was fetched (ties on the partly covered day are fine).
	expect(newestLeft <= oldestFetched).toBe(true);
}

test('a search within the cap is fetched whole, without extra counts', async () => {
	const apps = dataset({ size: 50 });
	const { plan, fetched, api } = await planAndFetch(apps, { cap: 100 });
	expect(plan.fetches).toEqual([{ query: {}, expected: 50 }]);
	expect(fetched).toHaveLength(50);
	expect(api.counts).toBe(0);
});

test('over the cap: the newest applications, never more than the cap, filled close to it', async () => {
	const apps = dataset({ seed: 3 });
	const { plan, fetched } = await planAndFetch(apps, { cap: 100 });
	expect(plan.planned).toBe(fetched.length);
	expect(fetched.length).toBeLessThanOrEqual(100);
	expect(fetched.length).toBeGreaterThan(80);
	expectNewestFirst(apps, {}, fetched);
	expect(plan.countRequests).toBeLessThanOrEqual(80);
	expect(plan.fullFrom).toBeDefined();
});

test('keeps the user filters: authorities and date range', async () => {
	const apps = dataset({ seed: 5 });
	const base = { lpa_id: '1,2,3,4', date_from: '2026-01-01', date_to: '2026-10-31' };
	const { plan, fetched, total } = await planAndFetch(apps, { base, cap: 60 });
	expect(total).toBeGreaterThan(60);
	expect(fetched.length).toBeLessThanOrEqual(60);
	for (const app of fetched) expect(matches(app, base)).toBe(true);
	for (const part of plan.fetches) {
		expect(part.query.date_to <= '2026-10-31').toBe(true);
		for (const id of part.query.lpa_id.split(',')) expect(['1', '2', '3', '4']).toContain(id);
	}
	expectNewestFirst(apps, base, fetched);
});

test('a single day over the cap is split by authorities', async () => {
	const today = '2026-11-20';
	const apps = [];
	for (let i = 0; i < 40; i++)
		apps.push({ keyval: `T${i}`, lpa_id: String(1 + (i % 8)), validated: today });
	for (let i = 0; i < 30; i++) apps.push({ keyval: `O${i}`, lpa_id: '1', validated: '2026-11-01' });
	const { plan, fetched } = await planAndFetch(apps, { cap: 23, lpas: 8 });
	expect(fetched.length).toBeLessThanOrEqual(23);
	expect(fetched.length).toBeGreaterThanOrEqual(15);
	for (const app of fetched) expect(app.validated).toBe(today);
	expect(plan.partialDay).toBe(today);
	expect(plan.partialAuthorities.length).toBeGreaterThan(0);
});

test('the partly covered day takes authorities that fit after the full days', async () => {
	const apps = [];
	for (let i = 0; i < 10; i++)
		apps.push({ keyval: `N${i}`, lpa_id: String(1 + (i % 2)), validated: '2026-11-20' });
	for (let i = 0; i < 40; i++)
		apps.push({ keyval: `D${i}`, lpa_id: String(1 + (i % 4)), validated: '2026-11-19' });
	const { plan, fetched } = await planAndFetch(apps, { cap: 30, lpas: 4 });
	expect(plan.fullFrom).toBe('2026-11-20');
	expect(plan.partialDay).toBe('2026-11-19');
	expect(fetched.length).toBe(30); // 10 newest + two authorities of 10 each
	expectNewestFirst(apps, {}, fetched);
});

test('property: random data, caps and filters never exceed the cap and stay newest first', async () => {
	for (let seed = 1; seed <= 25; seed++) {
		const next = random(seed * 7);
		const apps = dataset({
			seed,
			size: 300 + Math.floor(next() * 1500),
			days: 30 + Math.floor(next() * 700),
			lpas: 9,
		});
		const cap = 1 + Math.floor(next() * 250);
		const base =
			next() < 0.5
				? {}
				: { lpa_id: '2,4,6,8', date_to: addDays('2026-11-20', -Math.floor(next() * 20)) };
		const { fetched } = await planAndFetch(apps, { base, cap, lpas: 9 });
		expect(fetched.length).toBeLessThanOrEqual(cap);
		expectNewestFirst(apps, base, fetched);
	}
});

test('a spent count budget still yields a plan within the cap', async () => {
	const apps = dataset({ seed: 11, size: 3000 });
	const { plan, fetched } = await planAndFetch(apps, { cap: 100, maxCountRequests: 3 });
	expect(plan.countRequests).toBeLessThanOrEqual(3);
	expect(plan.budgetExhausted).toBe(true);
	expect(fetched.length).toBeLessThanOrEqual(100);
	expectNewestFirst(apps, {}, fetched);
});

test('cap 0 and empty searches plan nothing', async () => {
	const apps = dataset({ size: 10 });
	expect((await planAndFetch(apps, { cap: 0 })).plan.fetches).toEqual([]);
	expect((await planAndFetch([], { cap: 10 })).plan.fetches).toEqual([]);
});

test('the refusal names the count, the cap and the cost', () => {
	const { message, description } = capExceededMessage(250, 100, '£12.50–£25.00');
	expect(message).toMatch(/250 applications/);
	expect(message).toMatch(/Max Credits \(100\)/);
	expect(message).toMatch(/nothing was fetched or charged/);
	expect(description).toMatch(/250 credits \(£12.50–£25.00/);
});

describe('narrowedHint', () => {
	test('says how many matched, what was returned, from when, and what was left out', () => {
		expect(
			narrowedHint({
				count: 2391,
				fetched: 117,
				maxCredits: 120,
				cap: 120,
				fullFrom: '2026-10-17',
				partialDay: '2026-10-16',
			}),
		).toBe(
			'2391 applications match, more than Max Credits (120): returned the newest 117, every one validated from 2026-10-17 and some of 2026-10-16; ' +
				'2274 older ones were left out and not charged. Raise Max Credits or narrow the filters to get them.',
		);
	});

	test('names the credits left when they, not Max Credits, were the limit; a partial day alone', () => {
		const hint = narrowedHint({
			count: 633,
			fetched: 30,
			maxCredits: 100,
			cap: 30,
			partialDay: '2026-10-09',
		});
		expect(hint).toMatch(
			/^633 applications match, more than the 30 credits left on the key: returned the newest 30, some of 2026-10-09; 603 older ones/,
		);
	});
});
