/**
 * Learning the window at activation within Max Credits per Poll: a day bigger than the cap is learned in
 * parts (authorities, then postcode areas, districts, sectors and postcodes), one poll's worth at a time.
 * Runs the planner against the in-memory /search model (test/harness/searchModel.js).
 */
const { readState } = require('../../nodes/UkPlanningTrigger/planner/state');
const { partKey, partOf, partSlice } = require('../../nodes/UkPlanningTrigger/planner/slices');
const { shiftDay } = require('../../nodes/UkPlanning/domain/days');
const { searchModel } = require('../harness/searchModel');
const { plannerConfig: config, pollOnce: poll } = require('../harness/plannerRuns');

/** Polls until every day is learned; returns each poll's credits and what was emitted. */
async function learnAll(api, first, cfg, maxPolls = 200) {
	const credits = [first.credits];
	const emitted = [...first.emitted];
	let r = first;
	while (Object.values(r.state.days).some((day) => !day.complete)) {
		if (credits.length >= maxPolls) throw new Error(`not learned after ${maxPolls} polls`);
		r = await poll(api, r.state, cfg);
		credits.push(r.credits);
		emitted.push(...r.emitted);
	}
	return { r, credits, emitted };
}

/** `n` applications of one authority on one day, each at its own postcode in a few districts. */
function busyDay(api, day, lpa, n) {
	const districts = ['LS1', 'LS6', 'LS11', 'BD3'];
	api.add(
		Array.from({ length: n }, (_, i) => ({
			lpa_id: lpa,
			validated: day,
			postcode: `${districts[i % districts.length]} ${i % 10}${'ABCDEFGH'[Math.floor(i / 10) % 8]}Z`,
		})),
	);
}

describe('part keys', () => {
	test('an authority, optionally with a postcode start or a full postcode, as a slice of the day', () => {
		expect(partKey('205', '')).toBe('205');
		expect(partKey('205', 'LS1 4')).toBe('205|LS1 4');
		expect(partKey(undefined, 'LS')).toBe('|LS');
		expect(partSlice('2026-11-19', '205')).toEqual({ day: '2026-11-19', lpas: ['205'] });
		expect(partSlice('2026-11-19', '205|LS1 4')).toEqual({
			day: '2026-11-19',
			lpas: ['205'],
			prefix: 'LS1 4',
		});
		expect(partSlice('2026-11-19', '|LS1 4AB')).toEqual({ day: '2026-11-19', exact: 'LS1 4AB' });
	});

	test('an application lies in the part its authority and postcode fall in, or in none', () => {
		// Parts of one day never overlap: "LS1 4" and "LS11" are both children of "LS1".
		const keys = ['205|LS1 4', '205|LS11', '205|without postcode', '213'];
		const app = (lpa, postcode) => ({ keyval: 'K', lpa_id: lpa, postcode, address: 'x' });
		expect(partOf(keys, 'd', app('205', 'LS1 4AB'))).toBe('205|LS1 4');
		expect(partOf(keys, 'd', app('205', 'ls11 2cd'))).toBe('205|LS11');
		expect(partOf(keys, 'd', app('213', null))).toBe('213');
		expect(partOf(keys, 'd', app('205', null))).toBe('205|without postcode');
		// Nor does a postcode starting with no letter, which no postcode start reaches.
		expect(partOf(keys, 'd', app('205', '00000'))).toBe('205|without postcode');
		// A postcode in an area the day had none in lies in no part: published since.
		expect(partOf(keys, 'd', app('205', 'LS2 1AA'))).toBeUndefined();
		expect(partOf(keys, 'd', app('206', null))).toBeUndefined();
	});
});

