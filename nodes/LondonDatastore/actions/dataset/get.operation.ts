import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { isToolExecution, plural } from '../../../shared/toolMode';
import { simplifyDataset } from '../../helpers/simplify';
import { siteBaseUrl } from '../../transport';
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
	if (isToolExecution(this)) {
		// The model gets the simplified dataset, whatever Simplify says, under one line saying what it is.
		const simple = simplifyDataset(dataset, await siteBaseUrl(this));
		const summary = `Dataset "${simple.title}" (id ${simple.id}): ${plural(simple.files.length, 'file')}${simple.updatedAt ? `, updated ${simple.updatedAt}` : ''}${simple.url ? `; page ${simple.url}` : ''}.`;
		return [
			{ json: { summary, ...simple } as unknown as IDataObject, pairedItem: { item: itemIndex } },
		];
	}
	const [json] = await simplified.call(this, [dataset], itemIndex);
	return [{ json, pairedItem: { item: itemIndex } }];
}
