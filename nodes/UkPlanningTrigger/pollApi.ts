/** Binds the planner's plain API interface to the UK Planning transport in a poll context. */
import type { IPollFunctions } from 'n8n-workflow';

import { TaskPool } from '../shared/concurrency';
import { countApplications, fetchApplications, listAuthorities } from '../UkPlanning/transport';
import type { CallFailure } from '../shared/http';
import type { PlannerApi, Query } from './planner/types';

const DEFAULT_POLL_BUDGET_MS = 5 * 60 * 1000;
/**
 * Free counts in flight at once. The planner's searches have many independent counts; against a real
 * API's latency a few at a time save most of the waiting without pressing it. A refusal (429) halves it.
 */
export const COUNT_CONCURRENCY = 4;

export function pollBudgetMs(context: IPollFunctions): number {
	const budget =
		typeof context.getPollBudgetMs === 'function' ? Number(context.getPollBudgetMs()) : NaN;
	return Number.isFinite(budget) && budget > 0 ? budget : DEFAULT_POLL_BUDGET_MS;
}

export function createPlannerApi(
	context: IPollFunctions,
	budgetMs: number,
	attemptTimeoutMs: number,
): PlannerApi {
	// A request that hangs, or retries, must not hold the poll past its budget: the call fails at the
	// deadline and the next poll does its part again. The Timeout option bounds each attempt below that,
	// so that a slow attempt of a free count is retried within the budget.
	const deadlineMs = Date.now() + budgetMs;
	const counts = new TaskPool(COUNT_CONCURRENCY);
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
			const answer = await counts.run(
				async () => await countApplications.call(context, query, options),
			);
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
