/** The trigger's parameters: the Search filters and output options shared with UK Planning, plus its own. */
import type { IDataObject, INodeProperties, IPollFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	outputOptionProperties,
	readSearchFilters,
	readSimplify,
	searchFilterCollection,
	searchFilterProperties,
	simplifyProperty,
} from '../UkPlanning/descriptions/filters';
import { FilterValidationError, validateSearchFilters } from '../UkPlanning/helpers/filters';
import { normaliseApplication } from '../UkPlanning/helpers/normalise';
import { toOutputApplication } from '../UkPlanning/helpers/output';
import { checkTimeout } from '../shared/http';
import { TEST_EVENT_CREDIT_CAP } from './planner/testEvent';
import { checkWholeNumber } from '../shared/parameters';
import { timeoutProperty } from '../shared/requestOptions';
import type { RawApplication } from '../UkPlanning/domain/search';
import type { BacklogOrder, PlannerConfig, Query } from './planner/types';

const DEFAULT_LOOKBACK_DAYS = 30;
const DEFAULT_MAX_CREDITS_PER_POLL = 200;

/** Query parameters the trigger controls itself: the window sets the dates, counting sets return_data. */
const TRIGGER_OWNED_PARAMETERS = ['date_from', 'date_to', 'return_data', 'key'];

// Version 2 moved the filters into a collection and added Simplify; version 1 keeps what saved workflows hold.
const V1 = { show: { '@version': [1] } };
const V2_UP = { show: { '@version': [{ _cnd: { gte: 2 } }] } };

export function triggerProperties(): INodeProperties[] {
	return [
		{
			displayName:
				'Emits every new application matching the filters once. Activation learns the applications already in the look-back window (one credit each, no output). Fetch Test Event spends at most ' +
				String(TEST_EVENT_CREDIT_CAP) +
				" credits on one recent application, shaped as a poll emits it; what it spent, what activation would cost and the poll interval that fits the filters' volume go to n8n's log.",
			name: 'activationNotice',
			type: 'notice',
			default: '',
		},
		...searchFilterProperties(V1, { dates: false }),
		{
			displayName: 'Look-Back Window (Days)',
			name: 'lookbackDays',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 365 },
			default: DEFAULT_LOOKBACK_DAYS,
			description:
				'Applications validated up to this many days ago are still caught when the council publishes them late',
		},
		{
			displayName: 'Options',
			name: 'triggerOptions',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			options: [
				{
					displayName: 'Backfill Days',
					name: 'backfillDays',
					type: 'number',
					typeOptions: { minValue: 0, maxValue: 365 },
					default: 0,
					description:
						'On activation, also emit the applications validated in this many most recent days (paid, within Max Credits per Poll)',
				},
				{
					displayName: 'Backlog Order',
					name: 'backlogOrder',
					type: 'options',
					options: [
						{ name: 'Newest First', value: 'newestFirst' },
						{ name: 'Oldest First', value: 'oldestFirst' },
					],
					default: 'newestFirst',
					description:
						'Which applications come first when more are new than Max Credits per Poll allows',
				},
				{
					displayName: 'Max Credits per Poll',
					name: 'maxCreditsPerPoll',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: DEFAULT_MAX_CREDITS_PER_POLL,
					description:
						'Most credits one poll may spend; the rest is carried over to the next polls',
				},
				timeoutProperty(
					'Milliseconds one attempt of a request may take, its whole answer included. A free count that takes longer is retried within the poll budget; a paid search is repeated only after a refusal or an error page (which charge nothing), and one whose answer was lost is left to the next poll.',
				),
			],
		},
		...simplifyProperty(V2_UP),
		...searchFilterCollection(V2_UP, { dates: false }),
		...outputOptionProperties(),
	];
}

export interface TriggerSettings {
	planner: Omit<PlannerConfig, 'reserveMs'>;
	/** The longest one request may take, retries included. */
	timeoutMs: number;
	output: (application: RawApplication) => IDataObject;
}

function stableJson(value: Query): string {
	return JSON.stringify(
		Object.keys(value)
			.sort()
			.map((key) => [key, value[key]]),
	);
}

function invalidOption(
	context: IPollFunctions,
	field: string,
	problem: string,
): NodeOperationError {
	return new NodeOperationError(context.getNode(), `Invalid option "${field}": ${problem}`, {
		description: 'Fix the option; the trigger cannot run with it.',
	});
}

/** A whole-number option: absent means its default; a bad value is refused, not clamped. */
function wholeNumber(
	context: IPollFunctions,
	field: string,
	value: unknown,
	min: number,
	fallback: number,
): number {
	const checked = checkWholeNumber(value, min, fallback);
	if ('problem' in checked) throw invalidOption(context, field, checked.problem);
	return checked.value;
}

export function readTriggerSettings(context: IPollFunctions): TriggerSettings {
	let base: Query;
	try {
		const validated = validateSearchFilters(readSearchFilters(context, 0));
		base = {};
		for (const [key, value] of Object.entries(validated) as Array<[string, string | undefined]>) {
			if (TRIGGER_OWNED_PARAMETERS.includes(key) || value === undefined || value === '') continue;
			base[key] = value;
		}
	} catch (error) {
		if (error instanceof FilterValidationError) {
			throw new NodeOperationError(
				context.getNode(),
				`Invalid filter "${error.field}": ${error.message}`,
				{
					description: 'Fix the filter; the trigger cannot be activated with it.',
				},
			);
		}
		throw new NodeOperationError(context.getNode(), (error as Error)?.message ?? String(error));
	}
	const lookbackDays = wholeNumber(
		context,
		'Look-Back Window (Days)',
		context.getNodeParameter('lookbackDays', DEFAULT_LOOKBACK_DAYS),
		1,
		DEFAULT_LOOKBACK_DAYS,
	);
	const options = context.getNodeParameter('triggerOptions', {}) as IDataObject;
	const maxCredits = wholeNumber(
		context,
		'Max Credits per Poll',
		options.maxCreditsPerPoll,
		1,
		DEFAULT_MAX_CREDITS_PER_POLL,
	);
	const backfillDays = wholeNumber(context, 'Backfill Days', options.backfillDays, 0, 0);
	const backlogOrder: BacklogOrder =
		options.backlogOrder === 'oldestFirst' ? 'oldestFirst' : 'newestFirst';
	const timeout = checkTimeout(options.timeout);
	if ('problem' in timeout) throw invalidOption(context, 'Timeout', timeout.problem);
	const timeoutMs = timeout.timeoutMs;
	const outputOptions = context.getNodeParameter('outputOptions', {}) as IDataObject;
	const omitPersonalData = outputOptions.omitPersonalData === true;
	const simplify = readSimplify(context, 0);
	return {
		planner: {
			base,
			lookbackDays,
			backfillDays,
			maxCredits,
			backlogOrder,
			fingerprint: `${stableJson(base)}#${lookbackDays}`,
		},
		timeoutMs,
		output: (application) => {
			const normalised = normaliseApplication(application, { omitPersonalData });
			// Version 1 emits the normalised application as saved workflows expect it.
			if (simplify === undefined) return normalised as unknown as IDataObject;
			return toOutputApplication(normalised, { simplify }) as IDataObject;
		},
	};
}
