import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { md5OfBuffer, md5OfStream } from '../../helpers/md5';
import { bumpUpdatedAt } from '../../helpers/patch';
import {
	chooseUploadPath,
	MAX_MULTIPART_BYTES,
	type UploadMethodChoice,
} from '../../helpers/threshold';
import { uploadFileName } from '../../helpers/multipart';
import {
	patchDataset,
	postToStorage,
	presignUpload,
	STREAM_CHUNK_BYTES,
	uploadMultipart,
	type UploadFile,
} from '../../transport';
import {
	appliedOperations,
	callOptions,
	datasetIdProperty,
	readDataset,
	resourceIdProperty,
	resourcesOf,
} from '../common';
import { addedResourceId, requireResource } from './shared';

const show = { resource: ['file'], operation: ['upload'] };

export const description: INodeProperties[] = [
	datasetIdProperty('file', ['upload']),
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the input binary field containing the file to be uploaded',
		displayOptions: { show },
	},
	{
		displayName: 'Upload As',
		name: 'uploadMode',
		type: 'options',
		options: [
			{ name: 'New File', value: 'add', description: 'Add a new file (resource) to the dataset' },
			{ name: 'Replacement', value: 'replace', description: 'Replace the file of an existing resource' },
		],
		default: 'add',
		displayOptions: { show },
	},
	resourceIdProperty('file', ['upload'], { uploadMode: ['replace'] }),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Bump Updated Date',
				name: 'bumpUpdatedDate',
				type: 'boolean',
				default: true,
				description: 'Whether to set the dataset\'s updatedAt to now, so the page shows the new date',
			},
			{
				displayName: 'Description',
				name: 'description',
				type: 'string',
				typeOptions: { rows: 3 },
				default: '',
				description: 'Description of the file',
			},
			{
				displayName: 'Position',
				name: 'position',
				type: 'options',
				options: [
					{ name: 'Top', value: 'top' },
					{ name: 'Bottom', value: 'bottom' },
				],
				default: 'top',
				description: 'Where a new file goes in the dataset\'s list of files',
			},
			{
				displayName: 'Skip If Unchanged',
				name: 'skipIfUnchanged',
				type: 'boolean',
				default: false,
				description: 'Whether to upload nothing when replacing a file whose MD5 equals the resource\'s check_hash',
			},
			{
				displayName: 'Title',
				name: 'title',
				type: 'string',
				default: '',
				description: 'Title of the file. Left empty: the file name for a new file, unchanged for a replacement.',
			},
			{
				displayName: 'Upload Method',
				name: 'uploadMethod',
				type: 'options',
				options: [
					{
						name: 'Automatic',
						value: 'auto',
						description: 'Multipart up to 100 MiB, presigned storage upload above',
					},
					{ name: 'Multipart', value: 'multipart', description: 'Straight to DataPress (up to 100 MiB)' },
					{
						name: 'Presigned',
						value: 'presigned',
						description: 'Presign, post to the storage host, then attach the file by a patch',
					},
				],
				default: 'auto',
			},
		],
	},
];

interface UploadOptions {
	bumpUpdatedDate?: boolean;
	description?: string;
	position?: 'top' | 'bottom';
	skipIfUnchanged?: boolean;
	title?: string;
	uploadMethod?: UploadMethodChoice;
}

async function fileFromItem(
	this: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): Promise<UploadFile> {
	const binary = this.helpers.assertBinaryData(itemIndex, propertyName);
	const mimeType = binary.mimeType || 'application/octet-stream';
	if (binary.id) {
		const id = binary.id;
		const metadata = await this.helpers.getBinaryMetadata(id);
		return {
			fileName: uploadFileName(binary.fileName ?? metadata.fileName ?? 'file'),
			mimeType,
			size: metadata.fileSize,
			open: async () => await this.helpers.getBinaryStream(id, STREAM_CHUNK_BYTES),
		};
	}
	// Inline (base64) binary data is already in memory; there is nothing to stream from.
	const buffer = await this.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	return {
		fileName: uploadFileName(binary.fileName ?? 'file'),
		mimeType,
		size: buffer.length,
		open: async () => buffer,
	};
}

async function md5Of(file: UploadFile): Promise<string> {
	const bytes = await file.open();
	return Buffer.isBuffer(bytes) ? md5OfBuffer(bytes) : await md5OfStream(bytes);
}

