/**
 * The credit guard's planner for "newest first, up to the cap": given a search that matches more
 * applications than Max Credits, it finds by free counts the newest applications that fit and returns
 * the paid queries to fetch them. Pure: counting is injected, so it is tested without a server.
 *
 * Results cannot be paged or sorted by the API, so the planner narrows by validated date: the smallest
 * start date D whose range [D, end] still fits under the cap (exponential then binary search, each step
 * one free count), then fills what is left of the cap from the day before D, split by authorities.
 */
import { daysBetween, isValidIsoDate, shiftDay } from '../domain/days';
import type { Query } from '../domain/search';

export type { Query };

export interface NarrowingInput {
	/** The validated filters (API names), possibly with date_from, date_to and lpa_id. */
	base: Query;
	/** The count of `base`, already known. */
	total: number;
	cap: number;
	/** The server's current day (yyyy-mm-dd): the newest end when the filters set no date_to. */
	today: string;
	/** Free count of a query. */
	count: (query: Query) => Promise<number>;
	/** Every authority id, for splitting a day when the filters name no authorities. */
	authorityIds: () => Promise<string[]>;
	/** Most free count requests the planner may send (default 80). */
	maxCountRequests?: number;
	/** Earliest start date tried when the filters set no date_from. */
	earliest?: string;
}

export interface PlannedFetch {
	query: Query;
	/** Applications (= credits) the free count found. */
	expected: number;
}

export interface NarrowingPlan {
	fetches: PlannedFetch[];
	/** Sum of `expected`: never more than the cap. */
	planned: number;
	/** Validated dates fully covered, newest end first; absent when no whole day fits. */
	fullFrom?: string;
	/** The day partly covered by authorities, and which of them. */
	partialDay?: string;
	partialAuthorities?: string[];
	/** Free count requests sent. */
	countRequests: number;
	/** The count budget ran out before the plan was as full as it could be. */
	budgetExhausted: boolean;
}

const DEFAULT_MAX_COUNT_REQUESTS = 80;
const DEFAULT_EARLIEST = '1990-01-01';

