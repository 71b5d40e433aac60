/**
 * Uploads, on whichever path the file takes: one multipart post to DataPress (both generations), the
 * legacy presigned path (presign, post to the storage host without the key, attach by a patch), or
 * DataPress 4's chunked upload (create, 5 MiB parts through the API host, complete).
 */
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { httpCall, jsonKind } from '../../shared/http';
import { explainStorageFailure, type DatapressScope } from '../helpers/errors';
import { frameMultipart, multipartBody, type FileBytes } from '../helpers/multipart';
import { partCount, partsOf, PART_BYTES } from '../helpers/chunks';
import { readPolicy, sizeRefusal } from '../helpers/policy';
import {
	checkDataset,
	datapressJson,
	DATAPRESS,
	datasetOf,
	segment,
	siteGeneration,
	STORAGE,
	type CallOptions,
} from './index';

/** Chunk size for reading binary data: large enough for throughput, small enough for constant memory. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

/** A file to upload: its size is known up front so that the body gets an exact Content-Length. */
export interface UploadFile {
	fileName: string;
	mimeType: string;
	size: number;
	/** Opens the bytes afresh: a stream for stored binary data, a Buffer only for inline data. */
	open: () => Promise<FileBytes>;
}

export interface PresignedPost {
	url: string;
	fields: Record<string, string>;
}

/** A multipart body streamed from `open`, with an exact length, opened afresh for each attempt. */
function streamedForm(
	fields: Array<[string, string]>,
	fileName: string,
	contentType: string,
	size: number,
	open: () => Promise<FileBytes>,
) {
	const framing = frameMultipart(fields, { fieldName: 'file', fileName, contentType, size });
	return {
		open: async () => multipartBody(framing, open, size),
		contentType: framing.contentType,
		contentLength: framing.contentLength,
	};
}

/**
 * Multipart upload straight to DataPress (files up to 100 MB), streamed with an exact Content-Length.
 * It adds or replaces a file, so it is not repeated once it may have arrived.
 */
export async function uploadMultipart(
	context: IExecuteFunctions,
	datasetId: string,
	resourceId: string | undefined,
	title: string | undefined,
	file: UploadFile,
	options: CallOptions,
): Promise<IDataObject> {
	const id = segment(context, datasetId, 'Dataset', options.itemIndex);
	const resourcePath = resourceId
		? `/${segment(context, resourceId, 'File', options.itemIndex)}`
		: '';
	const prefix = (await siteGeneration(context, options)) === 'v4' ? '/api/v3' : '/api';
	const answer = await httpCall(context, DATAPRESS, {
		method: 'POST',
		path: `${prefix}/dataset/${id}/resources${resourcePath}`,
		stream: streamedForm(
			title ? [['title', title]] : [],
			file.fileName,
			file.mimeType,
			file.size,
			file.open,
		),
		retry: 'never',
		expect: 'json',
		check: checkDataset,
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		uploadBytes: file.size,
		itemIndex: options.itemIndex,
		scope: { dataset: datasetId, step: options.step, leftBehind: options.leftBehind },
	});
	return datasetOf(answer.body);
}

/** Legacy step 1: a signed storage POST. It changes nothing, so it is retried freely. */
export async function presignUpload(
	context: IExecuteFunctions,
	datasetId: string,
	fileName: string,
	options: CallOptions,
): Promise<PresignedPost> {
	const id = segment(context, datasetId, 'Dataset', options.itemIndex);
	const path = `/api/dataset/${id}/presign/${segment(context, fileName, 'File Name', options.itemIndex)}`;
	const check = (value: unknown) => {
		const record = value as IDataObject | null;
		const fields = record?.fields as IDataObject | undefined;
		return record &&
			typeof record.url === 'string' &&
			fields &&
			typeof fields === 'object' &&
			typeof fields.key === 'string'
			? undefined
			: `${jsonKind(value)} without a storage URL and fields`;
	};
	const answer = (await datapressJson(
		context,
		'POST',
		path,
		'safe',
		check,
		{ dataset: datasetId },
		options,
	)) as IDataObject;
	const fields: Record<string, string> = {};
	for (const [name, value] of Object.entries(answer.fields as IDataObject))
		fields[name] = String(value);
	return { url: String(answer.url), fields };
}

/**
 * Legacy step 2: the file to the storage host, every presigned field first (in the given order) and the
 * file last. No credential: the DataPress key must never reach the storage host.
 */
