import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { getAuthorities } from '../UkPlanning/methods/loadOptions';
import { readTriggerSettings, triggerProperties } from './settings';
import { planPoll } from './planner/poll';
import { findTestApplication, TEST_EVENT_CREDIT_CAP, testEventReport } from './planner/testEvent';
import { BUDGET_RESERVE_SHARE, createPlannerApi, pollBudgetMs } from './pollApi';

export class UkPlanningTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'UK Planning Trigger',
		name: 'ukPlanningTrigger',
		icon: {
			light: 'file:../../icons/ukPlanning.svg',
			dark: 'file:../../icons/ukPlanning.dark.svg',
		},
		group: ['trigger'],
		// 2: filters in one Filters collection, Simplify and camelCase output, as UK Planning 2.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{"Look back " + $parameter["lookbackDays"] + " days"}}',
		description:
			'Starts the workflow once for every new planning application matching the filters, paying about one credit each',
		defaults: { name: 'UK Planning Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'ukPlanningApi', required: true }],
		properties: triggerProperties(),
	};

	methods = { loadOptions: { getAuthorities } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const settings = readTriggerSettings(this);
		const budgetMs = pollBudgetMs(this);
		const reserveMs = Math.round(budgetMs * BUDGET_RESERVE_SHARE);
		const api = createPlannerApi(this, budgetMs, settings.timeoutMs, reserveMs);
		const config = { ...settings.planner, reserveMs };

		if (this.getMode() === 'manual') {
			const test = await wrapErrors(
				this,
				async () => await findTestApplication(config, api, TEST_EVENT_CREDIT_CAP),
			);
			const report = testEventReport(test, {
				lookbackDays: config.lookbackDays,
				maxCredits: config.maxCredits,
				creditCap: TEST_EVENT_CREDIT_CAP,
				budgetMs,
			});
			if (!test.application) {
				throw new NodeOperationError(
					this.getNode(),
					test.problem ?? 'No application was found for the test event',
					{
						description: report,
					},
				);
			}
			// The item is what a poll would emit, nothing added; the cost report goes to the log.
			this.logger.info(`UK Planning Trigger: ${report}`);
			return [[{ json: settings.output(test.application) }]];
		}

		const staticData = this.getWorkflowStaticData('node');
		const result = await wrapErrors(
			this,
			async () => await planPoll(staticData.state, config, api),
		);
		// Whatever the poll established is kept, failed requests or not: their part is left to the next
		// poll, which finds it again with its counts; the cursor never moves past an undelivered application.
		staticData.state = result.state as unknown as IDataObject;
		const { stats } = result;
		if (stats.failures > 0 && !stats.emitted && !stats.learned && !stats.credits) {
			// Nothing came of this poll: fail it, so that the execution list shows why.
			throw asNodeError(this, result.failure);
		}
		if (stats.failures > 0) {
			this.logger.warn(
				`UK Planning Trigger: ${stats.failures} request(s) failed after their retries; their part is carried over to the next poll (${stats.emitted} new application(s) delivered now): ${stats.partialError}`,
			);
		}
		if (stats.resent > 0) {
			this.logger.warn(
				`UK Planning Trigger: ${stats.resent} paid request(s) failed and were answered when sent again in this poll; credits may have been charged for the lost answer(s) too (check Account → Get Credits): ${stats.resentError}`,
			);
		}
		if (result.stats.credits > config.maxCredits) {
			// A query no narrower one can replace costs more than the cap; never silently.
			this.logger.warn(
				`UK Planning Trigger: this poll spent ${result.stats.credits} credits, more than Max Credits per Poll (${config.maxCredits}): one query that could not be split further cost more than the cap allows (many applications at one postcode or address text, applications without a postcode that no address text isolates, or a day refetched whole after a withdrawal)`,
			);
		}
		if (result.stats.unresolved > 0) {
			this.logger.warn(
				`UK Planning Trigger: ${result.stats.unresolved} application(s) appeared in days still being learned after activation and could not be told from older ones, so they were not emitted; a Max Credits per Poll above the activation cost avoids this`,
			);
		}
		if (!result.emitted.length) return null;
		return [
			result.emitted.map((application) => ({
				json: settings.output(application),
			})),
		];
	}
}

async function wrapErrors<T>(context: IPollFunctions, run: () => Promise<T>): Promise<T> {
	const outcome = await run().then(
		(value) => ({ value }),
		(failure: unknown) => ({ failure }),
	);
	if ('value' in outcome) return outcome.value;
	throw asNodeError(context, outcome.failure);
}

/** The transport already raised NodeApiError with the key scrubbed; anything else is wrapped. */
function asNodeError(context: IPollFunctions, failure: unknown): NodeApiError | NodeOperationError {
	if (failure instanceof NodeApiError || failure instanceof NodeOperationError) return failure;
	return new NodeOperationError(context.getNode(), (failure as Error)?.message ?? String(failure));
}