function highestOrder(dataset: IDataObject, except?: string): number {
	let highest = -1;
	for (const [id, resource] of Object.entries(resourcesOf(dataset))) {
		const order = Number(resource.order);
		if (id !== except && Number.isFinite(order)) highest = Math.max(highest, order);
	}
	return highest;
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const datasetId = (this.getNodeParameter('datasetId', itemIndex) as string).trim();
	const calls = callOptions(this, itemIndex);
	const propertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const mode = this.getNodeParameter('uploadMode', itemIndex, 'add') as 'add' | 'replace';
	const resourceId =
		mode === 'replace' ? String(this.getNodeParameter('resourceId', itemIndex)).trim() : undefined;
	const options = this.getNodeParameter('options', itemIndex, {}) as UploadOptions;
	const bump = options.bumpUpdatedDate !== false;
	const title = (options.title ?? '').trim();
	const fileDescription = options.description ?? '';
	const reply = (json: IDataObject): INodeExecutionData[] => [{ json, pairedItem: { item: itemIndex } }];

	const file = await fileFromItem.call(this, itemIndex, propertyName);
	const method = chooseUploadPath(file.size, options.uploadMethod ?? 'auto');
	if (method === 'multipart' && file.size > MAX_MULTIPART_BYTES) {
		throw new NodeOperationError(
			node,
			`"${file.fileName}" has ${file.size} bytes: the multipart upload takes at most ${MAX_MULTIPART_BYTES} (100 MiB)`,
			{ itemIndex, description: 'Set Upload Method to Automatic or Presigned.' },
		);
	}

	// Read first: a missing dataset or resource fails here, before any byte is sent.
	const before = await readDataset.call(this, datasetId, itemIndex);
	const existing = resourceId
		? requireResource.call(this, before, datasetId, resourceId, itemIndex)
		: undefined;

	if (existing && options.skipIfUnchanged) {
		const hash = await md5Of(file);
		if (typeof existing.check_hash === 'string' && existing.check_hash.toLowerCase() === hash) {
			return reply({
				uploaded: false,
				skipped: true,
				reason: `"${file.fileName}" has the same MD5 as resource "${resourceId}": nothing uploaded`,
				md5: hash,
				resourceId: resourceId ?? null,
				resource: existing,
				dataset: before,
			});
		}
	}

	let after: IDataObject;
	let newId: string | undefined;
	if (method === 'multipart') {
		// A new file is titled by its name unless given one (as on the presigned path); a replacement keeps its title.
		const multipartTitle = title || (resourceId ? undefined : file.fileName);
		// A patch follows the file when there is something to set that the upload itself cannot.
		const patchFollows = bump || fileDescription !== '' || (!resourceId && options.position === 'bottom');
		const uploaded = await uploadMultipart(this, datasetId, resourceId, multipartTitle, file, {
			...calls,
			step: patchFollows ? 'Upload step 1 of 2 (file to DataPress)' : undefined,
			leftBehind: 'The dataset is unchanged unless the file arrived before the answer was lost.',
		});
		newId = resourceId ?? addedResourceId(before, uploaded);
		const followUp: IDataObject[] = [];
		if (newId && fileDescription) {
			followUp.push({ op: 'add', path: `/resources/${newId}/description`, value: fileDescription });
		}
		if (newId && !resourceId && options.position === 'bottom') {
			followUp.push({ op: 'add', path: `/resources/${newId}/order`, value: highestOrder(uploaded, newId) + 1 });
		}
		if (bump) followUp.push(bumpUpdatedAt(new Date(), uploaded.updatedAt) as unknown as IDataObject);
		after = followUp.length
			? await patchDataset(this, datasetId, followUp, {
					...calls,
					step: 'Upload step 2 of 2 (description, position and date by patch)',
					leftBehind: `"${file.fileName}" is already in the dataset${newId ? ` as resource "${newId}"` : ''}: only its description, position or the dataset's updated date were not set. Set them with File → Update or Dataset → Update rather than uploading again.`,
				})
			: uploaded;
	} else {
		const presigned = await presignUpload(this, datasetId, file.fileName, {
			...calls,
			step: 'Upload step 1 of 3 (presign)',
			leftBehind: 'Nothing was uploaded and the dataset is unchanged.',
		});
		await postToStorage(this, presigned, file, { ...calls, step: 'Upload step 2 of 3 (storage)' });
		// Step 3 of 3 runs only once the storage has the whole file.
		const value: IDataObject = {
			origin: presigned.fields.key,
			title: title || (existing?.title as string | undefined) || file.fileName,
		};
		const description = fileDescription || (existing?.description as string | undefined);
		if (description) value.description = description;
		if (existing) {
			// A replacement takes the old file's place in the list; the old resource goes in the same patch.
			if (existing.order !== undefined) value.order = existing.order;
		} else if (options.position !== 'bottom') {
			value.order = -1;
		}
		const patch: IDataObject[] = [{ op: 'add', path: '/resources/new-upload', value }];
		if (resourceId) patch.push({ op: 'remove', path: `/resources/${resourceId}` });
		if (bump) patch.push(bumpUpdatedAt(new Date(), before.updatedAt) as unknown as IDataObject);
		after = await patchDataset(this, datasetId, patch, {
			...calls,
			step: 'Upload step 3 of 3 (attach by patch)',
			leftBehind: `The file is in storage as "${presigned.fields.key}" but the dataset does not list it, unless the patch was applied before its answer was lost.`,
		});
		newId = addedResourceId(before, after);
	}

	return reply({
		uploaded: true,
		method,
		bytes: file.size,
		fileName: file.fileName,
		resourceId: newId ?? null,
		replacedResourceId: resourceId ?? null,
		resource: newId ? (resourcesOf(after)[newId] ?? null) : null,
		operations: appliedOperations(after),
		dataset: after,
	});
}
