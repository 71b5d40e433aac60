import type {
	IDataObject,
	IDisplayOptions,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { DEFAULT_LIMIT, readWholeNumber } from '../../../shared/parameters';
import { nodeVersion } from '../../descriptions/filters';
import { authoritiesOnce } from '../common';

const show: IDisplayOptions = { show: { resource: ['authority'], operation: ['getAll'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		displayOptions: show,
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		displayOptions: { show: { ...show.show, returnAll: [false] } },
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
	},
	{
		displayName: 'Name Contains',
		name: 'nameFilter',
		type: 'string',
		displayOptions: show,
		default: '',
		placeholder: 'e.g. westminster',
		description: 'Only authorities whose name contains this text (any case)',
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const limit = returnAll
		? Infinity
		: readWholeNumber(this, itemIndex, 'limit', 'Limit', DEFAULT_LIMIT);
	const nameFilter = String(this.getNodeParameter('nameFilter', itemIndex, '') ?? '')
		.trim()
		.toLowerCase();
	const authorities = await authoritiesOnce.call(this, itemIndex);
	// Version 2 names every output field in camelCase; version 1 keeps the API's application_count.
	const countField = nodeVersion(this) >= 2 ? 'applicationCount' : 'application_count';
	return authorities
		.filter((lpa) => !nameFilter || lpa.name.toLowerCase().includes(nameFilter))
		.slice(0, limit)
		.map((lpa) => ({
			json: {
				id: lpa.id,
				name: lpa.name,
				[countField]: lpa.applicationCount ?? null,
			} as IDataObject,
			pairedItem: { item: itemIndex },
		}));
}