describe('activation within Max Credits per Poll', () => {
	test('one watched authority with a day bigger than the cap: learned by postcode, no poll over the cap, nothing emitted', async () => {
		const api = searchModel();
		busyDay(api, shiftDay(api.today, -3), '1', 22);
		busyDay(api, shiftDay(api.today, -9), '1', 7);
		const cfg = config({ base: { lpa_id: '1' }, maxCredits: 5 });
		const first = await poll(api, undefined, cfg);
		const { r, credits, emitted } = await learnAll(api, first, cfg);
		expect(Math.max(...credits)).toBeLessThanOrEqual(5);
		expect(credits.reduce((a, b) => a + b, 0)).toBe(29);
		expect(emitted).toEqual([]);
		expect(Object.keys(r.state.days[shiftDay(api.today, -3)].seen)).toHaveLength(22);
		// Afterwards a late application is found and emitted once, as usual.
		api.add([{ lpa_id: '1', validated: shiftDay(api.today, -3), postcode: 'LS6 9ZZ' }]);
		const next = await poll(api, r.state, cfg);
		expect(next.emitted.map((app) => app.postcode)).toEqual(['LS6 9ZZ']);
	});

	test('the cap at 1 with several authorities: every poll pays for at most one application', async () => {
		const api = searchModel();
		for (const [d, lpa, n] of [
			[2, '1', 9],
			[2, '2', 6],
			[5, '3', 8],
			[12, '1', 3],
		])
			busyDay(api, shiftDay(api.today, -d), lpa, n);
		const cfg = config({ maxCredits: 1 });
		const first = await poll(api, undefined, cfg);
		const { credits, emitted } = await learnAll(api, first, cfg);
		expect(Math.max(...credits)).toBe(1);
		expect(credits.reduce((a, b) => a + b, 0)).toBe(26);
		expect(emitted).toEqual([]);
	});

	test('applications without a postcode are a part of their own, learned by address text within the cap', async () => {
		const api = searchModel();
		const day = shiftDay(api.today, -4);
		busyDay(api, day, '1', 12);
		api.add([
			{ lpa_id: '1', validated: day, postcode: null, address: 'Land off Mill Lane' },
			{ lpa_id: '1', validated: day, postcode: null, address: 'Plot 4 rear of the Old Forge' },
		]);
		busyDay(api, day, '2', 4);
		const cfg = config({ maxCredits: 5 });
		const first = await poll(api, undefined, cfg);
		const parts = first.state.days[day].partCounts;
		expect(parts).toMatchObject({ 2: 4, '1|without postcode': 2 });
		expect(Object.values(parts).every((count) => count <= 5)).toBe(true);
		const { r, credits, emitted } = await learnAll(api, first, cfg);
		expect(Math.max(...credits)).toBeLessThanOrEqual(5);
		expect(emitted).toEqual([]);
		expect(Object.keys(r.state.days[day].seen)).toHaveLength(18);
		// Afterwards a new one without a postcode is found by the usual address probe.
		api.add([{ lpa_id: '1', validated: day, postcode: null, address: 'Land west of the Mill' }]);
		const next = await poll(api, r.state, cfg);
		expect(next.emitted.map((app) => app.address)).toEqual(['Land west of the Mill']);
	});

	test("when no address text isolates them, the authority's whole day is paid for, alone in its poll", async () => {
		const api = searchModel();
		const day = shiftDay(api.today, -4);
		busyDay(api, day, '1', 12);
		api.add([{ lpa_id: '1', validated: day, postcode: null, address: 'The Old Forge' }]);
		const cfg = config({ maxCredits: 5 });
		const first = await poll(api, undefined, cfg);
		expect(first.state.days[day].partCounts['1|without postcode']).toBe(1);
		const { r, credits, emitted } = await learnAll(api, first, cfg);
		// The postcode parts (12 credits within the cap), then the day of 13 once, over it.
		expect(credits.filter((spent) => spent > 5)).toEqual([13]);
		expect(credits.reduce((a, b) => a + b, 0)).toBe(25);
		expect(emitted).toEqual([]);
		expect(r.state.unresolved).toBe(0);
	});

	test('an application published into a postcode part not learned yet: emitted when that part had none, else counted unresolved', async () => {
		const api = searchModel();
		const day = shiftDay(api.today, -6);
		busyDay(api, day, '1', 20);
		const cfg = config({ base: { lpa_id: '1' }, maxCredits: 4 });
		const first = await poll(api, undefined, cfg);
		const parts = first.state.days[day].partCounts;
		expect(Object.values(parts).every((count) => count <= 4)).toBe(true);
		// One district it had none in that day, and one of its parts that has some and is not learned yet.
		const learned = new Set(first.state.days[day].learnedParts ?? []);
		const waiting = Object.keys(parts).find((key) => !learned.has(key) && key.includes('LS11'));
		expect(waiting).toBeDefined();
		api.add([{ lpa_id: '1', validated: day, postcode: 'WF1 1AA' }]);
		api.add([
			{ lpa_id: '1', validated: day, postcode: `${partSlice(day, waiting).prefix ?? 'LS11 1'}XY` },
		]);
		const { r, emitted } = await learnAll(api, first, cfg);
		// The district it had none in is in no part: once the day is learned its count shows the rise.
		const next = await poll(api, r.state, cfg);
		emitted.push(...next.emitted);
		expect(emitted.map((app) => app.postcode)).toEqual(['WF1 1AA']);
		expect(next.state.unresolved).toBe(1);
		expect(await poll(api, next.state, cfg)).toMatchObject({ credits: 0, emitted: [] });
	});
});

