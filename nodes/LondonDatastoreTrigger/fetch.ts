/**
 * What one poll reads: DataPress 4's export, one request for every scope but Chosen Datasets; or each
 * chosen dataset by its own address, a few at a time, which is also all a legacy site allows (it has no
 * list of datasets). Every request goes through the London Datastore transport and its HTTP core. When
 * the state held for the scope kept a validator of what it was learned from, the read is conditional.
 */
import { NodeOperationError, type IPollFunctions } from 'n8n-workflow';

import { datasetIdFromUrl } from '../LondonDatastore/helpers/locator';
import {
	getDatasetIfExists,
	NO_DATASET_LIST,
	readExport,
	siteGeneration,
} from '../LondonDatastore/transport';
import { TaskPool } from '../shared/concurrency';
import type { TriggerSettings } from './settings';
import { sentValidator, type Fetched } from './watch/diff';
import { inScope, type Scope } from './watch/scope';
import type { ChosenResult, Json, WatchState } from './watch/types';

/** Chosen datasets read at once: a few save most of the waiting without pressing the site. */
export const CHOSEN_CONCURRENCY = 4;
const DEFAULT_POLL_BUDGET_MS = 5 * 60 * 1000;

function pollBudgetMs(context: IPollFunctions): number {
	const budget =
		typeof context.getPollBudgetMs === 'function' ? Number(context.getPollBudgetMs()) : NaN;
	return Number.isFinite(budget) && budget > 0 ? budget : DEFAULT_POLL_BUDGET_MS;
}

/**
 * `heldFor(scope)`: the state this poll will compare with, when it was learned for this very scope and
 * the poll may read conditionally (a production poll: the test event needs the answers themselves).
 */
export async function fetchWatched(
	context: IPollFunctions,
	settings: TriggerSettings,
	heldFor: (scope: Scope) => WatchState | undefined,
): Promise<{ fetched: Fetched; scope: Scope }> {
	// No request may hold the poll past its budget; the Timeout bounds each request within it.
	const budgetMs = pollBudgetMs(context);
	const options = {
		timeoutMs: Math.min(settings.timeoutMs, budgetMs),
		deadlineMs: Date.now() + budgetMs,
	};
	const generation = await siteGeneration(context, options);
	if (settings.scope.kind !== 'datasets') {
		const read = await readExport(context, options, sentValidator(heldFor(settings.scope)?.c));
		if (!read) {
			throw new NodeOperationError(context.getNode(), `Watch: ${NO_DATASET_LIST}`, {
				description:
					'Choose Watch: Chosen Datasets: each is read by its own address, which legacy sites allow.',
			});
		}
		const scope = settings.scope;
		if ('unchanged' in read) return { scope, fetched: { kind: 'unchanged' } };
		const all = read.value as Json[];
		return {
			scope,
			fetched: {
				kind: 'export',
				all,
				inScope: all.filter((dataset) => inScope(scope, dataset)),
				validators: read.validators,
			},
		};
	}

	const ids = settings.chosen.map((locator, index) => {
		if (locator.mode !== 'url') return locator.value;
		const parsed = datasetIdFromUrl(locator.value, generation);
		if ('problem' in parsed) {
			throw new NodeOperationError(
				context.getNode(),
				`Invalid "Datasets, dataset ${index + 1}": ${parsed.problem}`,
				{ description: 'No request was sent.' },
			);
		}
		return parsed.id;
	});
	const unique = [...new Set(ids)];
	const scope: Scope = { kind: 'datasets', ids: unique };
	const held = heldFor(scope);
	const pool = new TaskPool(CHOSEN_CONCURRENCY);
	const results = await Promise.all(
		unique.map(
			async (id): Promise<ChosenResult> =>
				await pool.run(async () => {
					try {
						const read = await getDatasetIfExists(
							context,
							id,
							options,
							sentValidator(held?.datasets[id]?.c),
						);
						if (!read) return { id, gone: true };
						if ('unchanged' in read) return { id, unchanged: true };
						return { id, dataset: read.value as Json, validators: read.validators };
					} catch (failure) {
						return { id, failure };
					}
				}),
		),
	);
	return { scope, fetched: { kind: 'chosen', results } };
}