export async function planNewestFirst(input: NarrowingInput): Promise<NarrowingPlan> {
	const cap = Math.max(0, Math.floor(input.cap));
	const maxRequests = input.maxCountRequests ?? DEFAULT_MAX_COUNT_REQUESTS;
	const plan: NarrowingPlan = { fetches: [], planned: 0, countRequests: 0, budgetExhausted: false };
	if (cap === 0 || input.total <= 0) return plan;
	if (input.total <= cap) {
		plan.fetches.push({ query: { ...input.base }, expected: input.total });
		plan.planned = input.total;
		return plan;
	}

	/** A free count, or undefined once the count budget is spent. */
	const count = async (query: Query): Promise<number | undefined> => {
		if (plan.countRequests >= maxRequests) {
			plan.budgetExhausted = true;
			return undefined;
		}
		plan.countRequests++;
		return await input.count(query);
	};
	const userFrom = input.base.date_from;
	const userTo = input.base.date_to;
	const floor = userFrom ?? input.earliest ?? DEFAULT_EARLIEST;
	let end = userTo ?? input.today;
	if (!isValidIsoDate(end)) end = input.today;
	if (end < floor) end = floor;

	/** Applications validated on or after `from` (up to the user's date_to), memoised. */
	const fromCounts = new Map<string, number>();
	if (userFrom) fromCounts.set(userFrom, input.total);
	const countFrom = async (from: string): Promise<number | undefined> => {
		const known = fromCounts.get(from);
		if (known !== undefined) return known;
		const value = userTo && from > userTo ? 0 : await count({ ...input.base, date_from: from });
		if (value !== undefined) fromCounts.set(from, value);
		return value;
	};

	// `good`: a start date whose range fits; `bad`: a start date whose range does not. good > bad.
	let good: string | undefined;
	let bad: string | undefined;
	for (let gap = 0; ; gap = gap * 2 + 1) {
		let from = shiftDay(end, -gap);
		if (from < floor) from = floor;
		const value = await countFrom(from);
		if (value === undefined) break;
		if (value > cap) {
			bad = from;
			break;
		}
		good = from;
		if (from === floor) break;
	}
	if (bad !== undefined && good === undefined) {
		// Even the newest day alone is over the cap: only applications after it may fit whole.
		const after = shiftDay(bad, 1);
		const value = await countFrom(after);
		if (value !== undefined && value <= cap) good = after;
	}
	while (good !== undefined && bad !== undefined) {
		const span = daysBetween(bad, good);
		if (span <= 1) break;
		const middle = shiftDay(bad, Math.floor(span / 2));
		const value = await countFrom(middle);
		if (value === undefined) break;
		if (value <= cap) good = middle;
		else bad = middle;
	}

	let remaining = cap;
	if (good !== undefined) {
		const windowCount = fromCounts.get(good) ?? 0;
		if (windowCount > 0) {
			plan.fetches.push({ query: { ...input.base, date_from: good }, expected: windowCount });
			remaining -= windowCount;
			plan.fullFrom = good;
		}
	}

	// The day before the covered range did not fit whole: take the authorities whose applications that
	// day still fit. Only when the search pinned it down to one day (not when the budget ran out).
	const partialDay =
		good !== undefined
			? bad !== undefined && daysBetween(bad, good) === 1
				? bad
				: undefined
			: bad;
	if (remaining > 0 && partialDay !== undefined && !plan.budgetExhausted) {
		const dayQuery: Query = { ...input.base, date_from: partialDay };
		// Without a covered range after it, the day is the newest and the range stays open like the user's.
		if (good !== undefined) dayQuery.date_to = partialDay;
		const ids = input.base.lpa_id ? input.base.lpa_id.split(',') : await input.authorityIds();
		const goodCount = good === undefined ? undefined : fromCounts.get(good);
		const badCount = fromCounts.get(partialDay);
		const dayTotal =
			goodCount !== undefined && badCount !== undefined ? badCount - goodCount : undefined;
		const chosen: string[] = [];
		let chosenCount = 0;
		const fill = async (group: string[], known?: number): Promise<void> => {
			if (remaining - chosenCount <= 0 || group.length === 0) return;
			const groupCount = known ?? (await count({ ...dayQuery, lpa_id: group.join(',') }));
			if (groupCount === undefined || groupCount === 0) return;
			if (groupCount <= remaining - chosenCount) {
				chosen.push(...group);
				chosenCount += groupCount;
				return;
			}
			if (group.length === 1) return;
			const half = Math.ceil(group.length / 2);
			await fill(group.slice(0, half));
			await fill(group.slice(half));
		};
		if (ids.length > 1) await fill(ids, dayTotal);
		if (chosen.length) {
			plan.fetches.push({
				query: { ...dayQuery, lpa_id: chosen.join(',') },
				expected: chosenCount,
			});
			plan.partialDay = partialDay;
			plan.partialAuthorities = chosen;
			remaining -= chosenCount;
		}
	}
	plan.planned = cap - remaining;
	return plan;
}

/** The guard's refusal, with the count, the cap and what it would cost. */
export function capExceededMessage(
	count: number,
	cap: number,
	costText: string,
): { message: string; description: string } {
	return {
		message: `The search matches ${count} applications, more than Max Credits (${cap}); nothing was fetched or charged`,
		description:
			`Fetching them would cost ${count} credits (${costText} at the published prices). ` +
			'Narrow the filters, raise Max Credits, or set "If Over Max Credits" to "Fetch Newest up to Max Credits".',
	};
}

/** What a search narrowed to the newest applications returned and left out, in words for the output pane. */
export function narrowedHint(outcome: {
	count: number;
	fetched: number;
	maxCredits: number;
	/** What could be spent: Max Credits, or less when the key had fewer credits left. */
	cap: number;
	fullFrom?: string;
	partialDay?: string;
}): string {
	const limit =
		outcome.cap < outcome.maxCredits
			? `more than the ${outcome.cap} credits left on the key`
			: `more than Max Credits (${outcome.maxCredits})`;
	const covered = outcome.fullFrom ? `, every one validated from ${outcome.fullFrom}` : '';
	const partial = outcome.partialDay
		? `${covered ? ' and' : ','} some of ${outcome.partialDay}`
		: '';
	const leftOut = Math.max(0, outcome.count - outcome.fetched);
	return (
		`${outcome.count} applications match, ${limit}: returned the newest ${outcome.fetched}${covered}${partial}; ` +
		`${leftOut} older ones were left out and not charged. Raise Max Credits or narrow the filters to get them.`
	);
}
