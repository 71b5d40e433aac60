import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import {
	correctGuessedMimeType,
	downloadTarget,
	fileNameOf,
	mimeTypeFor,
} from '../../helpers/download';
import { isToolExecution } from '../../../shared/toolMode';
import { downloadFile, siteBaseUrl } from '../../transport';
import {
	callOptions,
	datasetIdProperty,
	readDataset,
	readDatasetId,
	readResourceId,
	resourceIdProperty,
} from '../common';
import { requireResource } from './shared';

const show = { resource: ['file'], operation: ['download'] };

export const description: INodeProperties[] = [
	datasetIdProperty('file', ['download']),
	resourceIdProperty('file', ['download']),
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the output binary field to put the file in',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const datasetId = await readDatasetId.call(this, itemIndex);
	const resourceId = readResourceId.call(this, itemIndex);
	const propertyName = String(
		this.getNodeParameter('binaryPropertyName', itemIndex, 'data'),
	).trim();
	if (!propertyName) {
		throw new NodeOperationError(
			this.getNode(),
			'Invalid "Put Output File in Field": it is empty',
			{ itemIndex, description: 'No request was sent.' },
		);
	}
	const dataset = await readDataset.call(this, datasetId, itemIndex);
	const resource = requireResource.call(this, dataset, datasetId, resourceId, itemIndex);
	const target = downloadTarget(resource, await siteBaseUrl(this));
	if ('problem' in target) {
		throw new NodeOperationError(
			this.getNode(),
			`File "${resourceId}" of dataset "${datasetId}" cannot be downloaded: ${target.problem}`,
			{
				itemIndex,
			},
		);
	}
	const fileName = fileNameOf(resource, resourceId);
	if (isToolExecution(this)) {
		// An agent cannot take a file into its conversation: the tool gives the file's address, unread.
		const format = typeof resource.format === 'string' && resource.format ? resource.format : null;
		const size = Number(resource.size ?? resource.check_size);
		const bytes = Number.isFinite(size) && size > 0 ? size : null;
		const about = [format, bytes === null ? null : `${bytes} bytes`].filter(Boolean).join(', ');
		return [
			{
				json: {
					summary: `File "${resource.title ?? fileName}"${about ? ` (${about})` : ''} of dataset ${String(dataset.id ?? datasetId)} is at ${target.url}. Its contents were not read.`,
					datasetId: String(dataset.id ?? datasetId),
					resourceId,
					fileName,
					title: resource.title ?? null,
					format,
					bytes,
					url: target.url,
				},
				pairedItem: { item: itemIndex },
			},
		];
	}
	const download = await downloadFile(
		this,
		target.url,
		`file "${resourceId}" of dataset "${datasetId}"`,
		callOptions(this, itemIndex),
	);
	const mimeType = mimeTypeFor(resource, download.contentType);
	let binary;
	try {
		// Streamed into n8n's binary data (to disk in filesystem mode): any size in constant memory.
		binary = await this.helpers.prepareBinaryData(download.stream, fileName, mimeType);
	} catch (error) {
		throw download.failed(error);
	}
	if (!mimeType) binary.mimeType = correctGuessedMimeType(binary.mimeType, fileName);
	return [
		{
			json: {
				// The dataset's own id: a legacy page address names its slug.
				datasetId: String(dataset.id ?? datasetId),
				resourceId,
				fileName,
				mimeType: binary.mimeType,
				bytes: binary.bytes ?? null,
				title: resource.title ?? null,
			},
			binary: { [propertyName]: binary },
			pairedItem: { item: itemIndex },
		},
	];
}
