/**
 * The trigger's cost model: a free count costs time (the API's latency, within the poll budget), a paid
 * request costs credits (one per application returned, seen ones included). It decides when a slice is
 * paid for whole rather than narrowed further, and which poll interval fits the volume the filters
 * select. Pure: the planner and the test event pass it what they measured.
 */

/** A slice is paid for whole when its already-seen applications would cost at most this share of its new ones. */
export const TOLERATED_WASTE = 0.05;

/**
 * A slice of a day left over by an earlier poll whose search cannot finish in this one either is paid for
 * whole when that pays at most this many seen applications per new one (at most two credits each);
 * otherwise it waits for the next poll, which searches the days left over first.
 */
export const LATE_WASTE = 1;

/** Postcode steps below an authority: area, district, sector, unit. */
const POSTCODE_LEVELS = 4;

/** Count batches per postcode step: the children holding seen applications usually come first. */
const BATCHES_PER_LEVEL = 2;

export interface SliceCost {
	/** The slice's count now. */
	count: number;
	/** Seen applications in it: paid for again if it is fetched whole. */
	seen: number;
	maxCredits: number;
}

/** Whether paying the slice whole now wastes too little to be worth narrowing (and fits the cap). */
export function worthPayingWhole({ count, seen, maxCredits }: SliceCost): boolean {
	const rise = count - seen;
	return rise > 0 && seen <= rise * TOLERATED_WASTE && count <= maxCredits;
}

/**
 * A day left over this many polls in a row has its slices that cannot finish paid for whole when they are
 * small (at most SMALL_SLICE applications), whatever their waste, so that a budget too short for a day
 * cannot hold it back for ever; a wider slice goes on waiting (its search is resumed each poll).
 */
export const MOST_POLLS_LEFT_OVER = 3;
export const SMALL_SLICE = 25;

/**
 * A slice whose search cannot finish in this poll (the budget, a failed count): paid for whole when its
 * day was left over before and the waste is bounded by LATE_WASTE, or when it is small and its day was
 * left over MOST_POLLS_LEFT_OVER polls in a row (within the cap); otherwise the next poll resumes it.
 */
export function payWholeWhenUnfinished(slice: SliceCost & { leftOverPolls: number }): boolean {
	const rise = slice.count - slice.seen;
	if (rise <= 0 || slice.count > slice.maxCredits || slice.leftOverPolls < 1) return false;
	if (slice.seen <= rise * LATE_WASTE) return true;
	return slice.leftOverPolls >= MOST_POLLS_LEFT_OVER && slice.count <= SMALL_SLICE;
}

/**
 * Round trips a search of a slice still needs: halving its authorities, then the postcode steps left
 * below its prefix (`prefixSteps` taken already), a couple of count batches each.
 */
export function narrowingRounds(authorities: number, prefixSteps: number): number {
	const halvings = Math.ceil(Math.log2(Math.max(1, authorities)));
	const levels = Math.max(0, POSTCODE_LEVELS - prefixSteps);
	return halvings + levels * BATCHES_PER_LEVEL;
}

/**
 * Whether a search of `rounds` round trips fits the time left before the reserve, at the time a round of
 * counts took in this poll so far.
 */
export function narrowingFits(rounds: number, msPerRound: number, msLeft: number): boolean {
	return rounds * Math.max(0, msPerRound) <= msLeft;
}

/**
 * Measured on the national bench (bench/trigger-model.js --national, see the trigger's README): free
 * counts per new application in the busiest polls, how much busier the busiest poll is than the mean,
 * and how many counts were in flight on average.
 */
export const COUNTS_PER_NEW_APPLICATION = 12;
export const BUSIEST_POLL_FACTOR = 6;
export const COUNTS_IN_FLIGHT = 12;
/** Share of the poll budget the search may take (the rest is the reserve and a margin). */
export const SEARCH_SHARE_OF_BUDGET = 0.5;
/** Below this a measured latency is taken as noise: a count over the Internet costs at least this. */
export const LEAST_MS_PER_COUNT = 50;

/** Poll intervals n8n's Poll Times offers, in minutes, shortest first. */
export const POLL_INTERVALS_MINUTES = [1, 5, 15, 30, 60, 120, 360, 720, 1440];

export interface PollIntervalAdvice {
	/** The longest interval whose busiest poll fits the budget; undefined when even a minute does not. */
	minutes?: number;
	/** New applications a day, as the window's count shows. */
	perDay: number;
	/** Seconds the busiest poll's search is expected to take at that interval. */
	busiestPollSeconds: number;
}

/**
 * The longest poll interval at which the busiest poll's search is expected to fit its share of the poll
 * budget, from the applications in the window (new ones a day, once the window has been learned) and the
 * measured time of a count. Polling more often costs the same credits and more free counts; less often,
 * polls whose search runs out of time (their days wait for the next poll).
 */
export function suggestPollInterval(measured: {
	windowCount: number;
	lookbackDays: number;
	msPerCount: number;
	budgetMs: number;
}): PollIntervalAdvice {
	const perDay = measured.windowCount / Math.max(1, measured.lookbackDays + 1);
	const msPerCount = Math.max(LEAST_MS_PER_COUNT, measured.msPerCount);
	const searchMs = (minutes: number) =>
		((((perDay * minutes) / 1440) * BUSIEST_POLL_FACTOR * COUNTS_PER_NEW_APPLICATION) /
			COUNTS_IN_FLIGHT) *
		msPerCount;
	const allowed = measured.budgetMs * SEARCH_SHARE_OF_BUDGET;
	const fitting = POLL_INTERVALS_MINUTES.filter((minutes) => searchMs(minutes) <= allowed);
	const minutes = fitting[fitting.length - 1];
	return {
		minutes,
		perDay,
		busiestPollSeconds: searchMs(minutes ?? POLL_INTERVALS_MINUTES[0]) / 1000,
	};
}

/** "every 30 minutes", "every hour", "every 6 hours", "every day". */
export function describeInterval(minutes: number): string {
	if (minutes === 1440) return 'every day';
	if (minutes === 60) return 'every hour';
	if (minutes % 60 === 0) return `every ${minutes / 60} hours`;
	return minutes === 1 ? 'every minute' : `every ${minutes} minutes`;
}
