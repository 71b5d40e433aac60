import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { patchDataset } from '../../transport';
import {
	appliedOperations,
	callOptions,
	datasetIdProperty,
	readDataset,
	readDatasetId,
	readResourceId,
	resourceIdProperty,
	resourcesOf,
} from '../common';
import { requireResource } from './shared';

export const description: INodeProperties[] = [
	datasetIdProperty('file', ['update']),
	resourceIdProperty('file', ['update']),
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: { resource: ['file'], operation: ['update'] } },
		options: [
			{
				displayName: 'Description',
				name: 'description',
				type: 'string',
				typeOptions: { rows: 3 },
				default: '',
			},
			{
				displayName: 'Order',
				name: 'order',
				type: 'number',
				default: 0,
				description: "Position in the dataset's list of files (0 is the top)",
			},
			{ displayName: 'Title', name: 'title', type: 'string', default: '' },
		],
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const datasetId = await readDatasetId.call(this, itemIndex);
	const resourceId = readResourceId.call(this, itemIndex);
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const changes = Object.entries(fields).filter(([, value]) => value !== undefined);
	if (!changes.length) {
		throw new NodeOperationError(
			this.getNode(),
			'Add at least one field to update (title, description or order)',
			{ itemIndex },
		);
	}
	if (fields.title !== undefined && String(fields.title).trim() === '') {
		throw new NodeOperationError(this.getNode(), 'Title must not be empty', { itemIndex });
	}
	const dataset = await readDataset.call(this, datasetId, itemIndex);
	requireResource.call(this, dataset, datasetId, resourceId, itemIndex);
	// "add" sets a member whether or not it exists yet (RFC 6902 4.1), unlike "replace".
	const patch = changes.map(([field, value]) => ({
		op: 'add',
		path: `/resources/${resourceId}/${field}`,
		value,
	}));
	const updated = await patchDataset(this, datasetId, patch, callOptions(this, itemIndex));
	const applied = appliedOperations(updated);
	return [
		{
			json: {
				resourceId,
				resource: resourcesOf(updated)[resourceId] ?? null,
				operations: applied.length ? applied : patch,
				dataset: updated,
			},
			pairedItem: { item: itemIndex },
		},
	];
}
