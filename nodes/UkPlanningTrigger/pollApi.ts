/** Binds the planner's plain API interface to the UK Planning transport in a poll context. */
import type { IDataObject, IPollFunctions } from 'n8n-workflow';

import { countApplications, fetchApplications, planningApiRequest } from '../UkPlanning/transport';
import type { PlannerApi, PlannerApplication, Query } from './planner/types';

const DEFAULT_POLL_BUDGET_MS = 5 * 60 * 1000;

export function pollBudgetMs(context: IPollFunctions): number {
	const budget =
		typeof context.getPollBudgetMs === 'function' ? Number(context.getPollBudgetMs()) : NaN;
	return Number.isFinite(budget) && budget > 0 ? budget : DEFAULT_POLL_BUDGET_MS;
}

export function createPlannerApi(context: IPollFunctions, budgetMs: number, timeoutMs?: number): PlannerApi {
	// A request that hangs, or retries, must not hold the poll past its budget: the call fails at the
	// deadline and the next poll does its part again. `timeoutMs` bounds each attempt's wait below that.
	const deadline = Date.now() + budgetMs;
	const timeLeftMs = () => deadline - Date.now();
	return {
		async count(query: Query) {
			const answer = await countApplications.call(context, query as IDataObject, { deadline, timeoutMs });
			return { count: Number(answer.count) || 0, serverDateTime: answer.serverDateTime };
		},
		async fetch(query: Query) {
			const answer = await fetchApplications.call(context, query as IDataObject, { deadline, timeoutMs });
			return {
				applications: (answer.applications ?? []) as unknown as PlannerApplication[],
				consumed: Number(answer.consumed) || 0,
				serverDateTime: answer.serverDateTime,
			};
		},
		async lpaIds() {
			const { response } = await planningApiRequest.call(context, 'lpas', {}, { paid: false, deadline, timeoutMs });
			const data = Array.isArray(response.data) ? (response.data as IDataObject[]) : [];
			return data.map((lpa) => String(lpa.id)).filter((id) => id !== 'undefined');
		},
		timeLeftMs,
	};
}
