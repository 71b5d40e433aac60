import type {
	IDataObject,
	IDisplayOptions,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { readLimitOrAll, returnAllAndLimit } from '../../../shared/parameters';
import { nodeVersion } from '../../descriptions/filters';
import { bounded, isToolExecution, plural, TOOL_ITEM_LIMIT } from '../../../shared/toolMode';
import { authoritiesOnce } from '../common';

const shownFor = { resource: ['authority'], operation: ['getAll'] };
const show: IDisplayOptions = { show: shownFor };

export const description: INodeProperties[] = [
	...returnAllAndLimit(shownFor),
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
	const limit = readLimitOrAll(this, itemIndex);
	const nameFilter = String(this.getNodeParameter('nameFilter', itemIndex, '') ?? '')
		.trim()
		.toLowerCase();
	const authorities = await authoritiesOnce.call(this, itemIndex);
	if (isToolExecution(this)) {
		// One answer for the model: ids and names only, at most the tool's list limit.
		const matching = authorities.filter(
			(lpa) => !nameFilter || lpa.name.toLowerCase().includes(nameFilter),
		);
		const { shown, leftOut } = bounded(matching, Math.min(limit, TOOL_ITEM_LIMIT));
		const which = nameFilter ? ` whose name contains "${nameFilter}"` : '';
		const cut = leftOut
			? ` Listed the first ${shown.length}; ${leftOut} more not listed: give part of the authority's name to narrow.`
			: '';
		return [
			{
				json: {
					summary: `${plural(matching.length, 'authority', 'authorities')}${which}.${cut} Use an id to search one authority's applications.`,
					count: matching.length,
					returned: shown.length,
					authorities: shown.map((lpa) => ({ id: lpa.id, name: lpa.name })),
				},
				pairedItem: { item: itemIndex },
			},
		];
	}
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
