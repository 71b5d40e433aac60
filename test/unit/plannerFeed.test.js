/**
 * The poll planner over the benchmark's feed (sandbox/planning/feed.js), hourly for 70 simulated
 * days, against an in-memory model of /search that hides applications until they are published. The
 * HTTP benchmark runs the whole node against the sandbox; this keeps the planner's exactness and credit
 * efficiency under test on every run.
 */
const { planPoll } = require('../../nodes/UkPlanningTrigger/planner/poll');
const { generateFeed } = require('../../sandbox/planning/feed.js');
const { searchModel } = require('../harness/searchModel');

const DAY = 86400000;

test.each([7, 11])(
	'feed seed %i: every application once, steady state at most 1.10 credits each',
	async (seed) => {
		const start = Date.parse('2026-11-20T12:00:00Z');
		const lpaIds = Array.from({ length: 16 }, (_, i) => String(i + 1));
		const feed = generateFeed({ seed, lpaIds, busy: 5, startMs: start - 25 * DAY, days: 95 });
		feed.forEach((a, i) => Object.assign(a, { keyval: `K${i}`, pub: Date.parse(a.published_at) }));
		const watched = ['1', '2', '9', '10'];
		const mine = feed.filter((a) => watched.includes(a.lpa_id));
		const clock = { now: start };
		const api = searchModel({ apps: mine, lpaIds, clock });
		const config = {
			base: { lpa_id: watched.join(',') },
			lookbackDays: 30,
			backfillDays: 0,
			maxCredits: 200,
			backlogOrder: 'newestFirst',
			fingerprint: 'feed',
			reserveMs: 0,
		};
		const end = start + 70 * DAY;
		const steadyFrom = start + 30 * DAY;
		const emitted = new Map();
		const steady = { credits: 0, delivered: 0 };
		let state;
		for (clock.now = start; clock.now <= end; clock.now += 3600000) {
			const before = api.credits;
			const result = await planPoll(state, config, api);
			state = result.state;
			for (const app of result.emitted) emitted.set(app.keyval, (emitted.get(app.keyval) || 0) + 1);
			if (clock.now >= steadyFrom) {
				steady.credits += api.credits - before;
				steady.delivered += result.emitted.length;
			}
		}
		const expected = mine.filter((a) => a.pub > start && a.pub <= end);
		const missed = expected.filter((a) => !emitted.has(a.keyval)).length;
		const duplicated = [...emitted.values()].reduce((sum, n) => sum + n - 1, 0);
		const expectedKeys = new Set(expected.map((a) => a.keyval));
		const preExisting = [...emitted.keys()].filter((k) => !expectedKeys.has(k)).length;
		expect({ missed, duplicated, preExisting }).toEqual({
			missed: 0,
			duplicated: 0,
			preExisting: 0,
		});
		expect(expected.length).toBeGreaterThan(2000);
		expect(steady.delivered).toBeGreaterThan(1000);
		expect(steady.credits / steady.delivered).toBeLessThanOrEqual(1.1);
		expect(JSON.stringify(state).length).toBeLessThan(200000);
	},
);

