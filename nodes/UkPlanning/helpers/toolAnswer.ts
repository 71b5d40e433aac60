/**
 * What a search says to an AI agent's model when the node runs as its tool: one line with the count, what
 * was returned and what it cost, and, when not everything was returned, how the model can narrow the search
 * with the tool arguments it has. Pure, tested directly.
 */
import { shiftDay } from '../domain/days';
import type { SearchQuery } from './filters';

/** Filters by the tool argument that fills them (`$fromAI` keys); a filter the model cannot set is absent. */
export type FillableFilters = Partial<
	Record<'dateFrom' | 'dateTo' | 'postcode' | 'keyword' | 'address' | 'authority', string>
>;

const credits = (count: number) => `${count} credit${count === 1 ? '' : 's'}`;
const applications = (count: number) =>
	`${count} application${count === 1 ? ' matches' : 's match'}`;

/**
 * Ways to narrow the search with the arguments the model fills; none when it fills none of them.
 * `olderTo`: the validated-to day that reaches the applications left out (the newest were returned).
 */
export function narrowingAdvice(
	query: SearchQuery,
	fillable: FillableFilters,
	olderTo?: string,
): string {
	const ways: string[] = [];
	if (olderTo && fillable.dateTo)
		ways.push(`for older ones set "${fillable.dateTo}" to ${olderTo} or earlier (yyyy-mm-dd)`);
	if (fillable.dateFrom && !query.date_from)
		ways.push(`set "${fillable.dateFrom}" to a recent day (yyyy-mm-dd)`);
	if (fillable.keyword && !query.keyword)
		ways.push(`add a word of the description to "${fillable.keyword}" (e.g. "loft")`);
	if (fillable.postcode && !query.postcode_exact && !query.postcode_start && !query.postcode_radius)
		ways.push(`give a postcode in "${fillable.postcode}" (e.g. "SE1 7PB")`);
	if (fillable.address && !query.address)
		ways.push(`give a street in "${fillable.address}" (e.g. "High Street")`);
	if (fillable.authority && !query.lpa_id)
		ways.push(`name an authority id in "${fillable.authority}"`);
	if (!ways.length)
		return 'This tool cannot narrow the search further; ask the user to narrow it or to raise Max Credits.';
	return `To narrow: ${ways.join('; ')}.`;
}

export interface SearchToolOutcome {
	count: number;
	fetched: number;
	creditsSpent: number;
	creditsRemaining: number | null;
	maxCredits: number;
	/** What limited the answer when not every match was returned. */
	limitedBy?: 'maxCredits' | 'creditsLeft' | 'toolLimit';
	/** The most the answer could hold (Max Credits, the credits left, or the tool's list limit). */
	limit: number;
	/** Every application validated on or after this day was returned. */
	fullFrom?: string;
	partialDay?: string;
}

/** The summary line of a search run as a tool. */
export function searchToolSummary(
	outcome: SearchToolOutcome,
	query: SearchQuery,
	fillable: FillableFilters,
): string {
	const left =
		outcome.creditsRemaining === null ? '' : `, ${credits(outcome.creditsRemaining)} left`;
	const spent = `${credits(outcome.creditsSpent)} spent${left}`;
	if (outcome.count === 0)
		return `No applications match this search; nothing was charged. Widen it: fewer words, a postcode area (e.g. "SE1") instead of a full postcode, or a longer date range.`;
	if (outcome.fetched >= outcome.count)
		return `${applications(outcome.count)}; all ${outcome.fetched} returned below (${spent}).`;
	const reason =
		outcome.limitedBy === 'toolLimit'
			? `more than this tool returns at once (${outcome.limit})`
			: outcome.limitedBy === 'creditsLeft'
				? `more than the ${credits(outcome.limit)} left on the key`
				: `more than Max Credits (${outcome.maxCredits}) allows`;
	const covered = outcome.fullFrom ? `, every one validated from ${outcome.fullFrom}` : '';
	// A day split by authorities: part of it after whole days, or all there was room for.
	const partial = !outcome.partialDay
		? ''
		: outcome.fullFrom
			? ` and some of ${outcome.partialDay}`
			: `, from part of ${outcome.partialDay}`;
	const leftOut = outcome.count - outcome.fetched;
	// The rest of a partly returned day, else the day before the days returned whole.
	const olderTo =
		outcome.partialDay ?? (outcome.fullFrom ? shiftDay(outcome.fullFrom, -1) : undefined);
	return (
		`${applications(outcome.count)}, ${reason}: returned the newest ${outcome.fetched}${covered}${partial} (${spent}); ` +
		`${leftOut} older ${leftOut === 1 ? 'one was' : 'ones were'} not fetched or charged. ` +
		narrowingAdvice(query, fillable, olderTo)
	);
}

/** The summary line of a count run as a tool. */
export function countToolSummary(
	count: number,
	creditsRemaining: number | null,
	fillable: FillableFilters,
	query: SearchQuery,
	listLimit: number,
): string {
	const left = creditsRemaining === null ? '' : ` The key has ${credits(creditsRemaining)} left.`;
	const fetch =
		count > listLimit
			? ` A search returns at most the newest ${listLimit} at once. ${narrowingAdvice(query, fillable)}`
			: '';
	return `${applications(count)} (counting is free; fetching costs one credit each).${left}${fetch}`;
}
