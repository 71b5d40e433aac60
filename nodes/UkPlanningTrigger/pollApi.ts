/** Binds the planner's plain API interface to the UK Planning transport in a poll context. */
import type { IPollFunctions } from 'n8n-workflow';

import { TaskPool } from '../shared/concurrency';
import { countApplications, fetchApplications, listAuthorities } from '../UkPlanning/transport';
import type { CallFailure } from '../shared/http';
import type { PlannerApi, Query } from './planner/types';

const DEFAULT_POLL_BUDGET_MS = 5 * 60 * 1000;
/**
 * Free counts in flight at once to begin with. The planner's searches have many independent counts;
 * against a real API's latency a few at a time save most of the waiting. The pool widens while the API
 * answers (one more after as many counts in a row as it runs) and a refusal (429) halves it (see TaskPool).
 */
export const COUNT_CONCURRENCY = 4;
/** The most free counts in flight once the API has kept up with more (see TaskPool). */
export const MOST_COUNT_CONCURRENCY = 16;
/**
 * Share of the poll budget kept free: no free count starts in it, and paid requests stop at 85% of it,
 * so that a poll ends within about 60% of its budget and the rest is the margin for a slower API.
 */
export const BUDGET_RESERVE_SHARE = 0.5;

/** A count that reached its turn with less than the reserve left of the poll budget. */
export class CountNotStarted extends Error {
	constructor() {
		super('The count was not started: the poll budget is nearly spent');
	}
}

export function pollBudgetMs(context: IPollFunctions): number {
	const budget =
		typeof context.getPollBudgetMs === 'function' ? Number(context.getPollBudgetMs()) : NaN;
	return Number.isFinite(budget) && budget > 0 ? budget : DEFAULT_POLL_BUDGET_MS;
}

export function createPlannerApi(
	context: IPollFunctions,
	budgetMs: number,
	attemptTimeoutMs: number,
	countReserveMs = 0,
): PlannerApi {
	// A request that hangs, or retries, must not hold the poll past its budget: the call fails at the
	// deadline and the next poll does its part again. The Timeout option bounds each attempt below that,
	// so that a slow attempt of a free count is retried within the budget.
	const deadlineMs = Date.now() + budgetMs;
	const counts = new TaskPool(COUNT_CONCURRENCY, MOST_COUNT_CONCURRENCY);
	const options = {
		timeoutMs: budgetMs,
		deadlineMs,
		attemptTimeoutMs,
		onRetry: (failure: CallFailure) => {
			if (failure.kind === 'status' && failure.status === 429) counts.backOff();
		},
	};
	const timeLeftMs = () => deadlineMs - Date.now();
	return {
		async count(query: Query) {
			const answer = await counts.run(async () => {
				// A count queued behind others may reach its turn in the reserve: it does not start then.
				if (timeLeftMs() < countReserveMs) throw new CountNotStarted();
				return await countApplications.call(context, query, options);
			});
			return { count: Number(answer.count) || 0, serverDateTime: answer.serverDateTime };
		},
		async fetch(query: Query) {
			const answer = await fetchApplications.call(context, query, options);
			return {
				applications: answer.applications,
				consumed: Number(answer.consumed) || 0,
				serverDateTime: answer.serverDateTime,
			};
		},
		async lpaIds() {
			return (await listAuthorities.call(context, options)).map((lpa) => lpa.id);
		},
		timeLeftMs,
	};
}
