import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { datapressRequest, datasetPath } from '../../transport';
import { datasetIdProperty } from '../common';

export const description: INodeProperties[] = [datasetIdProperty('dataset', ['get'])];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const datasetId = (this.getNodeParameter('datasetId', itemIndex) as string).trim();
	const dataset = await datapressRequest.call(this, 'GET', datasetPath(datasetId), undefined, {
		itemIndex,
		dataset: datasetId,
		retry: true,
	});
	return [{ json: dataset, pairedItem: { item: itemIndex } }];
}
