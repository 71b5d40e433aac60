import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { datapressRequest } from '../../transport';

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

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex) as boolean;
	const teams = (await datapressRequest.call(this, 'GET', '/api/orgs', undefined, {
		itemIndex,
		retry: true,
	})) as unknown as IDataObject[] | IDataObject;
	// /api/orgs has no paging: the limit is applied here.
	const list = Array.isArray(teams) ? teams : Object.values(teams as IDataObject);
	const chosen = returnAll ? list : list.slice(0, this.getNodeParameter('limit', itemIndex) as number);
	return chosen.map((team) => ({ json: team as IDataObject, pairedItem: { item: itemIndex } }));
}
