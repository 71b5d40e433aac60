import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { patchDataset } from '../../transport';
import {
	callOptions,
	datasetIdProperty,
	readDataset,
	readDatasetId,
	readResourceId,
	resourceIdProperty,
} from '../common';
import { requireResource } from './shared';

export const description: INodeProperties[] = [
	datasetIdProperty('file', ['delete']),
	resourceIdProperty('file', ['delete']),
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const datasetId = await readDatasetId.call(this, itemIndex);
	const resourceId = readResourceId.call(this, itemIndex);
	const dataset = await readDataset.call(this, datasetId, itemIndex);
	const resource = requireResource.call(this, dataset, datasetId, resourceId, itemIndex);
	const updated = await patchDataset(
		this,
		datasetId,
		[{ op: 'remove', path: `/resources/${resourceId}` }],
		callOptions(this, itemIndex),
	);
	return [
		{
			json: { deleted: true, resourceId, title: resource.title ?? null, dataset: updated },
			pairedItem: { item: itemIndex },
		},
	];
}
