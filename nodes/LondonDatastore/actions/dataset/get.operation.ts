import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	datasetIdProperty,
	readDataset,
	readDatasetId,
	simplifyProperty,
	simplified,
} from '../common';

export const description: INodeProperties[] = [
	datasetIdProperty('dataset', ['get']),
	simplifyProperty(['get']),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const datasetId = await readDatasetId.call(this, itemIndex);
	const dataset = await readDataset.call(this, datasetId, itemIndex);
	const [json] = await simplified.call(this, [dataset], itemIndex);
	return [{ json, pairedItem: { item: itemIndex } }];
}
