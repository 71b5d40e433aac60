/**
 * File → Upload: one-request, presigned (legacy) and chunked (DataPress 4) uploads, skipped when the
 * same file is there, and the dataset patched only after the file arrived. Over 350 lines on purpose: its
 * parameters and the choice between the paths belong to the operation; the paths are in transport/uploads.ts.
 */
import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { fileHashes, readServerHash, sameFile } from '../../helpers/chunks';
import { uploadFileName } from '../../helpers/multipart';
import { bumpUpdatedAt } from '../../helpers/patch';
import {
	chooseUploadPath,
	largeFilePath,
	MAX_MULTIPART_BYTES,
	type UploadMethodChoice,
	type UploadPath,
} from '../../helpers/threshold';
import { patchDataset, siteGeneration, type Generation } from '../../transport';
import {
	postToStorage,
	presignUpload,
	STREAM_CHUNK_BYTES,
	uploadChunked,
	uploadMultipart,
	type UploadFile,
} from '../../transport/uploads';
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
			{
				name: 'Replacement',
				value: 'replace',
				description: 'Replace the file of an existing resource',
			},
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
				description:
					"Whether to set the dataset's updatedAt to now, so the page shows the new date. DataPress 4 does it on every upload by itself; on a legacy site the node patches it. (Dataset → Update leaves it off by default: an edit of metadata is often not news.)",
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
				description: "Where a new file goes in the dataset's list of files",
			},
			{
				displayName: 'Skip If Unchanged',
				name: 'skipIfUnchanged',
				type: 'boolean',
				default: false,
				description:
					"Whether to upload nothing when replacing a file whose content is the resource's: its hash (DataPress 4: an MD5 or a multipart ETag of 5 MiB parts, computed here the same way) or check_hash (legacy)",
			},
			{
				displayName: 'Title',
				name: 'title',
				type: 'string',
				default: '',
				description:
					'Title of the file. Left empty: the file name for a new file, unchanged for a replacement.',
			},
			{
				displayName: 'Upload Method',
				name: 'uploadMethod',
				type: 'options',
				options: [
					{
						name: 'Automatic',
						value: 'auto',
						description:
							'One multipart post up to 100,000,000 bytes (and the large-file path if the site refuses it as too large), the large-file path above',
					},
					{
						name: 'Multipart',
						value: 'multipart',
						description: 'One post straight to DataPress (up to 100 MiB)',
					},
					{
						name: 'Large File',
						value: 'presigned',
						description:
							'DataPress 4: 5 MiB chunks through the API host. Legacy: presign, post to the storage host, then attach by a patch.',
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

function highestOrder(dataset: IDataObject, except?: string): number {
	let highest = -1;
	for (const [id, resource] of Object.entries(resourcesOf(dataset))) {
		const order = Number(resource.order);
		if (id !== except && Number.isFinite(order)) highest = Math.max(highest, order);
	}
	return highest;
}

interface Uploaded {
	method: UploadPath;
	after: IDataObject;
	newId: string | undefined;
	/** The multipart post was refused as too large (413) and the large-file path took over. */
	fellBack?: boolean;
}

function isTooLarge(error: unknown): boolean {
	return error instanceof NodeApiError && String(error.httpCode) === '413';
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const datasetId = await readDatasetId.call(this, itemIndex);
	const calls = callOptions(this, itemIndex);
	const propertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const mode = this.getNodeParameter('uploadMode', itemIndex, 'add') as 'add' | 'replace';
	const resourceId = mode === 'replace' ? readResourceId.call(this, itemIndex) : undefined;
	const options = this.getNodeParameter('options', itemIndex, {}) as UploadOptions;
	const reply = (json: IDataObject): INodeExecutionData[] => [
		{ json, pairedItem: { item: itemIndex } },
	];

	const file = await fileFromItem.call(this, itemIndex, propertyName);
	const choice = options.uploadMethod ?? 'auto';
	if (choice === 'multipart' && file.size > MAX_MULTIPART_BYTES) {
		throw new NodeOperationError(
			node,
			`"${file.fileName}" has ${file.size} bytes: the multipart upload takes at most ${MAX_MULTIPART_BYTES} (100 MiB)`,
			{ itemIndex, description: 'Set Upload Method to Automatic or Large File.' },
		);
	}
	const generation = await siteGeneration(this, calls);

	// Read first: a missing dataset or resource fails here, before any byte is sent.
	const before = await readDataset.call(this, datasetId, itemIndex);
	const existing = resourceId
		? requireResource.call(this, before, datasetId, resourceId, itemIndex)
		: undefined;

	if (existing && options.skipIfUnchanged) {
		const serverHash = readServerHash(existing.hash ?? existing.check_hash);
		const local = serverHash ? await fileHashes(await file.open()) : undefined;
		if (serverHash && local && sameFile(serverHash, local, file.size)) {
			return reply({
				uploaded: false,
				skipped: true,
				reason: `"${file.fileName}" has the same content as resource "${resourceId}" (${serverHash.kind === 'md5' ? 'MD5' : 'multipart ETag'}): nothing uploaded`,
				md5: local.md5,
				etag: local.etag,
				resourceId: resourceId ?? null,
				resource: existing,
				dataset: before,
			});
		}
	}

	const upload = { datasetId, resourceId, existing, file, options, generation, before, itemIndex };
	let uploaded: Uploaded;
	const method = chooseUploadPath(file.size, choice, generation);
	if (method === 'multipart') {
		const outcome = await multipartUpload.call(this, upload).then(
			(value) => ({ value }),
			(failure: unknown) => ({ failure }),
		);
		if ('value' in outcome) uploaded = outcome.value;
		// A site whose limit is lower than the node's threshold says so with 413, before anything is stored.
		else if (choice === 'auto' && isTooLarge(outcome.failure)) {
			uploaded = { ...(await largeUpload.call(this, upload)), fellBack: true };
		} else if (
			outcome.failure instanceof NodeApiError ||
			outcome.failure instanceof NodeOperationError
		) {
			throw outcome.failure;
		} else {
			throw new NodeOperationError(node, outcome.failure as Error, { itemIndex });
		}
	} else {
		uploaded = await largeUpload.call(this, upload);
	}
	const { after, newId } = uploaded;
	const result: IDataObject = {
		uploaded: true,
		method: uploaded.method,
		bytes: file.size,
		fileName: file.fileName,
		resourceId: newId ?? null,
		replacedResourceId: resourceId ?? null,
		resource: newId ? (resourcesOf(after)[newId] ?? null) : null,
		operations: appliedOperations(after),
		dataset: after,
	};
	if (uploaded.fellBack)
		result.note = `The site refused the multipart post as too large (413); the file went by the ${uploaded.method} path.`;
	return reply(result);
}

interface UploadJob {
	datasetId: string;
	resourceId: string | undefined;
	existing: IDataObject | undefined;
	file: UploadFile;
	options: UploadOptions;
	generation: Generation;
	before: IDataObject;
	itemIndex: number;
}

/** Where a new file goes: the top (order 0, or before the others), or after the last one. */
function newFileOrder(job: UploadJob, dataset: IDataObject, newId?: string): number | undefined {
	if (job.existing)
		return job.existing.order === undefined ? undefined : Number(job.existing.order);
	return job.options.position === 'bottom' ? highestOrder(dataset, newId) + 1 : undefined;
}

async function multipartUpload(this: IExecuteFunctions, job: UploadJob): Promise<Uploaded> {
	const { datasetId, resourceId, file, options, generation } = job;
	const calls = callOptions(this, job.itemIndex);
	const title = (options.title ?? '').trim();
	const fileDescription = options.description ?? '';
	// A new file is titled by its name unless given one (as on the other paths); a replacement keeps its title.
	const multipartTitle = title || (resourceId ? undefined : file.fileName);
	// DataPress 4 moves updatedAt on every upload; a legacy site needs a patch for it.
	const bump = options.bumpUpdatedDate !== false && generation === 'legacy';
	// A patch follows the file when there is something to set that the post itself cannot.
	const patchFollows =
		bump || fileDescription !== '' || (!resourceId && options.position === 'bottom');
	const uploaded = await uploadMultipart(this, datasetId, resourceId, multipartTitle, file, {
		...calls,
		step: patchFollows ? 'Upload step 1 of 2 (file to DataPress)' : undefined,
		leftBehind: 'The dataset is unchanged unless the file arrived before the answer was lost.',
	});
	const newId = resourceId ?? addedResourceId(job.before, uploaded);
	const followUp: IDataObject[] = [];
	if (newId && fileDescription) {
		followUp.push({ op: 'add', path: `/resources/${newId}/description`, value: fileDescription });
	}
	if (newId && !resourceId && options.position === 'bottom') {
		followUp.push({
			op: 'add',
			path: `/resources/${newId}/order`,
			value: highestOrder(uploaded, newId) + 1,
		});
	}
	if (bump) followUp.push(bumpUpdatedAt(new Date(), uploaded.updatedAt) as unknown as IDataObject);
	const after = followUp.length
		? await patchDataset(this, datasetId, followUp, {
				...calls,
				step: 'Upload step 2 of 2 (description, position and date by patch)',
				leftBehind: `"${file.fileName}" is already in the dataset${newId ? ` as resource "${newId}"` : ''}: only its description, position or the dataset's updated date were not set. Set them with File → Update or Dataset → Update rather than uploading again.`,
			})
		: uploaded;
	return { method: 'multipart', after, newId };
}

async function largeUpload(this: IExecuteFunctions, job: UploadJob): Promise<Uploaded> {
	return largeFilePath(job.generation) === 'chunked'
		? await chunkedUpload.call(this, job)
		: await presignedUpload.call(this, job);
}

/** DataPress 4: the title, description and place go with the upload, and completing it moves updatedAt. */
async function chunkedUpload(this: IExecuteFunctions, job: UploadJob): Promise<Uploaded> {
	const { datasetId, resourceId, existing, file, options } = job;
	const title = (options.title ?? '').trim();
	const result = await uploadChunked(
		this,
		datasetId,
		file,
		{
			resourceId,
			title: title || (existing ? undefined : file.fileName),
			description: options.description || undefined,
			order: existing ? undefined : newFileOrder(job, job.before),
		},
		callOptions(this, job.itemIndex),
	);
	return {
		method: 'chunked',
		after: result.dataset,
		newId: resourceId ?? result.resourceId ?? addedResourceId(job.before, result.dataset),
	};
}

/** Legacy: presign, the file to the storage host, then one patch that attaches it (and bumps the date). */
async function presignedUpload(this: IExecuteFunctions, job: UploadJob): Promise<Uploaded> {
	const { datasetId, resourceId, existing, file, options, before } = job;
	const calls = callOptions(this, job.itemIndex);
	const title = (options.title ?? '').trim();
	const fileDescription = options.description ?? '';
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
	if (options.bumpUpdatedDate !== false)
		patch.push(bumpUpdatedAt(new Date(), before.updatedAt) as unknown as IDataObject);
	const after = await patchDataset(this, datasetId, patch, {
		...calls,
		step: 'Upload step 3 of 3 (attach by patch)',
		leftBehind: `The file is in storage as "${presigned.fields.key}" but the dataset does not list it, unless the patch was applied before its answer was lost.`,
	});
	return { method: 'presigned', after, newId: addedResourceId(before, after) };
}
