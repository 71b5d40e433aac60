/** The trigger's parameters, and reading and checking them before any request. */
import {
	NodeOperationError,
	type INodeProperties,
	type INodePropertyOptions,
	type IPollFunctions,
} from 'n8n-workflow';

import { datasetIdProperty } from '../LondonDatastore/actions/common';
import { readLocator, type Locator } from '../LondonDatastore/helpers/locator';
import { checkTimeout, DEFAULT_TIMEOUT_MS } from '../shared/http';
import { timeoutProperty } from '../shared/requestOptions';
import type { Scope } from './watch/scope';
import { EVENT_KINDS, type EventKind } from './watch/types';

const EVENT_OPTIONS: Array<INodePropertyOptions & { value: EventKind }> = [
	{
		name: 'Dataset Removed',
		value: 'datasetRemoved',
		description: 'A dataset is no longer on the site (or no longer readable with the key)',
	},
	{
		name: 'Dataset Updated',
		value: 'datasetUpdated',
		description:
			'Metadata changed: title, description, tags, licence, topics, custom fields, or the page date was moved',
	},
	{
		name: 'File Changed',
		value: 'fileChanged',
		description: 'A file got new bytes (its hash changed)',
	},
	{ name: 'File Removed', value: 'fileRemoved', description: 'A file was taken off its dataset' },
	{ name: 'New Dataset', value: 'newDataset', description: 'A dataset was published' },
	{
		name: 'New File',
		value: 'newFile',
		description: 'A file was added to a dataset (the files of a new dataset included)',
	},
];

const chosenDataset = datasetIdProperty('dataset', ['get']);
delete chosenDataset.displayOptions;

export const triggerProperties: INodeProperties[] = [
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		options: EVENT_OPTIONS,
		default: ['newDataset', 'datasetUpdated', 'newFile', 'fileChanged'],
		required: true,
		description: 'The changes that start the workflow, one item each',
	},
	{
		displayName: 'Watch',
		name: 'watch',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Chosen Datasets',
				value: 'datasets',
				description: 'One request per dataset and poll; also works on legacy DataPress sites',
			},
			{
				name: 'Datasets Matching a Text',
				value: 'text',
				description: 'One request per poll (DataPress 4 export)',
			},
			{
				name: 'Datasets of a Team',
				value: 'team',
				description: 'One request per poll (DataPress 4 export)',
			},
			{
				name: 'Datasets on a Topic',
				value: 'topic',
				description: 'One request per poll (DataPress 4 export)',
			},
			{
				name: 'Datasets With a Tag',
				value: 'tag',
				description: 'One request per poll (DataPress 4 export)',
			},
			{
				name: 'Whole Site',
				value: 'site',
				description: 'Every dataset the key may read; one request per poll (DataPress 4 export)',
			},
		],
		default: 'site',
	},
	{
		displayName: 'Team Name or ID',
		name: 'team',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getTeams' },
		default: '',
		required: true,
		description:
			'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		displayOptions: { show: { watch: ['team'] } },
	},
	{
		displayName: 'Topic',
		name: 'topic',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. housing',
		description: "The topic's ID (slug) or title, any case",
		displayOptions: { show: { watch: ['topic'] } },
	},
	{
		displayName: 'Tag',
		name: 'tag',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. population',
		description: 'Datasets carrying this tag, any case',
		displayOptions: { show: { watch: ['tag'] } },
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. fertility rates',
		description: 'Datasets whose ID, title, tags or description hold all these words, any case',
		displayOptions: { show: { watch: ['text'] } },
	},
	{
		displayName: 'Datasets',
		name: 'datasets',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add dataset',
		default: {},
		displayOptions: { show: { watch: ['datasets'] } },
		options: [{ displayName: 'Dataset', name: 'dataset', values: [chosenDataset] }],
	},
	{
		displayName: 'On Activation',
		name: 'onActivation',
		type: 'options',
		options: [
			{
				name: 'Emit Nothing, Learn What Exists',
				value: 'learn',
				description: 'The first poll only learns; later polls emit what changed since',
			},
			{
				name: 'Emit the Last Days',
				value: 'lastDays',
				description: 'The first poll also emits what the datasets show changed in the last days',
			},
		],
		default: 'learn',
	},
	{
		displayName: 'Days',
		name: 'days',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 7,
		displayOptions: { show: { onActivation: ['lastDays'] } },
	},
	{
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description:
			'Whether to return the dataset in the compact form of London Datastore → Dataset → Get instead of as the site served it',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			timeoutProperty(
				'Milliseconds each request may take, retries and the whole answer included (the export of a whole site is several megabytes)',
			),
		],
	},
];

