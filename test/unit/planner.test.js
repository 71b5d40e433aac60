/**
 * The trigger's poll planner as pure logic. The planner talks to a plain `PlannerApi` interface; here it
 * is an in-memory model of /search (same filter semantics as the API facts), not a mock of HTTP.
 */
const { childPrefixes, childPrefixOf } = require('../../nodes/UkPlanning/domain/postcode');
const { readState, STATE_VERSION } = require('../../nodes/UkPlanningTrigger/planner/state');
const {
	findTestApplication,
	testEventReport,
} = require('../../nodes/UkPlanningTrigger/planner/testEvent');
const { shiftDay } = require('../../nodes/UkPlanning/domain/days');
const { searchModel } = require('../harness/searchModel');
const { plannerConfig: config, pollOnce: poll } = require('../harness/plannerRuns');

/** The planner's API over an in-memory /search (test/harness/searchModel.js). */
function memoryApi(options = {}) {
	return searchModel(options);
}

/** A realistic day: several authorities, each with applications spread over postcode sectors. */
function seedDays(api, days, perLpaPerDay = 6) {
	const sectors = ['SW1A 1', 'SW1A 2', 'SE1 7', 'E1 6', 'E14 5', 'N1 9'];
	for (let d = 0; d < days; d++) {
		const day = shiftDay(api.today, -d);
		for (const lpa of ['1', '2', '3']) {
			for (let i = 0; i < perLpaPerDay; i++) {
				api.add([
					{
						lpa_id: lpa,
						validated: day,
						postcode: `${sectors[(i + d) % sectors.length]}${String.fromCharCode(65 + i)}${String.fromCharCode(65 + (d % 26))}`,
					},
				]);
			}
		}
	}
}

describe('childPrefixes', () => {
	test('follow the postcode grammar, never overlap and never end in a space', () => {
		expect(childPrefixes('')).toHaveLength(26);
		expect(childPrefixes('S')).toContain('SW');
		expect(childPrefixes('S')).toContain('S1');
		expect(childPrefixes('SW')).toEqual([
			'SW0',
			'SW1',
			'SW2',
			'SW3',
			'SW4',
			'SW5',
			'SW6',
			'SW7',
			'SW8',
			'SW9',
		]);
		const sw1 = childPrefixes('SW1');
		expect(sw1).toContain('SW1A');
		expect(sw1).toContain('SW10');
		expect(sw1).toContain('SW1 5');
		expect(sw1.some((p) => p.endsWith(' '))).toBe(false);
		expect(childPrefixes('SW1A')).toEqual([
			'SW1A 0',
			'SW1A 1',
			'SW1A 2',
			'SW1A 3',
			'SW1A 4',
			'SW1A 5',
			'SW1A 6',
			'SW1A 7',
			'SW1A 8',
			'SW1A 9',
		]);
		expect(childPrefixes('SW1A 1')).toContain('SW1A 1A');
		expect(childPrefixes('SW1A 1A')).toContain('SW1A 1AA');
		expect(childPrefixes('SW1A 1AA')).toEqual([]);
	});

	test('childPrefixOf walks the same steps', () => {
		expect(childPrefixOf('', 'SW1A 1AA')).toBe('S');
		expect(childPrefixOf('SW1A', 'SW1A 1AA')).toBe('SW1A 1');
		expect(childPrefixOf('SW1A 1', 'SW1A 1AA')).toBe('SW1A 1A');
		expect(childPrefixOf('E1', 'E14 6AA')).toBe('E14');
		expect(childPrefixOf('E1 6', 'E14 6AA')).toBeUndefined();
	});
});

