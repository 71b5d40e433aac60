/** Binds the planner's plain API interface to the UK Planning transport in a poll context. */
import type { IDataObject, IPollFunctions } from 'n8n-workflow';

import { countApplications, fetchApplications, planningApiRequest } from '../UkPlanning/transport';
import type { PlannerApi, PlannerApplication, Query } from './planner/types';

const DEFAULT_POLL_BUDGET_MS = 5 * 60 * 1000;
/** The shortest wait for an answer, even at the end of the budget: a loopback or nearby API answers in less. */
const MIN_REQUEST_TIMEOUT_MS = 1000;

export function pollBudgetMs(context: IPollFunctions): number {
	const budget =
		typeof context.getPollBudgetMs === 'function' ? Number(context.getPollBudgetMs()) : NaN;
	return Number.isFinite(budget) && budget > 0 ? budget : DEFAULT_POLL_BUDGET_MS;
}

export function createPlannerApi(context: IPollFunctions, budgetMs: number): PlannerApi {
	const started = Date.now();
	const timeLeftMs = () => budgetMs - (Date.now() - started);
	// A request that hangs must not hold the poll past its budget: it times out and its part is carried over.
	const timeoutMs = () => Math.max(MIN_REQUEST_TIMEOUT_MS, timeLeftMs());
	return {
		async count(query: Query) {
			const answer = await countApplications.call(context, query as IDataObject, { timeoutMs: timeoutMs() });
			return { count: Number(answer.count) || 0, serverDateTime: answer.serverDateTime };
		},
		async fetch(query: Query) {
			const answer = await fetchApplications.call(context, query as IDataObject, { timeoutMs: timeoutMs() });
			return {
				applications: (answer.applications ?? []) as unknown as PlannerApplication[],
				consumed: Number(answer.consumed) || 0,
				serverDateTime: answer.serverDateTime,
			};
		},
		async lpaIds() {
			const { response } = await planningApiRequest.call(context, 'lpas', {}, { paid: false, timeoutMs: timeoutMs() });
			const data = Array.isArray(response.data) ? (response.data as IDataObject[]) : [];
			return data.map((lpa) => String(lpa.id)).filter((id) => id !== 'undefined');
		},
		timeLeftMs,
	};
}
