import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { readLimitOrAll, returnAllAndLimit } from '../../../shared/parameters';
import { bounded, isToolExecution, plural, TOOL_ITEM_LIMIT } from '../../../shared/toolMode';
import { filterDatasets, parseSince } from '../../helpers/datasetFilters';
import { simplifyDataset } from '../../helpers/simplify';
import { readLocator } from '../../helpers/locator';
import { listDatasets, NO_DATASET_LIST, siteBaseUrl } from '../../transport';
import { callOptions, simplified, simplifyProperty } from '../common';

const show = { resource: ['dataset'], operation: ['getAll'] };

export const description: INodeProperties[] = [
	...returnAllAndLimit(show),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Search',
				name: 'search',
				type: 'string',
				default: '',
				placeholder: 'e.g. fertility',
				description: 'Words that must all appear in the title, ID, address or tags (any case)',
			},
			{
				displayName: 'Team',
				name: 'team',
				type: 'resourceLocator',
				default: { mode: 'list', value: '' },
				description: 'Only the datasets of this team',
				modes: [
					{
						displayName: 'From List',
						name: 'list',
						type: 'list',
						placeholder: 'Select a team...',
						typeOptions: { searchListMethod: 'searchTeams', searchable: true },
					},
					{ displayName: 'ID', name: 'id', type: 'string', placeholder: 'e.g. p9lan' },
				],
			},
			{
				displayName: 'Updated Since',
				name: 'updatedSince',
				type: 'dateTime',
				default: '',
				description: 'Only the datasets updated at or after this time',
			},
		],
	},
	simplifyProperty(['getAll']),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const limit = readLimitOrAll(this, itemIndex);
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const since = parseSince(filters.updatedSince);
	if ('problem' in since) {
		throw new NodeOperationError(this.getNode(), `Invalid "Updated Since": ${since.problem}`, {
			itemIndex,
			description: 'No request was sent.',
		});
	}
	const datasets = await listDatasets(this, callOptions(this, itemIndex));
	if (!datasets) {
		throw new NodeOperationError(
			this.getNode(),
			`Dataset → Get Many is not available on this site: ${NO_DATASET_LIST}`,
			{
				itemIndex,
				description:
					'DataPress 4 sites (the London Datastore) list datasets; on a legacy site, read each dataset by its ID with Dataset → Get.',
			},
		);
	}
	// The export comes unpaged: the filters and the limit are applied here.
	const matching = filterDatasets(datasets, {
		team: readLocator(filters.team).value || undefined,
		search: typeof filters.search === 'string' ? filters.search : undefined,
		updatedSinceMs: since.ms,
	});
	if (isToolExecution(this)) {
		// One answer for the model: the newest-listed datasets first as the site lists them, files counted.
		const baseUrl = await siteBaseUrl(this);
		const { shown, leftOut } = bounded(matching, Math.min(limit, TOOL_ITEM_LIMIT));
		const cut = leftOut
			? ` Listed the first ${shown.length}; ${leftOut} more not listed: use more specific search words.`
			: '';
		const none = matching.length
			? ''
			: ' Try fewer or other words (each word must appear in the title, ID, address or tags).';
		return [
			{
				json: {
					summary: `${plural(matching.length, 'dataset')} match.${cut}${none} Dataset → Get gives a dataset's files.`,
					count: matching.length,
					returned: shown.length,
					datasets: shown.map((dataset) => {
						const { files, ...rest } = simplifyDataset(dataset, baseUrl);
						return { ...rest, fileCount: files.length };
					}),
				},
				pairedItem: { item: itemIndex },
			},
		];
	}
	const chosen = matching.slice(0, limit) as IDataObject[];
	return (await simplified.call(this, chosen, itemIndex)).map((json) => ({
		json,
		pairedItem: { item: itemIndex },
	}));
}