describe('planPoll', () => {
	test('activation learns the window without emitting; an unchanged poll is one free request', async () => {
		const api = memoryApi();
		seedDays(api, 40);
		const first = await poll(api, undefined);
		expect(first.emitted).toEqual([]);
		expect(first.stats.activated).toBe(true);
		// Only the 31 days of the window are paid for (3 authorities x 6 each).
		expect(first.credits).toBe(31 * 18);
		expect(readState(first.state)).toBe(first.state);
		expect(first.state.version).toBe(STATE_VERSION);
		expect(Object.keys(first.state.days)).toHaveLength(31);

		const second = await poll(api, first.state);
		expect(second.emitted).toEqual([]);
		expect(second.requests).toBe(1);
		expect(second.credits).toBe(0);
	});

	test('a late publication in an old day is emitted once, for about one credit', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		let state = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -17);
		api.add([{ lpa_id: '2', validated: day, postcode: 'SE1 7ZZ' }]);
		const next = await poll(api, state);
		expect(next.emitted.map((a) => a.postcode)).toEqual(['SE1 7ZZ']);
		expect(next.credits).toBe(1);
		state = next.state;
		const again = await poll(api, state);
		expect(again.emitted).toEqual([]);
		expect(again.requests).toBe(1);
	});

	test('a new application at an address with seen ones costs only that postcode', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const existing = api.apps.find(
			(a) => a.validated === shiftDay(api.today, -3) && a.lpa_id === '3',
		);
		api.add([{ lpa_id: '3', validated: existing.validated, postcode: existing.postcode }]);
		const next = await poll(api, state);
		expect(next.emitted).toHaveLength(1);
		expect(next.credits).toBe(2);
	});

	test('a whole authority-day published at once is fetched without paying for seen ones', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -5);
		api.add(
			Array.from({ length: 20 }, (_, i) => ({
				lpa_id: '4',
				validated: day,
				postcode: `W1 ${i % 9}AB`,
			})),
		);
		const next = await poll(api, state);
		expect(next.emitted).toHaveLength(20);
		expect(next.credits).toBe(20);
	});

	test('an application without a postcode is still found (the slice is paid whole)', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -2), postcode: null }]);
		const next = await poll(api, state);
		expect(next.emitted).toHaveLength(1);
		expect(next.emitted[0].postcode).toBeNull();
		expect(next.credits).toBe(7);
	});

	test('an application without a postcode is isolated by address words when it can be', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -6);
		api.add([
			{ lpa_id: '2', validated: day, postcode: null, address: 'Land adjacent to 4 Mill Lane' },
		]);
		api.add([{ lpa_id: '2', validated: day, postcode: 'SE1 7QQ', address: '9 Mill Lane SE1 7QQ' }]);
		const next = await poll(api, state);
		expect(next.emitted).toHaveLength(2);
		expect(next.credits).toBe(2);
		expect((await poll(api, next.state)).emitted).toEqual([]);
	});

	test('a server matching prefixes without spaces ("E1 6" = "E16") cannot make an application missed', async () => {
		const api = memoryApi({ stripSpaces: true });
		const day = shiftDay(api.today, -3);
		api.add([
			{ lpa_id: '1', validated: day, postcode: 'E16 1AA' },
			{ lpa_id: '1', validated: day, postcode: 'E1 6AA' },
			{ lpa_id: '1', validated: day, postcode: 'E1 7AA' },
		]);
		let state = (await poll(api, undefined, config({ base: { lpa_id: '1' } }))).state;
		api.add([
			{ lpa_id: '1', validated: day, postcode: 'E16 1AB' },
			{ lpa_id: '1', validated: day, postcode: 'E1 6AB' },
		]);
		const emitted = [];
		for (let p = 0; p < 3; p++) {
			const r = await poll(api, state, config({ base: { lpa_id: '1' } }));
			emitted.push(...r.emitted.map((a) => a.postcode));
			state = r.state;
		}
		expect(emitted.sort()).toEqual(['E1 6AB', 'E16 1AB']);
	});

	test('the same poll run twice from the same state plans the same thing; the input state is not mutated', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const frozen = JSON.stringify(state);
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -1), postcode: 'N1 9XX' }]);
		const a = await poll(api, state);
		const b = await poll(api, state);
		expect(JSON.stringify(state)).toBe(frozen);
		expect(a.emitted.map((x) => x.keyval)).toEqual(b.emitted.map((x) => x.keyval));
		expect(JSON.stringify(a.state)).toBe(JSON.stringify(b.state));
		expect((await poll(api, a.state)).emitted).toEqual([]);
	});

	test('a paid request that fails once is sent again in the same poll, after the others', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -1), postcode: 'N1 9XX' }]);
		api.add([{ lpa_id: '2', validated: shiftDay(api.today, -9), postcode: 'E1 6XX' }]);
		const fetched = [];
		const original = api.fetch;
		api.fetch = async (query) => {
			fetched.push(JSON.stringify(query));
			if (fetched.length === 1) throw new Error('the answer was lost');
			return await original(query);
		};
		const result = await poll(api, state);
		expect(result.emitted.map((app) => app.postcode).sort()).toEqual(['E1 6XX', 'N1 9XX']);
		// Not a failure left to the next poll: a request answered the second time, which the node logs.
		expect(result.stats.failures).toBe(0);
		expect(result.stats.resent).toBe(1);
		expect(result.stats.resentError).toBe('the answer was lost');
		expect(result.stats.carriedOver).toBe(0);
		// The failed query went again only after the other one.
		expect(fetched).toEqual([fetched[0], fetched[1], fetched[0]]);
		expect(fetched[0]).not.toBe(fetched[1]);
		api.fetch = original;
		expect((await poll(api, result.state)).emitted).toEqual([]);
	});

	test('a paid request that fails again leaves its application to the next poll; a failed first count fails the poll; the given state is never mutated', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const frozen = JSON.stringify(state);
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -1), postcode: 'N1 9XX' }]);
		api.failOn('fetch', 2);
		const failed = await poll(api, state);
		expect(failed.emitted).toEqual([]);
		expect(failed.stats.failures).toBe(1);
		expect(failed.stats.resent).toBe(0);
		expect(failed.failure.message).toBe('HTTP 503');
		// Its day did not move past the application: the next poll finds it again.
		expect(failed.state.days[shiftDay(api.today, -1)].count).toBe(18);
		api.failOn('count');
		await expect(poll(api, state)).rejects.toThrow('HTTP 503');
		expect(JSON.stringify(state)).toBe(frozen);
		const retry = await poll(api, failed.state);
		expect(retry.emitted).toHaveLength(1);
		expect(retry.stats.failures).toBe(0);
	});

	test('an application published into a day that carries a paid query over, whose own paid query fails too, waits in the state for the next poll', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const activated = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -1);
		api.add([{ lpa_id: '1', validated: day, postcode: 'N1 9XX' }]);
		api.failOn('fetch', 2);
		const first = await poll(api, activated);
		expect(first.emitted).toEqual([]);
		expect(first.state.days[day].pending.count).toBe(19);
		// Published after that poll: the day's count moved, so its search starts afresh.
		api.add([{ lpa_id: '2', validated: day, postcode: 'E1 6XX' }]);
		api.failOn('fetch', 5);
		const second = await poll(api, first.state);
		api.failOn('fetch', 0);
		expect(second.emitted).toEqual([]);
		expect(second.stats.failures).toBeGreaterThan(0);
		// Nothing moved past either application, and neither is taken for an unresolved one.
		expect(second.state.days[day].count).toBe(18);
		expect(second.state.unresolved).toBe(0);
		const third = await poll(api, second.state);
		expect(third.emitted.map((app) => app.postcode).sort()).toEqual(['E1 6XX', 'N1 9XX']);
		expect(third.state.days[day].count).toBe(20);
		expect((await poll(api, third.state)).emitted).toEqual([]);
	});

	test('after one paid request fails the others of the poll still go ahead', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const added = ['N1 9XX', 'E1 6XX', 'SE1 7XX'].map((postcode, d) => {
			api.add([{ lpa_id: '2', validated: shiftDay(api.today, -(d * 5 + 1)), postcode }]);
			return api.apps[api.apps.length - 1].keyval;
		});
		const original = api.fetch;
		let failing;
		api.fetch = async (q) => {
			// The first query fails, and so does its second sending.
			failing ??= JSON.stringify(q);
			if (JSON.stringify(q) === failing) throw new Error('socket hang up');
			return original(q);
		};
		const partial = await poll(api, state);
		expect(partial.emitted).toHaveLength(2);
		expect(partial.stats.failures).toBe(1);
		api.fetch = original;
		const rest = await poll(api, partial.state);
		expect([...partial.emitted, ...rest.emitted].map((a) => a.keyval).sort()).toEqual(added.sort());
	});

	test('a paid request failing after another succeeded keeps what was paid for and carries the rest', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -1), postcode: 'N1 9XX' }]);
		api.add([{ lpa_id: '2', validated: shiftDay(api.today, -9), postcode: 'E1 6XX' }]);
		const original = api.fetch;
		let calls = 0;
		let failing;
		api.fetch = async (q) => {
			// The second query fails, and so does its second sending.
			if (++calls === 2) failing = JSON.stringify(q);
			if (JSON.stringify(q) === failing) throw new Error('socket hang up');
			return original(q);
		};
		const partial = await poll(api, state);
		expect(partial.emitted).toHaveLength(1);
		expect(partial.stats.partialError).toMatch('socket hang up');
		api.fetch = original;
		const rest = await poll(api, partial.state);
		expect(rest.emitted).toHaveLength(1);
		expect(rest.emitted[0].keyval).not.toBe(partial.emitted[0].keyval);
	});

	test('Max Credits caps a poll; the backlog is carried over, newest first, each application once', async () => {
		const api = memoryApi();
		seedDays(api, 31, 2);
		let state = (await poll(api, undefined, config({ maxCredits: 500 }))).state;
		for (let d = 0; d < 6; d++) {
			api.add(
				Array.from({ length: 8 }, (_, i) => ({
					lpa_id: '4',
					validated: shiftDay(api.today, -d * 3),
					postcode: `W1 ${i}AB`,
				})),
			);
		}
		const seen = new Set();
		const days = [];
		for (let p = 0; p < 10; p++) {
			const r = await poll(api, state, config({ maxCredits: 20 }));
			expect(r.credits).toBeLessThanOrEqual(20);
			for (const a of r.emitted) {
				expect(seen.has(a.keyval)).toBe(false);
				seen.add(a.keyval);
			}
			days.push(r.emitted.map((a) => a.validated));
			state = r.state;
		}
		expect(seen.size).toBe(48);
		expect(days[0][0]).toBe(api.today);
		expect(days[1][0] <= days[0][days[0].length - 1]).toBe(true);
	});

	test('one authority-day bigger than Max Credits is split by postcode and carried over in parts', async () => {
		const api = memoryApi();
		seedDays(api, 31, 2);
		let state = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -2);
		api.add(
			Array.from({ length: 30 }, (_, i) => ({
				lpa_id: '4',
				validated: day,
				postcode: `${['N', 'E', 'W'][i % 3]}${1 + (i % 7)} ${i % 10}AB`,
			})),
		);
		const seen = new Set();
		for (let p = 0; p < 6 && seen.size < 30; p++) {
			const r = await poll(api, state, config({ maxCredits: 10 }));
			expect(r.credits).toBeLessThanOrEqual(10);
			for (const a of r.emitted) {
				expect(seen.has(a.keyval)).toBe(false);
				seen.add(a.keyval);
			}
			state = r.state;
		}
		expect(seen.size).toBe(30);
	});

	test('a poll out of budget stops narrowing and carries the rest over; nothing is lost', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		let state = (await poll(api, undefined)).state;
		for (let d = 1; d <= 10; d++)
			api.add([
				{ lpa_id: String((d % 3) + 1), validated: shiftDay(api.today, -d), postcode: `N${d} 1ZZ` },
			]);
		let calls = 0;
		api.timeLeftMs = () => (++calls % 15 === 0 ? 0 : 60000);
		const emitted = new Set();
		for (let p = 0; p < 8 && emitted.size < 10; p++) {
			const r = await poll(api, state, config({ reserveMs: 1000 }));
			for (const a of r.emitted) {
				expect(emitted.has(a.keyval)).toBe(false);
				emitted.add(a.keyval);
			}
			state = r.state;
		}
		expect(emitted.size).toBe(10);
	});

	test('slices located but not paid for wait in the state: the next poll pays them without locating them again', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		let state = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -3);
		for (const postcode of ['N3 1ZZ', 'E3 2ZZ', 'W3 3ZZ'])
			api.add([{ lpa_id: '2', validated: day, postcode }]);
		const first = await poll(api, state, config({ maxCredits: 1 }));
		expect(first.emitted).toHaveLength(1);
		expect(first.state.days[day].pending.slices).toHaveLength(2);
		state = first.state;
		const logged = api.log.length;
		const second = await poll(api, state, config({ maxCredits: 1 }));
		expect(second.emitted).toHaveLength(1);
		// Only the window and the bisection were counted: no count narrowed by authority or postcode.
		const narrowing = api.log
			.slice(logged)
			.filter((entry) => entry.kind === 'count' && (entry.q.lpa_id || entry.q.postcode_start));
		expect(narrowing).toEqual([]);
		const third = await poll(api, second.state, config({ maxCredits: 1 }));
		expect(third.emitted).toHaveLength(1);
		expect(third.state.days[day].pending).toBeUndefined();
		const all = [first, second, third].flatMap((r) => r.emitted.map((a) => a.postcode)).sort();
		expect(all).toEqual(['E3 2ZZ', 'N3 1ZZ', 'W3 3ZZ']);
		// A publication into the day meanwhile: located again, nothing lost.
		api.add([{ lpa_id: '2', validated: day, postcode: 'S3 4ZZ' }]);
		expect((await poll(api, third.state)).emitted.map((a) => a.postcode)).toEqual(['S3 4ZZ']);
	});

	test('oldest first when asked', async () => {
		const api = memoryApi();
		const state = (await poll(api, undefined)).state;
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -1), postcode: 'N1 9AA' }]);
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -20), postcode: 'N1 9AB' }]);
		const r = await poll(api, state, config({ maxCredits: 1, backlogOrder: 'oldestFirst' }));
		expect(r.emitted.map((a) => a.validated)).toEqual([shiftDay(api.today, -20)]);
	});

	test('activation bigger than Max Credits learns newest days first over several polls', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		let r = await poll(api, undefined, config({ maxCredits: 100 }));
		expect(r.credits).toBeLessThanOrEqual(100);
		expect(r.emitted).toEqual([]);
		let polls = 1;
		while (Object.values(r.state.days).some((d) => !d.complete)) {
			r = await poll(api, r.state, config({ maxCredits: 100 }));
			expect(r.emitted).toEqual([]);
			expect(r.credits).toBeLessThanOrEqual(100);
			polls++;
		}
		// Days that do not fit whole are learned one authority at a time, so every poll spends up to
		// the cap and no more: 31 days of 18 in ceil(558 / 100) polls.
		expect(polls).toBe(Math.ceil((31 * 18) / 100));
	});

	test('an application published to a day not learned yet: emitted when its authority had none that day, else counted unresolved', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const cfg = config({ base: { lpa_id: '1,2,3,4' }, maxCredits: 100 });
		let r = await poll(api, undefined, cfg);
		const unlearned = Object.keys(r.state.days)
			.filter((day) => !r.state.days[day].complete)
			.sort();
		expect(unlearned.length).toBeGreaterThan(2);
		expect(r.state.days[unlearned[0]].partCounts).toEqual({ 1: 6, 2: 6, 3: 6 });
		api.add([{ lpa_id: '4', validated: unlearned[0], postcode: 'W1 1AA' }]);
		api.add([{ lpa_id: '1', validated: unlearned[1], postcode: 'W1 1AB' }]);
		const emitted = [];
		let unresolved = 0;
		while (Object.values(r.state.days).some((d) => !d.complete)) {
			r = await poll(api, r.state, cfg);
			emitted.push(...r.emitted.map((a) => a.postcode));
			unresolved += r.stats.unresolved;
		}
		expect(emitted).toEqual(['W1 1AA']);
		expect(unresolved).toBe(1);
		expect(r.state.unresolved).toBe(1);
	});

	test('an activation cut short by paid failures, with more than 12 authorities: late publications into days not learned yet are emitted once where decidable, never as duplicates', async () => {
		const lpaIds = Array.from({ length: 16 }, (_, i) => String(i + 1));
		const api = memoryApi({ lpaIds });
		// Busy authorities 1-4 every day; 5-16 only on some days.
		for (let d = 0; d < 31; d++) {
			const day = shiftDay(api.today, -d);
			for (const lpa of lpaIds) {
				const n = Number(lpa) <= 4 ? 5 : (Number(lpa) + d) % 4 === 0 ? 1 : 0;
				for (let i = 0; i < n; i++)
					api.add([{ lpa_id: lpa, validated: day, postcode: `N${lpa} ${i}${d % 10}A` }]);
			}
		}
		const cfg = config({ maxCredits: 60 });
		let r = await poll(api, undefined, cfg);
		expect(r.credits).toBeLessThanOrEqual(60);
		const unlearned = Object.keys(r.state.days).filter((day) => !r.state.days[day].complete);
		expect(unlearned.length).toBeGreaterThan(10);
		// Every day left for later has its per-authority counts, whatever the number of authorities.
		for (const day of unlearned) expect(r.state.days[day].partCounts).toBeDefined();
		const emitted = [];
		const decidable = [];
		let unresolved = 0;
		for (let p = 0; p < 40 && Object.values(r.state.days).some((d) => !d.complete); p++) {
			// Late publications into the oldest days still unlearned: one where the authority had none.
			const waiting = Object.keys(r.state.days)
				.filter((day) => !r.state.days[day].complete)
				.sort();
			if (p % 3 === 0 && waiting.length) {
				const day = waiting[0];
				const counts = r.state.days[day].partCounts ?? {};
				const empty = lpaIds.find((lpa) => !counts[lpa]);
				api.add([{ lpa_id: empty, validated: day, postcode: `E${p} 1ZZ` }]);
				decidable.push(api.apps[api.apps.length - 1].keyval);
				api.add([{ lpa_id: '1', validated: day, postcode: `E${p} 2ZZ` }]);
			}
			// Every other poll's first paid request fails, as a faulted API would.
			if (p % 2 === 0) api.failOn('fetch');
			r = await poll(api, r.state, cfg);
			expect(r.credits).toBeLessThanOrEqual(60);
			emitted.push(...r.emitted.map((a) => a.keyval));
			unresolved += r.stats.unresolved;
		}
		for (let p = 0; p < 3; p++) {
			r = await poll(api, r.state, cfg);
			emitted.push(...r.emitted.map((a) => a.keyval));
		}
		expect(Object.values(r.state.days).every((d) => d.complete)).toBe(true);
		expect(new Set(emitted).size).toBe(emitted.length);
		for (const keyval of decidable) expect(emitted).toContain(keyval);
		// Nothing that existed at activation is emitted.
		const late = new Set(api.apps.slice(-2 * decidable.length).map((a) => a.keyval));
		for (const keyval of emitted) expect(late.has(keyval)).toBe(true);
		// The others (authority 1 had applications that day) are counted, not guessed.
		expect(emitted.length + unresolved).toBe(2 * decidable.length);
	});

	test('backfill days are emitted at activation; older days are learned silently', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const r = await poll(api, undefined, config({ backfillDays: 2 }));
		expect(r.emitted).toHaveLength(2 * 18);
		expect(new Set(r.emitted.map((a) => a.validated))).toEqual(
			new Set([api.today, shiftDay(api.today, -1)]),
		);
		expect(r.credits).toBe(31 * 18);
	});

	test('changing the filters starts afresh without a flood', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const state = (await poll(api, undefined)).state;
		const changed = config({ base: { lpa_id: '1,2' }, fingerprint: 'f2' });
		const r = await poll(api, state, changed);
		expect(r.emitted).toEqual([]);
		expect(r.stats.activated).toBe(true);
		expect(r.state.fingerprint).toBe('f2');
	});

	test('days leave the window and their seen ids are pruned (state stays bounded)', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		let state = (await poll(api, undefined)).state;
		const size0 = JSON.stringify(state).length;
		for (let d = 1; d <= 40; d++) {
			api.today = shiftDay('2026-11-20', d);
			api.add(
				Array.from({ length: 18 }, (_, i) => ({
					lpa_id: String((i % 3) + 1),
					validated: api.today,
					postcode: `E1 6${String.fromCharCode(65 + i)}A`,
				})),
			);
			const r = await poll(api, state);
			expect(r.emitted).toHaveLength(18);
			state = r.state;
		}
		expect(Object.keys(state.days).length).toBeLessThanOrEqual(31);
		expect(state.from).toBe(shiftDay(api.today, -30));
		expect(JSON.stringify(state).length).toBeLessThan(size0 * 1.5);
	});

	test('a withdrawal is noticed, and a later application that day is still emitted', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		let state = (await poll(api, undefined)).state;
		const day = shiftDay(api.today, -4);
		const victim = api.apps.find((a) => a.validated === day && a.lpa_id === '2');
		victim.published = false;
		const fell = await poll(api, state);
		expect(fell.emitted).toEqual([]);
		expect(fell.state.days[day].stale).toBe(1);
		state = fell.state;
		api.add([{ lpa_id: '2', validated: day, postcode: victim.postcode }]);
		const rose = await poll(api, state);
		expect(rose.emitted).toHaveLength(1);
		expect(rose.state.days[day].stale).toBeUndefined();
	});
});

