import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { DEFAULT_LIMIT, readWholeNumber } from '../../../shared/parameters';
import { listTeams } from '../../transport';
import { callOptions } from '../common';

const show = { resource: ['team'], operation: ['getAll'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex) as boolean;
	const limit = returnAll
		? Infinity
		: readWholeNumber(this, itemIndex, 'limit', 'Limit', DEFAULT_LIMIT);
	// The teams come unpaged: the limit is applied here.
	const teams = await listTeams(this, callOptions(this, itemIndex));
	return teams.slice(0, limit).map((team) => ({ json: team, pairedItem: { item: itemIndex } }));
}
