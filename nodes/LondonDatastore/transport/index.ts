/**
 * DataPress's endpoints over the shared HTTP core: which calls are retried, what their answers must look
 * like, and the steps of an upload. The credential sends the raw key in Authorization; the storage host
 * of presigned uploads gets no credential at all.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
} from 'n8n-workflow';

import { httpCall, jsonKind, pathSegment, type HttpContext, type RetryPolicy, type Service } from '../../shared/http';
import {
	DATAPRESS_NAME,
	explainDatapressFailure,
	explainStorageFailure,
	STORAGE_NAME,
	type DatapressScope,
} from '../helpers/errors';
import { frameMultipart, multipartBody, type FileBytes } from '../helpers/multipart';
import { readPolicy, sizeRefusal } from '../helpers/policy';

export const CREDENTIAL_TYPE = 'londonDatastoreApi';
export const DEFAULT_BASE_URL = 'https://data.london.gov.uk';
/** Chunk size for reading binary data: large enough for throughput, small enough for constant memory. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

const service = (name: string, explain: Service<DatapressScope>['explain']): Service<DatapressScope> => ({
	name,
	credentialType: CREDENTIAL_TYPE,
	credentialName: 'London Datastore API',
	defaultBaseUrl: DEFAULT_BASE_URL,
	explain,
});
const DATAPRESS = service(DATAPRESS_NAME, explainDatapressFailure);
const STORAGE = service(STORAGE_NAME, (report) => explainStorageFailure(report));

/** Per call: the item, the node's Timeout option, and how a failure reads within its operation. */
export interface CallOptions {
	itemIndex?: number;
	timeoutMs?: number;
	step?: string;
	leftBehind?: string;
	/** The message of a 409 (the caller knows what conflicted). */
	conflictMessage?: string;
}

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

/** An id from user input as a path segment: an empty or dot-only id would change the endpoint. */
function segment(context: HttpContext, value: string, field: string, itemIndex?: number): string {
	const encoded = pathSegment(value);
	if (encoded === undefined) {
		throw new NodeOperationError(context.getNode(), `Invalid "${field}": ${value.trim() === '' ? 'it is empty' : `"${value}" is not an id`}`, {
			itemIndex,
			description: 'No request was sent.',
		});
	}
	return encoded;
}

export function datasetPath(context: HttpContext, datasetId: string, itemIndex?: number): string {
	return `/api/dataset/${segment(context, datasetId, 'Dataset', itemIndex)}`;
}

/** Undefined when the value is a dataset (legacy, or wrapped in `{dataset}` as DataPress 4 does), else what it was. */
export function checkDataset(value: unknown): string | undefined {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return jsonKind(value);
	const record = value as IDataObject;
	const dataset = (record.dataset && typeof record.dataset === 'object' ? record.dataset : record) as IDataObject;
	return typeof dataset.id === 'string' && dataset.id !== '' ? undefined : 'a JSON object that is not a dataset (no id)';
}

/** The dataset of an answer checked by `checkDataset`. */
function datasetOf(body: unknown): IDataObject {
	const record = body as IDataObject;
	return (record.dataset && typeof record.dataset === 'object' && !Array.isArray(record.dataset) ? record.dataset : record) as IDataObject;
}

/** Teams come as a list, or as a map keyed by id. */
function teamList(value: unknown): IDataObject[] | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const list = (Array.isArray(value) ? value : Object.values(value)) as unknown[];
	return list.every((team) => team && typeof team === 'object' && !Array.isArray(team)) ? (list as IDataObject[]) : undefined;
}

async function datapressJson(
	context: HttpContext,
	method: IHttpRequestMethods,
	path: string,
	retry: RetryPolicy,
	check: (value: unknown) => string | undefined,
	scope: DatapressScope,
	options: CallOptions,
	json?: IDataObject | IDataObject[],
): Promise<unknown> {
	const answer = await httpCall(context, DATAPRESS, {
		method,
		path,
		json,
		retry,
		expect: 'json',
		check,
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		itemIndex: options.itemIndex,
		scope: { ...scope, step: options.step, leftBehind: options.leftBehind, conflictMessage: options.conflictMessage },
	});
	return answer.body;
}