describe('findTestApplication', () => {
	test('pays one credit for one recent application when counts can narrow it, and says so', async () => {
		const api = memoryApi();
		seedDays(api, 31);
		const r = await findTestApplication(config(), api);
		expect(r.application).toBeDefined();
		expect(r.application.validated).toBe(api.today);
		expect(r.creditsSpent).toBe(1);
		expect(api.credits).toBe(1);
		expect(r.windowCount).toBe(31 * 18);
		expect(r.activation).toEqual({ credits: 31 * 18, polls: 1 });
	});

	test('narrows by the postcode grammar the planner uses: no prefix sent ends in a space', async () => {
		const api = memoryApi();
		// Two applications in one district: only the sector tells them apart.
		api.add([
			{ lpa_id: '1', validated: api.today, postcode: 'SW1A 1AA' },
			{ lpa_id: '1', validated: api.today, postcode: 'SW1A 2BB' },
		]);
		const r = await findTestApplication(config({ base: { lpa_id: '1' } }), api);
		expect(r.application).toBeDefined();
		const prefixes = api.log.map((entry) => entry.q.postcode_start).filter(Boolean);
		// The grammar's steps: area, district, "district sector"; never "SW " or "SW1A ".
		for (const prefix of prefixes) expect(prefix).not.toMatch(/ $/);
		expect(prefixes).toEqual(expect.arrayContaining(['S', 'SW', 'SW1', 'SW1A']));
	});

	test('never pays more than the cap', async () => {
		const api = memoryApi();
		for (let i = 0; i < 12; i++) api.add([{ lpa_id: '1', validated: api.today, postcode: null }]);
		const r = await findTestApplication(config({ base: { lpa_id: '1' } }), api);
		expect(r.application).toBeUndefined();
		expect(r.problem).toMatch('at most 5');
		expect(api.credits).toBe(0);
	});

	test('testEventReport: what the test event spent, what activation would cost and the poll interval, in words', () => {
		const report = testEventReport(
			{
				creditsSpent: 1,
				freeRequests: 9,
				msPerCount: 300,
				windowCount: 450,
				activation: { credits: 450, polls: 3 },
			},
			{ lookbackDays: 30, maxCredits: 200, creditCap: 5, budgetMs: 300000 },
		);
		expect(report).toBe(
			'The test event spent 1 credit(s) (at most 5) and 9 free count(s), and moved no state. ' +
				'Activation learns the 450 application(s) now in the 30-day window without emitting them: ' +
				'about 450 credits over 3 poll(s) at Max Credits per Poll 200. ' +
				'Meanwhile an application published into a day not learned yet, in an authority that already had one that day, ' +
				'cannot be told from an old one and is not emitted: Max Credits per Poll of 450 or more for the first poll learns the window at once. ' +
				// 450 / 31 a day; daily: 14.5 × 6 × 12 / 12 × 0.3 s = 26 s of the 150 s the search may take.
				'Poll interval: every day or more often (about 15 new application(s) a day, 300 ms a count measured now: ' +
				"the busiest poll's search then takes about 26 s of the 300 s poll budget). More often costs the same credits and more free counts.",
		);
		const national = testEventReport(
			{
				creditsSpent: 1,
				freeRequests: 30,
				msPerCount: 300,
				windowCount: 34800,
				activation: { credits: 34800, polls: 1 },
			},
			{ lookbackDays: 30, maxCredits: 40000, creditCap: 5, budgetMs: 300000 },
		);
		expect(national).toContain(
			'Poll interval: every hour or more often (about 1123 new application(s) a day',
		);
		// Learned in one poll: no blind spot to warn of.
		expect(national).not.toContain('cannot be told');
		const tooMuch = testEventReport(
			{
				creditsSpent: 0,
				freeRequests: 30,
				msPerCount: 60000,
				windowCount: 34800,
				activation: { credits: 34800, polls: 1 },
			},
			{ lookbackDays: 30, maxCredits: 40000, creditCap: 5, budgetMs: 300000 },
		);
		expect(tooMuch).toContain(
			'no poll interval lets the busiest poll locate them within its budget',
		);
	});
});