describe('a day whose snapshot could not be taken at activation', () => {
	test('is snapshotted at its new count: what was published before is unresolved, what comes after is told apart', async () => {
		const api = searchModel();
		const [d1, d2, d3] = [-2, -5, -8].map((back) => shiftDay(api.today, back));
		for (const day of [d1, d2, d3]) {
			busyDay(api, day, '1', 6);
			busyDay(api, day, '2', 6);
		}
		const cfg = config({ maxCredits: 12, reserveMs: 1000 });
		// The activation poll's budget reaches the reserve once it has paid: no snapshot of the oldest day.
		let paid = false;
		const fetch = api.fetch.bind(api);
		api.fetch = async (query) => {
			paid = true;
			return await fetch(query);
		};
		api.timeLeftMs = () => (paid ? 900 : 60000);
		const first = await poll(api, undefined, cfg);
		expect(first.state.days[d1].complete).toBe(1);
		expect(first.state.days[d2].partCounts).toBeDefined();
		expect(first.state.days[d3].partCounts).toBeUndefined();
		api.timeLeftMs = () => 60000;
		// Published before the oldest day has a snapshot, where authority 1 had some: cannot be told apart.
		api.add([{ lpa_id: '1', validated: d3, postcode: 'LS1 9ZZ' }]);
		const second = await poll(api, first.state, cfg);
		expect(second.state.days[d3].partCounts).toEqual({ 1: 7, 2: 6 });
		expect(second.stats.unresolved).toBe(1);
		expect(second.state.days[d3].complete).toBeUndefined();
		// Published after it, in an authority that had none that day: emitted.
		api.add([{ lpa_id: '3', validated: d3, postcode: 'WF1 1AA' }]);
		const { r, emitted } = await learnAll(api, second, cfg);
		const next = await poll(api, r.state, cfg);
		emitted.push(...next.emitted);
		expect(emitted.map((app) => app.postcode)).toEqual(['WF1 1AA']);
		expect(next.state.unresolved).toBe(1);
		expect(Object.keys(next.state.days[d3].seen)).toHaveLength(14);
	});
});

describe('answers lost after the charge', () => {
	test('a paid request whose answer was lost counts against Max Credits per Poll: the poll never spends more than the cap', async () => {
		const api = searchModel();
		const first = await poll(api, undefined, config({ base: { lpa_id: '1' } }));
		busyDay(api, shiftDay(api.today, -2), '1', 6);
		busyDay(api, shiftDay(api.today, -5), '1', 5);
		// The first paid request of the next poll is charged, and its answer never arrives.
		const fetch = api.fetch;
		let lost = false;
		api.fetch = async (query) => {
			const answer = await fetch(query);
			if (lost) return answer;
			lost = true;
			throw new Error(`the answer to a search that cost ${answer.consumed} credits was lost`);
		};
		const cfg = config({ base: { lpa_id: '1' }, maxCredits: 10 });
		const faulted = await poll(api, first.state, cfg);
		expect(faulted.stats.failures).toBe(1);
		expect(faulted.credits).toBeLessThanOrEqual(10);
		const emitted = [...faulted.emitted];
		let state = faulted.state;
		for (let p = 0; p < 3; p++) {
			const r = await poll(api, state, cfg);
			expect(r.credits).toBeLessThanOrEqual(10);
			emitted.push(...r.emitted);
			state = r.state;
		}
		expect(new Set(emitted.map((app) => app.keyval)).size).toBe(11);
		expect(emitted).toHaveLength(11);
	});
});

