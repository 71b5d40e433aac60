/** Plain types of the poll planner: no n8n types, so the planner is tested directly. */

import type { Query, RawApplication } from '../../UkPlanning/domain/search';

export type { Query };

/** An application as the API returns it; the planner needs its keyval (others are skipped). */
export type PlannerApplication = RawApplication & { keyval: string };

/**
 * The API as the planner sees it. `count` is free (return_data=0), `fetch` is paid (return_data=1).
 * The planner may have several counts in flight; the binding bounds how many reach the API at once.
 */
export interface PlannerApi {
	count(query: Query): Promise<{ count: number; serverDateTime?: string }>;
	fetch(
		query: Query,
	): Promise<{ applications: RawApplication[]; consumed: number; serverDateTime?: string }>;
	/** Every LPA id, for narrowing by authority when the filters name none. */
	lpaIds(): Promise<string[]>;
	/** Milliseconds left in this poll's budget. */
	timeLeftMs(): number;
}

export type BacklogOrder = 'newestFirst' | 'oldestFirst';

export interface PlannerConfig {
	/** The validated user filters, qs-ready, without dates. */
	base: Query;
	lookbackDays: number;
	backfillDays: number;
	maxCredits: number;
	backlogOrder: BacklogOrder;
	/** Identifies the filters and window; a different fingerprint starts the state afresh. */
	fingerprint: string;
	/** Stop starting requests when less than this is left of the poll budget. */
	reserveMs: number;
}

/**
 * One validated day of the window.
 * `count`: the day's count as last known. `seen`: the applications seen that day, keyval →
 * "lpa|postcode|address". `complete`: set once `seen` holds every application of the day (days that
 * existed at activation are not complete until they were learned). `stale`: the count fell (a
 * withdrawal), so `seen` may hold keys that no longer exist; the next rise refetches the whole day
 * instead of trusting counts derived from `seen`.
 */
export interface DayState {
	count: number;
	seen: Record<string, string>;
	complete?: 1;
	stale?: 1;
	/**
	 * Days not learned yet: the counts of the day's parts while it still held what it held at activation,
	 * by part key (see slices.ts `partKey`): one per authority with applications, and an authority's
	 * part bigger than Max Credits per Poll split by postcode into parts that fit. Parts never overlap.
	 */
	partCounts?: Record<string, number>;
	/**
	 * The polls in a row whose budget ran out (or a count failed) while this day's new applications were
	 * being located (1 in states stored before it was counted).
	 */
	deferred?: number;
	/**
	 * Slices located but not paid for (credit cap, poll budget, a failed request), and slices whose search
	 * was cut short (`narrow`), with the day's count then: while the day still counts that, the next poll
	 * pays the first without locating them again and resumes the search in the others.
	 */
	pending?: { count: number; slices: PendingSlice[] };
	/** Days learned in parts (one part at a time, within Max Credits per Poll): the parts learned. */
	learnedParts?: string[];
}

/** Stored in the workflow's static data; `readState` (state.ts) also reads earlier formats. */
export interface TriggerState {
	version: 3;
	/** The filters and look-back it was built for: a different one starts afresh. */
	fingerprint: string;
	/** First day of the window as of the last poll. */
	from: string;
	/** The server's day at the last poll. */
	today: string;
	/** Applications validated after `today` at the last poll (not tracked per day). */
	futureCount: number;
	days: Record<string, DayState>;
	/** New applications that could not be told apart from ones existing at activation (see README). */
	unresolved: number;
}

export interface PollStats {
	activated: boolean;
	requests: number;
	freeRequests: number;
	paidRequests: number;
	credits: number;
	emitted: number;
	learned: number;
	unresolved: number;
	/** Paid queries left for the next poll (credit cap, poll budget or a failed request). */
	carriedOver: number;
	/** Days whose new applications could not be located in time: counted again by the next poll. */
	deferredDays: number;
	/** Requests that failed (after their retries); their part of the work is left to the next poll. */
	failures: number;
	/** The first of those failures, for the log. */
	partialError?: string;
	/** Paid requests that failed and were answered when the planner sent them again in the same poll. */
	resent: number;
	/** The first of those failures, for the log: the lost answer may have been charged. */
	resentError?: string;
}

/** What one poll shares between finding (free counts) and paying: its settings, API, state and tally. */
export interface PollRunContext {
	readonly cfg: PlannerConfig;
	readonly api: PlannerApi;
	readonly state: TriggerState;
	readonly stats: PollStats;
	/** Less than the reserve is left of the poll budget: start no more free counts. */
	outOfTime(): boolean;
	/** Less than 85% of the reserve is left: start no more paid requests either. */
	outOfTimeToPay(): boolean;
	/** Records a failed request whose work is left to the next poll. */
	failed(error: unknown): void;
	/** Records a paid request that failed and was answered when sent again in the same poll. */
	resent(error: unknown): void;
	/** The first failed request's error. */
	readonly firstFailure: () => unknown;
}

export interface PollResult {
	emitted: PlannerApplication[];
	state: TriggerState;
	stats: PollStats;
	/** The first request that failed, as it was thrown (the rest of the poll went on without it). */
	failure?: unknown;
}

/**
 * A located slice waiting to be paid for: its count, and whether no postcode reaches its rise; or, with
 * `narrow`, a slice whose search was cut short, where the next poll resumes it.
 */
export interface PendingSlice {
	slice: Slice;
	count: number;
	residual?: 1;
	narrow?: 1;
}

/** A part of one validated day: by authority, postcode and address text. */
export interface Slice {
	day: string;
	lpas?: string[];
	prefix?: string;
	exact?: string;
	/** The address contains this text (the API's `address` filter). */
	address?: string;
}

/** A seen application as the state keeps it. */
export interface SeenEntry {
	lpa: string;
	postcode: string;
	address: string;
}

/**
 * A paid query. `learn`: a day (or one part of it) that existed at activation, fetched to
 * learn it. `new`: a slice holding new applications. `refresh`: a day refetched whole. `residual`: a
 * slice whose new applications no postcode reaches, narrowed by address after the others are paid.
 */
export interface Plan {
	kind: 'learn' | 'new' | 'refresh' | 'residual';
	day: string;
	query: Query;
	/** The credits it is expected to cost (its count). */
	cost: number;
	slice?: Slice;
	/** For a `learn` of one part of the day: its key in `DayState.partCounts`. */
	part?: string;
	/** For a `learn` of several whole authorities' parts of the day in one query: their keys. */
	parts?: string[];
}
