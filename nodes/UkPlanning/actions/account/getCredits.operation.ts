import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readTimeoutMs } from '../../../shared/requestOptions';
import { countApplications } from '../../transport';

export const description: INodeProperties[] = [];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	// A count without filters is free and carries the key's balance.
	const answer = await countApplications.call(
		this,
		{},
		{ itemIndex, timeoutMs: readTimeoutMs(this, itemIndex) },
	);
	return [
		{
			json: {
				creditsRemaining: answer.creditsRemaining ?? null,
				serverDateTime: answer.serverDateTime ?? null,
			},
			pairedItem: { item: itemIndex },
		},
	];
}