export async function getDataset(context: HttpContext, rawId: string, options: CallOptions = {}): Promise<IDataObject> {
	const datasetId = rawId.trim();
	const path = datasetPath(context, datasetId, options.itemIndex);
	return datasetOf(await datapressJson(context, 'GET', path, 'safe', checkDataset, { dataset: datasetId }, options));
}

/** Applies a JSON Patch. Not repeated once it may have reached DataPress: a patch may not be idempotent. */
export async function patchDataset(
	context: HttpContext,
	rawId: string,
	patch: IDataObject[],
	options: CallOptions = {},
): Promise<IDataObject> {
	const datasetId = rawId.trim();
	const path = datasetPath(context, datasetId, options.itemIndex);
	return datasetOf(await datapressJson(context, 'PATCH', path, 'never', checkDataset, { dataset: datasetId }, options, patch));
}

export async function createDataset(context: HttpContext, body: IDataObject, options: CallOptions = {}): Promise<IDataObject> {
	const scope = { subject: `team "${String(body.parent ?? body.team ?? '')}" (creating dataset "${String(body.slug ?? body.title ?? '')}")` };
	return datasetOf(await datapressJson(context, 'POST', '/api/dataset', 'never', checkDataset, scope, options, body));
}

export async function listTeams(context: HttpContext, options: CallOptions = {}): Promise<IDataObject[]> {
	const check = (value: unknown) => (teamList(value) ? undefined : `${jsonKind(value)} that is not a list of teams`);
	const body = await datapressJson(context, 'GET', '/api/orgs', 'safe', check, { subject: 'the teams' }, options);
	return teamList(body) ?? [];
}

/**
 * Multipart upload straight to DataPress (files up to 100 MiB), streamed with an exact Content-Length.
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
	const resourcePath = resourceId ? `/${segment(context, resourceId, 'File', options.itemIndex)}` : '';
	const path = `${datasetPath(context, datasetId, options.itemIndex)}/resources${resourcePath}`;
	const framing = frameMultipart(title ? [['title', title]] : [], {
		fieldName: 'file',
		fileName: file.fileName,
		contentType: file.mimeType,
		size: file.size,
	});
	const answer = await httpCall(context, DATAPRESS, {
		method: 'POST',
		path,
		stream: {
			open: async () => multipartBody(framing, file.open, file.size),
			contentType: framing.contentType,
			contentLength: framing.contentLength,
		},
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

/** Step 1 of a presigned upload: a signed storage POST. It changes nothing, so it is retried freely. */
export async function presignUpload(
	context: IExecuteFunctions,
	datasetId: string,
	fileName: string,
	options: CallOptions,
): Promise<PresignedPost> {
	const path = `${datasetPath(context, datasetId, options.itemIndex)}/presign/${segment(context, fileName, 'File Name', options.itemIndex)}`;
	const check = (value: unknown) => {
		const record = value as IDataObject | null;
		const fields = record?.fields as IDataObject | undefined;
		return record && typeof record.url === 'string' && fields && typeof fields === 'object' && typeof fields.key === 'string'
			? undefined
			: `${jsonKind(value)} without a storage URL and fields`;
	};
	const answer = (await datapressJson(context, 'POST', path, 'safe', check, { dataset: datasetId }, options)) as IDataObject;
	const fields: Record<string, string> = {};
	for (const [name, value] of Object.entries(answer.fields as IDataObject)) fields[name] = String(value);
	return { url: String(answer.url), fields };
}

/**
 * Step 2 of a presigned upload: the file to the storage host, every presigned field first (in the
 * given order) and the file last. No credential: the DataPress key must never reach the storage host.
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
		throw new NodeOperationError(context.getNode(), `${options.step ? `${options.step} failed: ` : ''}${refusal}`, {
			itemIndex: options.itemIndex,
			description: explained.description,
		});
	}
	const framing = frameMultipart(Object.entries(presigned.fields), {
		fieldName: 'file',
		fileName: file.fileName,
		contentType: file.mimeType,
		size: file.size,
	});
	await httpCall(context, STORAGE, {
		method: 'POST',
		path: '',
		absoluteUrl: presigned.url,
		authenticate: false,
		stream: {
			open: async () => multipartBody(framing, file.open, file.size),
			contentType: framing.contentType,
			contentLength: framing.contentLength,
		},
		retry: 'never',
		expect: 'any',
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		uploadBytes: file.size,
		itemIndex: options.itemIndex,
		scope,
	});
}
