import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { readTimeoutMs } from '../../shared/requestOptions';
import { getDataset, type CallOptions } from '../transport';

/** The item's call options: its index and its Timeout. */
export function callOptions(context: IExecuteFunctions, itemIndex: number, extra: CallOptions = {}): CallOptions {
	return { itemIndex, timeoutMs: readTimeoutMs(context, itemIndex), ...extra };
}

/** Reads a dataset for an item (retried on transient failures: a read changes nothing). */
export async function readDataset(this: IExecuteFunctions, datasetId: string, itemIndex: number): Promise<IDataObject> {
	return await getDataset(this, datasetId, callOptions(this, itemIndex));
}

export function datasetIdProperty(resource: string, operations: string[]): INodeProperties {
	return {
		displayName: 'Dataset',
		name: 'datasetId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. planning-permissions-on-the-london-development-database--ldd-',
		description: 'The ID of the dataset (its URL slug or UUID on a legacy site)',
		displayOptions: { show: { resource: [resource], operation: operations } },
	};
}

export function resourceIdProperty(
	resource: string,
	operations: string[],
	extraShow: Record<string, string[]> = {},
): INodeProperties {
	return {
		displayName: 'File Name or ID',
		name: 'resourceId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getResources', loadOptionsDependsOn: ['datasetId'] },
		required: true,
		default: '',
		description:
			'The file (resource) of the dataset. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { resource: [resource], operation: operations, ...extraShow } },
	};
}

/** Parses a JSON parameter that n8n may hand over already parsed or as text. */
export function parseJsonParameter(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	const text = value.trim();
	if (text === '') return undefined;
	return JSON.parse(text);
}

/** The dataset without the bookkeeping the server adds to a patch answer. */
export function appliedOperations(dataset: IDataObject): IDataObject[] {
	const readonly = dataset.readonly as IDataObject | undefined;
	return (readonly?.updates as IDataObject[] | undefined) ?? [];
}

export function resourcesOf(dataset: IDataObject): Record<string, IDataObject> {
	return (dataset.resources as Record<string, IDataObject> | undefined) ?? {};
}