describe('the feed addresses', () => {
	const start = Date.parse('2026-11-20T12:00:00Z');
	const lpaIds = Array.from({ length: 16 }, (_, i) => String(i + 1));
	const make = () => generateFeed({ seed: 7, lpaIds, busy: 5, startMs: start, days: 95 });

	test('the same seed gives the same feed', () => {
		expect(make()).toEqual(make());
	});

	test('most applications without a postcode are at a house number on a street, in a town', () => {
		const feed = make();
		const without = feed.filter((app) => !app.postcode);
		expect(without.length).toBeGreaterThan(50);
		const ordinary = without.filter((app) =>
			/^\d+ [A-Z][a-z]+ [A-Z][a-z]+, [A-Z][a-z]+$/.test(app.address),
		);
		const land = without.filter((app) =>
			/^(Land|Site|Telecommunications|Allotments)/.test(app.address),
		);
		expect(ordinary.length + land.length).toBe(without.length);
		expect(ordinary.length / without.length).toBeGreaterThan(0.55);
		expect(ordinary.length / without.length).toBeLessThan(0.85);
		expect(land.length).toBeGreaterThan(5);
	});

	test('addresses name one of the authority’s few towns, before the postcode', () => {
		const feed = make();
		const townsOf = new Map();
		for (const app of feed) {
			const suffix = app.postcode ? ` ${app.postcode}` : '';
			expect(app.address.endsWith(suffix)).toBe(true);
			const match = app.address
				.slice(0, app.address.length - suffix.length)
				.match(/, ([A-Z][a-z]+)$/);
			expect(match).not.toBeNull();
			if (!townsOf.has(app.lpa_id)) townsOf.set(app.lpa_id, new Set());
			townsOf.get(app.lpa_id).add(match[1]);
		}
		for (const [lpaId, towns] of townsOf) {
			expect(towns.size).toBeGreaterThanOrEqual(1);
			expect(towns.size).toBeLessThanOrEqual(Number(lpaId) <= 5 ? 3 : 2);
		}
	});
});

describe('the national feed', () => {
	const { generateNationalFeed } = require('../../sandbox/planning/feed.js');
	const start = Date.parse('2026-11-02T00:00:00Z');
	const { lpaIds, apps } = generateNationalFeed({ seed: 7, startMs: start, days: 28 });

	test('about 400 authorities, the real ids of the API facts among them', () => {
		expect(lpaIds).toHaveLength(400);
		expect(new Set(lpaIds).size).toBe(400);
		for (const id of ['1', '2', '106', '175', '205', '213', '245']) expect(lpaIds).toContain(id);
		expect(apps.find((app) => app.lpa_id === '205').postcode).toMatch(/^LS\d+ /);
	});

	test('about 1,900 applications a working day, few at weekends', () => {
		const byDay = new Map();
		for (const app of apps) byDay.set(app.validated, (byDay.get(app.validated) ?? 0) + 1);
		const weekday = [...byDay].filter(([day]) => ![0, 6].includes(new Date(day).getUTCDay()));
		const mean = weekday.reduce((sum, [, n]) => sum + n, 0) / weekday.length;
		expect(mean).toBeGreaterThan(1700);
		expect(mean).toBeLessThan(2100);
		const weekend = [...byDay].filter(([day]) => [0, 6].includes(new Date(day).getUTCDay()));
		for (const [, n] of weekend) expect(n).toBeLessThan(200);
	});

	test('published up to 28 days late, in batches; some without a postcode, some at one address', () => {
		const lateDays = apps.map(
			(app) => (Date.parse(app.published_at) - Date.parse(`${app.validated}T00:00:00Z`)) / 86400000,
		);
		expect(Math.max(...lateDays)).toBeLessThan(29);
		expect(lateDays.filter((days) => days > 14).length).toBeGreaterThan(apps.length * 0.02);
		const atOnce = new Map();
		for (const app of apps) {
			const key = `${app.lpa_id} ${app.published_at}`;
			atOnce.set(key, (atOnce.get(key) ?? 0) + 1);
		}
		expect(Math.max(...atOnce.values())).toBeGreaterThan(20);
		const without = apps.filter((app) => !app.postcode).length / apps.length;
		expect(without).toBeGreaterThan(0.01);
		expect(without).toBeLessThan(0.04);
		const addresses = new Map();
		for (const app of apps) {
			if (!app.postcode) continue;
			const key = `${app.lpa_id} ${app.address}`;
			addresses.set(key, (addresses.get(key) ?? 0) + 1);
		}
		const shared = [...addresses.values()].filter((n) => n > 1).length;
		expect(shared).toBeGreaterThan(apps.length * 0.02);
	});
});