describe('stored state across the upgrade from one-letter keys (version 1)', () => {
	/** A state as version 1 of the trigger stored it. */
	const storedV1 = {
		v: 1,
		fp: 'f1',
		from: '2026-10-21',
		today: '2026-11-20',
		fut: 2,
		days: {
			'2026-11-19': {
				n: 2,
				s: { K1: '1|SW1A 1AA|1 high street', K2: '2||land adjacent to the mill' },
				f: 1,
				x: 1,
			},
			'2026-11-18': { n: 3, s: {}, l: { 1: 2, 2: 1 } },
		},
		unresolved: 1,
	};

	test('readState migrates it to readable names, and reads the current format as it is', () => {
		const migrated = readState(storedV1);
		expect(migrated).toEqual({
			version: 3,
			fingerprint: 'f1',
			from: '2026-10-21',
			today: '2026-11-20',
			futureCount: 2,
			days: {
				'2026-11-19': {
					count: 2,
					seen: { K1: '1|SW1A 1AA|1 high street', K2: '2||land adjacent to the mill' },
					complete: 1,
					stale: 1,
				},
				'2026-11-18': { count: 3, seen: {}, partCounts: { 1: 2, 2: 1 } },
			},
			unresolved: 1,
		});
		expect(readState(migrated)).toBe(migrated);
		expect(readState(undefined)).toBeUndefined();
		expect(readState({ v: 7, fp: 'f1', from: 'a', today: 'b', days: {} })).toBeUndefined();
	});

	test('an active trigger with a version 1 state goes on without activating again: only new applications', async () => {
		const api = memoryApi();
		seedDays(api, 40);
		const first = await poll(api, undefined);
		// The same state as version 1 stored it.
		const v1 = {
			v: 1,
			fp: first.state.fingerprint,
			from: first.state.from,
			today: first.state.today,
			fut: first.state.futureCount,
			days: Object.fromEntries(
				Object.entries(first.state.days).map(([day, ds]) => [
					day,
					{
						n: ds.count,
						s: ds.seen,
						...(ds.complete ? { f: 1 } : {}),
						...(ds.stale ? { x: 1 } : {}),
					},
				]),
			),
			unresolved: first.state.unresolved,
		};
		const stored = JSON.stringify(v1);
		api.add([{ lpa_id: '2', validated: shiftDay(api.today, -3), postcode: 'E1 6ZZ' }]);
		const next = await poll(api, v1);
		expect(next.stats.activated).toBe(false);
		expect(next.emitted.map((app) => app.postcode)).toEqual(['E1 6ZZ']);
		expect(next.credits).toBeLessThanOrEqual(2);
		expect(next.state.version).toBe(3);
		// The stored copy is not changed by reading it.
		expect(JSON.stringify(v1)).toBe(stored);
	});
});
