/**
 * The trigger's cost model (planner/costModel.ts): when a slice is paid for whole rather than narrowed,
 * whether a search fits the time left, and the poll interval that fits the filters' volume.
 */
const {
	describeInterval,
	MOST_POLLS_LEFT_OVER,
	narrowingFits,
	narrowingRounds,
	payWholeWhenUnfinished,
	SMALL_SLICE,
	suggestPollInterval,
	worthPayingWhole,
} = require('../../nodes/UkPlanningTrigger/planner/costModel');

describe('worthPayingWhole', () => {
	test('a slice whose seen applications are at most 5% of its new ones, within the cap', () => {
		expect(worthPayingWhole({ count: 21, seen: 1, maxCredits: 100 })).toBe(true);
		expect(worthPayingWhole({ count: 20, seen: 1, maxCredits: 100 })).toBe(false);
		expect(worthPayingWhole({ count: 3, seen: 0, maxCredits: 100 })).toBe(true);
	});

	test('never a slice bigger than Max Credits per Poll, nor one without new applications', () => {
		expect(worthPayingWhole({ count: 300, seen: 0, maxCredits: 200 })).toBe(false);
		expect(worthPayingWhole({ count: 4, seen: 4, maxCredits: 200 })).toBe(false);
	});
});

describe('payWholeWhenUnfinished', () => {
	const slice = { count: 21, seen: 20, maxCredits: 200 };

	test('a day not left over before waits for the next poll, whatever the slice', () => {
		expect(payWholeWhenUnfinished({ count: 2, seen: 0, maxCredits: 200, leftOverPolls: 0 })).toBe(
			false,
		);
	});

	test('left over once: paid whole when it pays at most one seen application per new one', () => {
		expect(payWholeWhenUnfinished({ count: 4, seen: 2, maxCredits: 200, leftOverPolls: 1 })).toBe(
			true,
		);
		expect(payWholeWhenUnfinished({ ...slice, leftOverPolls: 1 })).toBe(false);
	});

	test('left over for MOST_POLLS_LEFT_OVER polls: a small slice is paid whole within the cap, whatever the waste', () => {
		expect(payWholeWhenUnfinished({ ...slice, leftOverPolls: MOST_POLLS_LEFT_OVER - 1 })).toBe(
			false,
		);
		expect(payWholeWhenUnfinished({ ...slice, leftOverPolls: MOST_POLLS_LEFT_OVER })).toBe(true);
		expect(
			payWholeWhenUnfinished({ ...slice, maxCredits: 20, leftOverPolls: MOST_POLLS_LEFT_OVER }),
		).toBe(false);
		// A wide slice (a national day) is never paid whole for having waited.
		expect(
			payWholeWhenUnfinished({
				count: SMALL_SLICE + 1,
				seen: SMALL_SLICE,
				maxCredits: 40000,
				leftOverPolls: 10,
			}),
		).toBe(false);
	});
});

describe('narrowingRounds and narrowingFits', () => {
	test('authority halvings, then two count batches for each postcode step left', () => {
		expect(narrowingRounds(400, 0)).toBe(9 + 8);
		expect(narrowingRounds(1, 0)).toBe(8);
		expect(narrowingRounds(1, 3)).toBe(2);
		expect(narrowingRounds(1, 7)).toBe(0);
	});

	test('a search fits when its rounds at the measured round trip take no more than the time left', () => {
		expect(narrowingFits(17, 300, 5100)).toBe(true);
		expect(narrowingFits(17, 300, 5099)).toBe(false);
		// Nothing measured yet: nothing is ruled out.
		expect(narrowingFits(17, 0, 0)).toBe(true);
	});
});

describe('suggestPollInterval', () => {
	test('the national volume at 300 ms a count: hourly (two hours would outlast the search share)', () => {
		const advice = suggestPollInterval({
			windowCount: 34800,
			lookbackDays: 30,
			msPerCount: 300,
			budgetMs: 300000,
		});
		expect(advice.minutes).toBe(60);
		expect(Math.round(advice.perDay)).toBe(1123);
		// 1,123 / 24 × 6 × 12 / 12 × 0.3 s
		expect(advice.busiestPollSeconds).toBeCloseTo(84.2, 1);
	});

	test('a faster API or a smaller volume allows longer intervals, up to a day', () => {
		const at = (windowCount, msPerCount) =>
			suggestPollInterval({ windowCount, lookbackDays: 30, msPerCount, budgetMs: 300000 }).minutes;
		expect(at(34800, 50)).toBe(360);
		expect(at(450, 300)).toBe(1440);
		expect(at(0, 300)).toBe(1440);
	});

	test('a latency measured below 50 ms counts as 50 ms (a count over the Internet costs at least that)', () => {
		const at = (msPerCount) =>
			suggestPollInterval({ windowCount: 34800, lookbackDays: 30, msPerCount, budgetMs: 300000 });
		expect(at(0)).toEqual(at(50));
	});

	test('no interval when even the busiest minute outlasts the search share of the budget', () => {
		const advice = suggestPollInterval({
			windowCount: 34800,
			lookbackDays: 30,
			msPerCount: 60000,
			budgetMs: 300000,
		});
		expect(advice.minutes).toBeUndefined();
	});

	test('describeInterval names the intervals of Poll Times', () => {
		expect([1, 15, 60, 360, 1440].map(describeInterval)).toEqual([
			'every minute',
			'every 15 minutes',
			'every hour',
			'every 6 hours',
			'every day',
		]);
	});
});