export interface TriggerSettings {
	events: EventKind[];
	scope: Scope;
	firstPollDays?: number;
	simplify: boolean;
	timeoutMs: number;
	/** Chosen Datasets as given (the node resolves page addresses to ids with the site's generation). */
	chosen: Locator[];
}

function invalid(context: IPollFunctions, field: string, problem: string): NodeOperationError {
	return new NodeOperationError(context.getNode(), `Invalid "${field}": ${problem}`, {
		description: 'No request was sent.',
	});
}

function requiredText(context: IPollFunctions, name: string, field: string): string {
	const value = String(context.getNodeParameter(name, '') ?? '').trim();
	if (!value) throw invalid(context, field, 'it is empty');
	return value;
}

export function readTriggerSettings(context: IPollFunctions): TriggerSettings {
	const events = (context.getNodeParameter('events', []) as string[]).filter(
		(event): event is EventKind => (EVENT_KINDS as readonly string[]).includes(event),
	);
	if (!events.length) throw invalid(context, 'Events', 'choose at least one event');
	const watch = context.getNodeParameter('watch', 'site') as string;
	let scope: Scope;
	let chosen: Locator[] = [];
	if (watch === 'team') scope = { kind: 'team', team: requiredText(context, 'team', 'Team') };
	else if (watch === 'topic')
		scope = { kind: 'topic', topic: requiredText(context, 'topic', 'Topic') };
	else if (watch === 'tag') scope = { kind: 'tag', tag: requiredText(context, 'tag', 'Tag') };
	else if (watch === 'text') scope = { kind: 'text', text: requiredText(context, 'text', 'Text') };
	else if (watch === 'datasets') {
		const entries =
			(context.getNodeParameter('datasets', {}) as { dataset?: Array<{ datasetId?: unknown }> })
				.dataset ?? [];
		chosen = entries.map((entry, index) => {
			const locator = readLocator(entry.datasetId);
			if (!locator.value) throw invalid(context, `Datasets, dataset ${index + 1}`, 'it is empty');
			return locator;
		});
		if (!chosen.length) throw invalid(context, 'Datasets', 'add at least one dataset');
		// The ids are filled in by the node once page addresses are read.
		scope = { kind: 'datasets', ids: [] };
	} else scope = { kind: 'site' };
	const firstPollDays =
		context.getNodeParameter('onActivation', 'learn') === 'lastDays'
			? Number(context.getNodeParameter('days', 7))
			: undefined;
	if (firstPollDays !== undefined && !(Number.isFinite(firstPollDays) && firstPollDays > 0))
		throw invalid(context, 'Days', `must be a positive number (got ${firstPollDays})`);
	const options = context.getNodeParameter('options', {}) as { timeout?: unknown };
	const timeout = checkTimeout(options.timeout ?? DEFAULT_TIMEOUT_MS);
	if ('problem' in timeout) throw invalid(context, 'Timeout', timeout.problem);
	return {
		events,
		scope,
		firstPollDays,
		simplify: context.getNodeParameter('simplify', true) as boolean,
		timeoutMs: timeout.timeoutMs,
		chosen,
	};
}
