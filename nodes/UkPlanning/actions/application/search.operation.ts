import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type JsonObject,
	type IDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import {
	nodeVersion,
	outputOptionProperties,
	readSimplify,
	searchFilterCollection,
	searchFilterProperties,
	simplifyProperty,
} from '../../descriptions/filters';
import {
	capExceededMessage,
	narrowedHint,
	planNewestFirst,
	type NarrowingPlan,
	type PlannedFetch,
	type Query,
} from '../../helpers/creditGuard';
import {
	normaliseApplication,
	toFeatureCollection,
	type RawApplication,
} from '../../helpers/normalise';
import { outputApplication, toOutputFeatureCollection } from '../../helpers/output';
import { costRangeText } from '../../helpers/pricing';
import {
	countToolSummary,
	searchToolSummary,
	type FillableFilters,
	type SearchToolOutcome,
} from '../../helpers/toolAnswer';
import {
	fromAiKeyOf,
	isFilledByModel,
	isToolExecution,
	TOOL_ITEM_LIMIT,
} from '../../../shared/toolMode';
import { readWholeNumber } from '../../../shared/parameters';
import { serverDay } from '../../domain/days';
import { readTimeoutMs } from '../../../shared/requestOptions';
import { countApplications, fetchApplications } from '../../transport';
import { authoritiesOnce, searchQueryFor } from '../common';

/** Max Credits until changed: a search costs at most £10 unless asked to spend more. */
const DEFAULT_MAX_CREDITS = 100;

const show: IDisplayOptions = { show: { resource: ['application'], operation: ['search'] } };
const showApplications: IDisplayOptions = {
	show: { resource: ['application'], operation: ['search'], mode: ['applications'] },
};
// Version 2 moved the filters into a collection and changed defaults; version 1 keeps what saved workflows hold.
const V1 = { '@version': [1] };
const V2_UP = { '@version': [{ _cnd: { gte: 2 } }] };
const overCapOptions = [
	{
		name: 'Fail Without Spending',
		value: 'fail',
		description: 'Stop with the count and the cost; nothing is charged',
	},
	{
		name: 'Fetch Newest up to Max Credits',
		value: 'newestFirst',
		description:
			'Narrow the search by free counts (dates, then authorities) and fetch the most recently validated applications that fit',
	},
];
const overCapDescription = 'What to do when more applications match than Max Credits allows';

export const description: INodeProperties[] = [
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		noDataExpression: true,
		displayOptions: show,
		options: [
			{
				name: 'Applications',
				value: 'applications',
				description: 'Return the matching applications: one credit each, guarded by Max Credits',
			},
			{
				name: 'Count',
				value: 'count',
				description: 'Return how many applications match and the credits left: free',
			},
		],
		default: 'applications',
	},
	...searchFilterProperties({ show: { ...show.show, ...V1 } }),
	{
		displayName: 'Max Credits',
		name: 'maxCredits',
		type: 'number',
		typeOptions: { minValue: 1 },
		displayOptions: showApplications,
		default: DEFAULT_MAX_CREDITS,
		description:
			"Most credits this search may spend (one per application). The node counts for free first and only fetches what fits. As an AI agent's tool it stays yours: a model cannot set it, and one answer holds at most 25 applications.",
	},
	{
		displayName: 'If Over Max Credits',
		name: 'overCap',
		type: 'options',
		displayOptions: { show: { ...showApplications.show, ...V1 } },
		options: overCapOptions,
		default: 'fail',
		description: overCapDescription,
	},
	{
		// A new user's first search matches more than Max Credits: it returns the newest that fit, not an error.
		displayName: 'If Over Max Credits',
		name: 'overCap',
		type: 'options',
		displayOptions: { show: { ...showApplications.show, ...V2_UP } },
		options: overCapOptions,
		default: 'newestFirst',
		description: overCapDescription,
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		displayOptions: showApplications,
		options: [
			{ name: 'One Item per Application', value: 'items' },
			{
				name: 'One Summary Item',
				value: 'summary',
				description: 'Counts, credits spent and the applications as a list',
			},
			{
				name: 'One GeoJSON FeatureCollection',
				value: 'geojson',
				description: 'One item holding a FeatureCollection of points, for maps and GIS tools',
			},
		],
		default: 'items',
	},
	...simplifyProperty({ show: { ...showApplications.show, ...V2_UP } }),
	...searchFilterCollection({ show: { ...show.show, ...V2_UP } }),
	...outputOptionProperties(showApplications),
];

