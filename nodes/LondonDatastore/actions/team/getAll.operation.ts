import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readLimitOrAll, returnAllAndLimit } from '../../../shared/parameters';
import { listTeams } from '../../transport';
import { callOptions } from '../common';

const show = { resource: ['team'], operation: ['getAll'] };

export const description: INodeProperties[] = [...returnAllAndLimit(show)];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const limit = readLimitOrAll(this, itemIndex);
	// The teams come unpaged: the limit is applied here.
	const teams = await listTeams(this, callOptions(this, itemIndex));
	return teams.slice(0, limit).map((team) => ({ json: team, pairedItem: { item: itemIndex } }));
}