describe('stored state across the upgrade from version 2', () => {
	test('countsByAuthority and learnedAuthorities become partCounts and learnedParts (authority ids key both)', () => {
		const storedV2 = {
			version: 2,
			fingerprint: 'f1',
			from: '2026-10-21',
			today: '2026-11-20',
			futureCount: 0,
			days: {
				'2026-11-18': {
					count: 5,
					seen: { K1: '1|SW1A 1AA|1 high street' },
					countsByAuthority: { 1: 2, 2: 3 },
					learnedAuthorities: ['1'],
				},
				'2026-11-19': { count: 1, seen: { K9: '2||mill lane' }, complete: 1 },
			},
			unresolved: 0,
		};
		const stored = JSON.stringify(storedV2);
		expect(readState(storedV2)).toEqual({
			...storedV2,
			version: 3,
			days: {
				'2026-11-18': {
					count: 5,
					seen: { K1: '1|SW1A 1AA|1 high street' },
					partCounts: { 1: 2, 2: 3 },
					learnedParts: ['1'],
				},
				'2026-11-19': { count: 1, seen: { K9: '2||mill lane' }, complete: 1 },
			},
		});
		expect(JSON.stringify(storedV2)).toBe(stored);
	});

	test('a version 2 state in the middle of learning a day by authority goes on where it was', async () => {
		const api = searchModel();
		const day = shiftDay(api.today, -2);
		busyDay(api, day, '1', 3);
		busyDay(api, day, '2', 4);
		const first = api.apps.filter((app) => app.lpa_id === '1');
		const storedV2 = {
			version: 2,
			fingerprint: 'f1',
			from: shiftDay(api.today, -30),
			today: api.today,
			futureCount: 0,
			days: {
				[day]: {
					count: 7,
					seen: Object.fromEntries(first.map((app) => [app.keyval, `1|${app.postcode}|`])),
					countsByAuthority: { 1: 3, 2: 4 },
					learnedAuthorities: ['1'],
				},
			},
			unresolved: 0,
		};
		const r = await poll(api, storedV2, config({ maxCredits: 4 }));
		expect(r.stats.activated).toBe(false);
		expect(r.credits).toBe(4);
		expect(r.emitted).toEqual([]);
		expect(r.state.days[day].complete).toBe(1);
		expect(Object.keys(r.state.days[day].seen)).toHaveLength(7);
	});
});

describe('what the state keeps of a seen application', () => {
	const { seenInfo } = require('../../nodes/UkPlanningTrigger/planner/slices');

	test('the address without the postcode it ends with, however spaced; other addresses as they are', () => {
		const app = (postcode, address) => ({ keyval: 'K1', lpa_id: '205', postcode, address });
		expect(seenInfo(app('LS1 2AB', '12 Mill Lane, Ashford LS1 2AB'))).toBe(
			'205|LS1 2AB|12 mill lane, ashford',
		);
		expect(seenInfo(app('ls1 2ab', '12 Mill Lane, Ashford, LS1  2AB '))).toBe(
			'205|LS1 2AB|12 mill lane, ashford',
		);
		expect(seenInfo(app('LS1 2AB', 'LS1 2AB Mill Lane'))).toBe('205|LS1 2AB|ls1 2ab mill lane');
		expect(seenInfo(app(null, 'Land at Mill Lane'))).toBe('205||land at mill lane');
		expect(seenInfo(app('LS1 2AB', 'Flat 1 | Mill Lane'))).toBe('205|LS1 2AB|flat 1   mill lane');
	});
});