interface FetchOutcome {
	applications: RawApplication[];
	creditsSpent: number;
	creditsRemaining: number | undefined;
	/** Planned parts not fetched because a recount no longer fitted the credits left. */
	skipped: number;
	/** Why a later part failed after earlier parts were fetched (and paid for). */
	incomplete?: string;
}

/**
 * Fetches the planned parts. The parts of a narrowed search are counted again just before each is paid
 * for: planning took many counts, and applications published meanwhile would push the cost over the cap.
 * A whole search is fetched straight after its only count: a recount there would shorten no window (what
 * is published between the recount and the fetch still gets through) and would cost one more request.
 */
async function fetchPlanned(
	this: IExecuteFunctions,
	plan: { fetches: PlannedFetch[]; recount: boolean },
	cap: number,
	itemIndex: number,
	timeoutMs: number,
): Promise<FetchOutcome> {
	const { fetches, recount } = plan;
	const outcome: FetchOutcome = {
		applications: [],
		creditsSpent: 0,
		creditsRemaining: undefined,
		skipped: 0,
	};
	const parts: RawApplication[][] = [];
	for (const [index, part] of fetches.entries()) {
		let answer;
		try {
			const expected = recount
				? (await countApplications.call(this, part.query, { itemIndex, timeoutMs })).count
				: part.expected;
			if (expected === 0) continue;
			if (expected > cap - outcome.creditsSpent) {
				// Older parts are not fetched in its place: the output stays the newest applications, fewer of them.
				outcome.skipped = fetches.length - index;
				break;
			}
			answer = await fetchApplications.call(this, part.query, { itemIndex, timeoutMs });
		} catch (error) {
			// Applications already fetched were paid for: keep them and say what is missing.
			if (!parts.length) throw new NodeApiError(this.getNode(), error as JsonObject);
			outcome.incomplete = (error as Error).message;
			this.logger.warn(
				`UK Planning: a later part of a narrowed search failed; returning what was fetched: ${outcome.incomplete}`,
			);
			break;
		}
		outcome.creditsSpent += answer.consumed;
		outcome.creditsRemaining = answer.creditsRemaining;
		parts.push(answer.applications);
	}
	// Parts are planned newest first; the API lists oldest first, and so does the output.
	outcome.applications = parts.length === 1 ? parts[0] : parts.reverse().flat();
	return outcome;
}

/**
 * Max Credits and what to do over it are the user's: a tool whose model could set them could spend anything.
 * A workflow that hands them to the model is refused before any request.
 */
function refuseModelFilledLimits(this: IExecuteFunctions, itemIndex: number): void {
	for (const [name, label] of [
		['maxCredits', 'Max Credits'],
		['overCap', 'If Over Max Credits'],
	]) {
		if (isFilledByModel(this.getNode(), name)) {
			throw new NodeOperationError(
				this.getNode(),
				`"${label}" is filled by the model ($fromAI); it must be a fixed value set in the workflow`,
				{
					itemIndex,
					description:
						"The credits a search may spend are the user's decision, not the model's. Set a number in the node. No request was sent.",
				},
			);
		}
	}
}

