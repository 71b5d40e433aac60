import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { datasetIdProperty, readDataset } from '../common';

export const description: INodeProperties[] = [datasetIdProperty('dataset', ['get'])];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const datasetId = this.getNodeParameter('datasetId', itemIndex) as string;
	const dataset = await readDataset.call(this, datasetId, itemIndex);
	return [{ json: dataset, pairedItem: { item: itemIndex } }];
}