export async function postToStorage(
	context: IExecuteFunctions,
	presigned: PresignedPost,
	file: UploadFile,
	options: CallOptions,
): Promise<void> {
	const policy = readPolicy(presigned.fields);
	const scope: DatapressScope = {
		step: options.step,
		leftBehind: options.leftBehind,
		policyExpiration: policy.expiration,
		file: { name: file.fileName, size: file.size },
	};
	// The storage would refuse it after the first bytes; say so before sending any.
	const refusal = sizeRefusal(policy, file.size);
	if (refusal) {
		const explained = explainStorageFailure({
			failure: { kind: 'local', detail: refusal },
			method: 'POST',
			path: '',
			attempts: 0,
			stopped: 'final',
			outcomeUnknown: false,
			scope,
		});
		throw new NodeOperationError(
			context.getNode(),
			`${options.step ? `${options.step} failed: ` : ''}${refusal}`,
			{
				itemIndex: options.itemIndex,
				description: explained.description,
			},
		);
	}
	await httpCall(context, STORAGE, {
		method: 'POST',
		path: '',
		absoluteUrl: presigned.url,
		authenticate: false,
		stream: streamedForm(
			Object.entries(presigned.fields),
			file.fileName,
			file.mimeType,
			file.size,
			file.open,
		),
		retry: 'never',
		expect: 'any',
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		uploadBytes: file.size,
		itemIndex: options.itemIndex,
		scope,
	});
}

/** What a DataPress 4 chunked upload sets on the new or replaced file. */
export interface ChunkedUploadFields {
	resourceId?: string;
	title?: string;
	description?: string;
	order?: number;
}

export interface ChunkedUploadResult {
	dataset: IDataObject;
	resourceId: string | undefined;
	parts: number;
}

/**
 * DataPress 4's upload of a large file: create the upload, send the file's 5 MiB parts one at a time
 * (each read from the binary stream as it is sent, and sent again on a transient failure: a part sent
 * twice replaces itself), then complete it. The dataset changes only at completion, so a failure before
 * leaves it untouched. The chunk and complete addresses must be on the Base URL's host (they get the key).
 */
export async function uploadChunked(
	context: IExecuteFunctions,
	datasetId: string,
	file: UploadFile,
	fields: ChunkedUploadFields,
	options: CallOptions,
): Promise<ChunkedUploadResult> {
	const id = segment(context, datasetId, 'Dataset', options.itemIndex);
	const parts = partCount(file.size);
	const body: IDataObject = { filename: file.fileName, parts };
	if (fields.resourceId) body.resource_id = fields.resourceId;
	if (fields.title) body.title = fields.title;
	if (fields.description) body.description = fields.description;
	if (fields.order !== undefined) body.order = fields.order;
	const unchanged = 'Nothing was uploaded and the dataset is unchanged.';
	const checkCreated = (value: unknown) => {
		const record = value as IDataObject | null;
		return record && typeof record.urlChunk === 'string' && typeof record.urlComplete === 'string'
			? undefined
			: `${jsonKind(value)} without urlChunk and urlComplete`;
	};
	// Creating an upload changes nothing visible: one created twice is an unused upload, so it is retried.
	const created = (await datapressJson(
		context,
		'POST',
		`/api/v3/dataset/${id}/upload`,
		'safe',
		checkCreated,
		{ dataset: datasetId },
		{
			...options,
			step: 'Upload step 1 of 3 (create the chunked upload)',
			leftBehind: unchanged,
		},
		body,
	)) as IDataObject;

	let index = 0;
	// Each part is sent, retries included, before the next is read: one part buffer serves them all.
	for await (const part of partsOf(await file.open(), PART_BYTES, true)) {
		const partNumber = index;
		await httpCall(context, DATAPRESS, {
			method: 'POST',
			path: '',
			absoluteUrl: String(created.urlChunk),
			stream: streamedForm(
				[['part', String(partNumber)]],
				file.fileName,
				'application/octet-stream',
				part.length,
				async () => part,
			),
			retry: 'safe',
			expect: 'any',
			redirects: 'sameOrigin',
			timeoutMs: options.timeoutMs,
			uploadBytes: part.length,
			itemIndex: options.itemIndex,
			scope: {
				dataset: datasetId,
				step: `Upload step 2 of 3 (chunk ${partNumber + 1} of ${parts})`,
				leftBehind: `The upload was not completed, so the dataset is unchanged.`,
			},
		});
		index++;
	}
	if (index !== parts) {
		throw new NodeOperationError(
			context.getNode(),
			`The file had ${index} parts of ${PART_BYTES} bytes, not the ${parts} its size announced`,
			{
				itemIndex: options.itemIndex,
				description: 'The upload was not completed, so the dataset is unchanged.',
			},
		);
	}
	const checkCompleted = (value: unknown) => {
		const record = value as IDataObject | null;
		return record && typeof record.dataset === 'object' && record.dataset !== null
			? checkDataset(record.dataset)
			: `${jsonKind(value)} without the dataset`;
	};
	const completed = await httpCall(context, DATAPRESS, {
		method: 'POST',
		path: '',
		absoluteUrl: String(created.urlComplete),
		retry: 'never',
		expect: 'json',
		check: checkCompleted,
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		itemIndex: options.itemIndex,
		scope: {
			dataset: datasetId,
			step: 'Upload step 3 of 3 (complete)',
			leftBehind: `Every chunk of "${file.fileName}" arrived; the dataset lists it only if the completion was applied.`,
		},
	});
	const answer = completed.body as IDataObject;
	return {
		dataset: datasetOf(answer),
		resourceId: typeof answer.resource_id === 'string' ? answer.resource_id : undefined,
		parts,
	};
}