/** The filters the model fills, by the tool argument that fills each. */
function fillableFilters(this: IExecuteFunctions): FillableFilters {
	const version = nodeVersion(this);
	const key = (name: string) =>
		fromAiKeyOf(this.getNode().parameters, version >= 2 ? `filters.${name}` : name);
	return {
		dateFrom: key('dateFrom'),
		dateTo: key('dateTo'),
		postcode: key('postcodeExact') ?? key('postcodeStart') ?? key('radiusPostcode'),
		keyword: key('keyword'),
		address: key('address'),
		authority: key('lpaIds'),
	};
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const mode = this.getNodeParameter('mode', itemIndex) as string;
	const timeoutMs = readTimeoutMs(this, itemIndex);
	const asTool = isToolExecution(this);
	if (asTool) refuseModelFilledLimits.call(this, itemIndex);
	// Checked before any request, free ones included: a bad cap is an input error, whatever the count.
	const maxCredits =
		mode === 'count'
			? 0
			: readWholeNumber(this, itemIndex, 'maxCredits', 'Max Credits', DEFAULT_MAX_CREDITS);
	const query = await searchQueryFor.call(this, itemIndex);
	const counted = await countApplications.call(this, query as IDataObject, {
		itemIndex,
		timeoutMs,
	});
	const paired = { item: itemIndex };

	if (mode === 'count' && asTool) {
		const creditsRemaining = counted.creditsRemaining ?? null;
		return [
			{
				json: {
					summary: countToolSummary(
						counted.count,
						creditsRemaining,
						fillableFilters.call(this),
						query,
						TOOL_ITEM_LIMIT,
					),
					count: counted.count,
					creditsRemaining,
					query: { ...query },
				},
				pairedItem: paired,
			},
		];
	}
	if (mode === 'count') {
		return [
			{
				json: {
					count: counted.count,
					creditsRemaining: counted.creditsRemaining ?? null,
					creditsToFetch: counted.count,
					costToFetch: costRangeText(counted.count),
					query: { ...query },
					serverDateTime: counted.serverDateTime ?? null,
				},
				pairedItem: paired,
			},
		];
	}

	const version = nodeVersion(this);
	const overCap = this.getNodeParameter(
		'overCap',
		itemIndex,
		version >= 2 ? 'newestFirst' : 'fail',
	) as string;
	// An agent's model gets the compact applications, whatever the node's Simplify says.
	const simplify = asTool ? true : readSimplify(this, itemIndex);
	const output = this.getNodeParameter('output', itemIndex, 'items') as string;
	const outputOptions = this.getNodeParameter('outputOptions', itemIndex, {}) as IDataObject;

	if (counted.count > maxCredits && overCap !== 'newestFirst') {
		const refusal = capExceededMessage(counted.count, maxCredits, costRangeText(counted.count));
		throw new NodeOperationError(this.getNode(), refusal.message, {
			itemIndex,
			description: refusal.description,
		});
	}

	// The key's balance also caps what can be fetched: the API refuses a search it cannot charge in full.
	// As a tool, so does the length of the answer: no credit is spent on applications the model is not shown.
	const balance = counted.creditsRemaining;
	const spendLimit = asTool ? Math.min(maxCredits, TOOL_ITEM_LIMIT) : maxCredits;
	const cap = balance === undefined ? spendLimit : Math.min(spendLimit, balance);
	const wanted = Math.min(counted.count, spendLimit);
	if (balance !== undefined && wanted > balance) {
		if (overCap !== 'newestFirst' || balance < 1) {
			throw new NodeOperationError(
				this.getNode(),
				`Not enough credits: the search matches ${counted.count} applications but the key has ${balance} credits left`,
				{
					itemIndex,
					description:
						'Nothing was charged. Top up with Account → Get Top-Up Link, or narrow the search.',
				},
			);
		}
	}

	const narrowed = counted.count > cap;
	const plan: NarrowingPlan = narrowed
		? await planNewestFirst({
				base: query as Query,
				total: counted.count,
				cap,
				today: serverDay(counted.serverDateTime, new Date().toISOString().slice(0, 10)),
				count: async (part) =>
					(await countApplications.call(this, part, { itemIndex, timeoutMs })).count,
				authorityIds: async () =>
					(await authoritiesOnce.call(this, itemIndex)).map((lpa) => lpa.id),
			})
		: {
				fetches:
					counted.count > 0 ? [{ query: { ...(query as Query) }, expected: counted.count }] : [],
				planned: counted.count,
				countRequests: 0,
				budgetExhausted: false,
			};
	const fetched = await fetchPlanned.call(
		this,
		{ fetches: plan.fetches, recount: narrowed },
		cap,
		itemIndex,
		timeoutMs,
	);
	const omitPersonalData = outputOptions.omitPersonalData === true;
	// Version 1 outputs the normalised applications; version 2 its own shape, made in one pass.
	const normalised =
		simplify === undefined
			? fetched.applications.map((raw) => normaliseApplication(raw, { omitPersonalData }))
			: [];
	const applications =
		simplify === undefined
			? []
			: fetched.applications.map((raw) => outputApplication(raw, { omitPersonalData, simplify }));
	const fetchedCount = fetched.applications.length;
	const summary: IDataObject = {
		count: counted.count,
		fetched: fetchedCount,
		leftOut: Math.max(0, counted.count - fetchedCount),
		creditsSpent: fetched.creditsSpent,
		creditsRemaining: fetched.creditsRemaining ?? counted.creditsRemaining ?? null,
		maxCredits,
		narrowed,
		query: { ...query },
	};
	if (narrowed) {
		summary.coverage = {
			newestFirst: true,
			fullyCoveredFrom: plan.fullFrom ?? null,
			partialDay: plan.partialDay ?? null,
			partialDayAuthorities: plan.partialAuthorities ?? [],
			freeCountRequests: plan.countRequests,
			limitedByCreditsLeft: cap < maxCredits,
			partsSkippedAfterRecount: fetched.skipped,
		};
		// One item per application has no room for what was left out: the output pane's hint says it.
		const hint = narrowedHint({
			count: counted.count,
			fetched: fetchedCount,
			maxCredits,
			cap,
			fullFrom: plan.fullFrom,
			partialDay: plan.partialDay,
		});
		// As a tool the answer's own summary says it, with the tool's limit.
		if (!asTool) {
			this.logger.info(`UK Planning: ${hint}`);
			this.addExecutionHints({ message: hint, type: 'info', location: 'outputPane' });
		}
	}
	if (fetched.incomplete) summary.incomplete = fetched.incomplete;
	if (fetched.creditsSpent > maxCredits) {
		// Only applications published between the last count and the fetch can do this; it must never pass unseen.
		const warning = `This search spent ${fetched.creditsSpent} credits, more than Max Credits (${maxCredits}): applications were published between its last free count and the paid fetch.`;
		summary.warning = warning;
		this.logger.warn(`UK Planning: ${warning}`);
		this.addExecutionHints({ message: warning, type: 'warning', location: 'outputPane' });
	}

	if (asTool) {
		const outcome: SearchToolOutcome = {
			count: counted.count,
			fetched: fetchedCount,
			creditsSpent: fetched.creditsSpent,
			creditsRemaining: (summary.creditsRemaining as number | null) ?? null,
			maxCredits,
			limit: cap,
			limitedBy: !narrowed
				? undefined
				: cap === maxCredits
					? 'maxCredits'
					: balance !== undefined && cap === balance
						? 'creditsLeft'
						: 'toolLimit',
			fullFrom: plan.fullFrom,
			partialDay: plan.partialDay,
		};
		const toolAnswer: IDataObject = {
			summary: searchToolSummary(outcome, query, fillableFilters.call(this)),
			count: counted.count,
			returned: fetchedCount,
			creditsSpent: fetched.creditsSpent,
			creditsRemaining: outcome.creditsRemaining,
			maxCredits,
			query: { ...query },
			applications: applications as unknown as IDataObject[],
		};
		if (fetched.incomplete) toolAnswer.incomplete = fetched.incomplete;
		if (summary.warning) toolAnswer.warning = summary.warning;
		return [{ json: toolAnswer, pairedItem: paired }];
	}

	if (simplify === undefined) {
		// Version 1: the normalised application, as saved workflows expect it.
		if (output === 'summary') {
			return [
				{
					json: { ...summary, applications: normalised as unknown as IDataObject[] },
					pairedItem: paired,
				},
			];
		}
		if (output === 'geojson') {
			return [
				{
					json: { ...toFeatureCollection(normalised), search: summary } as unknown as IDataObject,
					pairedItem: paired,
				},
			];
		}
		return normalised.map((application) => ({
			json: application as unknown as IDataObject,
			pairedItem: paired,
		}));
	}
	if (output === 'summary') {
		return [
			{
				json: { ...summary, applications: applications as unknown as IDataObject[] },
				pairedItem: paired,
			},
		];
	}
	if (output === 'geojson') {
		return [
			{
				json: {
					...toOutputFeatureCollection(applications),
					search: summary,
				} as unknown as IDataObject,
				pairedItem: paired,
			},
		];
	}
	return applications.map((application) => ({
		json: application as IDataObject,
		pairedItem: paired,
	}));
}
