import {
	NodeApiError,
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type JsonObject,
} from 'n8n-workflow';

import {
	apiErrorMessages,
	isRetryable,
	parseStorageError,
	retryDelayMs,
	scrubSecret,
	type FailedAnswer,
} from '../helpers/errors';
import { frameMultipart, multipartBody, type FileBytes } from '../helpers/multipart';
import { policyExpired, readPolicy, sizeRefusal } from '../helpers/policy';
import { uploadTimeoutMs } from '../helpers/threshold';

export const CREDENTIAL_TYPE = 'londonDatastoreApi';
const MAX_RETRIES = 3;
/** Chunk size for reading binary data: large enough for throughput, small enough for constant memory. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

type Context = IExecuteFunctions | ILoadOptionsFunctions;

export interface RequestScope {
	itemIndex?: number;
	/** Slug or id of the dataset concerned, for messages. */
	dataset?: string;
	resourceId?: string;
	/** What a 403/404 is about when it is not a dataset, e.g. `team "gla"`. */
	subject?: string;
	/** Retry 429/5xx/network errors: only for calls that are safe to repeat. */
	retry?: boolean;
	/** Message for a 409 (the caller knows what conflicted). */
	conflictMessage?: string;
	/** Says which step of a multi-step operation failed, e.g. "Upload step 3 of 3 (attach by patch) failed: ". */
	messagePrefix?: string;
	/** Appended to the description, e.g. what state the failure left behind. */
	descriptionSuffix?: string;
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

interface Connection {
	baseUrl: string;
	apiKey: string;
}

async function connection(this: Context): Promise<Connection> {
	const credentials = await this.getCredentials(CREDENTIAL_TYPE);
	const baseUrl = String(credentials.baseUrl || 'https://data.london.gov.uk').replace(/\/+$/, '');
	return { baseUrl, apiKey: String(credentials.apiKey ?? '') };
}

/** Node's network error codes (ECONNRESET, EAI_AGAIN), not axios' own (ERR_BAD_REQUEST). */
function isNetworkCode(code: string): boolean {
	return /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_');
}

/** What a failed request tells us, read from n8n's wrapped axios error without keeping the error (it holds the key in its request config). */
export function readFailure(error: unknown): FailedAnswer {
	const answer: FailedAnswer = {};
	let current = error as Record<string, unknown> | undefined;
	for (let depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
		const response = current.response as Record<string, unknown> | undefined;
		if (answer.status === undefined && response && typeof response === 'object') {
			const status = Number(response.status ?? response.statusCode);
			if (Number.isInteger(status) && status > 0) {
				answer.status = status;
				answer.body = response.data ?? response.body;
				const headers = (response.headers ?? {}) as Record<string, unknown>;
				const retryAfter = headers['retry-after'];
				if (retryAfter !== undefined) answer.retryAfter = String(retryAfter);
			}
		}
		if (answer.code === undefined && typeof current.code === 'string' && isNetworkCode(current.code)) {
			answer.code = current.code;
		}
		if (answer.message === undefined && typeof current.message === 'string') {
			answer.message = current.message;
		}
		current = current.cause as Record<string, unknown> | undefined;
	}
	if (answer.status === undefined && error && typeof error === 'object') {
		const httpCode = Number((error as { httpCode?: unknown }).httpCode);
		if (Number.isInteger(httpCode) && httpCode > 0) answer.status = httpCode;
	}
	return answer;
}

function apiError(
	this: Context,
	secret: string,
	scope: RequestScope,
	message: string,
	description: string | undefined,
	httpCode?: number,
): NodeApiError {
	const fullDescription = [description, scope.descriptionSuffix].filter(Boolean).join(' ');
	const cleanMessage = scrubSecret(`${scope.messagePrefix ?? ''}${message}`, secret);
	const cleanDescription = fullDescription ? scrubSecret(fullDescription, secret) : undefined;
	// A plain object, never the original error: that one carries the request config and its headers.
	const response: JsonObject = { message: cleanMessage };
	if (cleanDescription) response.description = cleanDescription;
	if (httpCode !== undefined) response.httpCode = String(httpCode);
	const error = new NodeApiError(this.getNode(), response, {
		message: cleanMessage,
		description: cleanDescription,
		httpCode: httpCode === undefined ? undefined : String(httpCode),
		itemIndex: scope.itemIndex,
	});
	// NodeApiError swaps a message naming a network code (ECONNRESET, ...) for a generic text; ours says which call or step failed.
	error.message = cleanMessage;
	return error;
}

function datapressError(
	this: Context,
	secret: string,
	method: string,
	endpoint: string,
	scope: RequestScope,
	answer: FailedAnswer,
): NodeApiError {
	const serverSays = apiErrorMessages(answer.body);
	const detail = serverSays.length ? serverSays.join('; ') : undefined;
	const dataset = scope.dataset ? `"${scope.dataset}"` : undefined;
	const subject = scope.subject ?? (dataset ? `dataset ${dataset}` : endpoint);
	const call = `${method} ${endpoint}`;
	switch (answer.status) {
		case undefined:
			return apiError.call(
				this,
				secret,
				scope,
				`No answer from DataPress (${answer.code ?? answer.message ?? 'network error'})`,
				`${call} got no answer: the connection could not be made or was closed. Check the Base URL of the credential and the network.`,
			);
		case 400:
			return apiError.call(
				this,
				secret,
				scope,
				`DataPress refused the request: ${detail ?? 'bad request'}`,
				serverSays.length > 1
					? `The server listed these errors:\n- ${serverSays.join('\n- ')}`
					: `${call} answered 400.`,
				400,
			);
		case 401:
			return apiError.call(
				this,
				secret,
				scope,
				'DataPress did not accept the API key',
				'Check the API key of the London Datastore API credential.',
				401,
			);
		case 403:
			return apiError.call(
				this,
				secret,
				scope,
				method === 'GET'
					? `The API key may not read ${subject}`
					: `The API key has no editor rights on ${subject}`,
				method === 'GET'
					? 'DataPress answered 403 Forbidden: the dataset is private and the key\'s user is not a member of its team.'
					: 'DataPress answered 403 Forbidden: only editors of the dataset\'s team (or site admins) may change it or upload files. Ask a team admin to make the key\'s user an editor.',
				403,
			);
		case 404:
			return apiError.call(
				this,
				secret,
				scope,
				dataset ? `Dataset ${dataset} not found` : `Not found: ${scope.subject ?? endpoint}`,
				`${call} answered 404${detail ? ` (${detail})` : ''}. Check the slug or UUID.`,
				404,
			);
		case 409:
			return apiError.call(
				this,
				secret,
				scope,
				scope.conflictMessage ?? `Conflict on ${subject}`,
				`DataPress answered 409${detail ? `: ${detail}` : ''}. Nothing was changed.`,
				409,
			);
		case 413:
			return apiError.call(
				this,
				secret,
				scope,
				'DataPress refused the file as too large for a direct upload',
				'Files over 100 MiB must use the presigned upload (Upload Method: Automatic or Presigned).',
				413,
			);
		case 429:
			return apiError.call(
				this,
				secret,
				scope,
				'DataPress is rate limiting this key (429 Too Many Requests)',
				`Retry after ${answer.retryAfter ?? 'a while'} seconds${scope.retry ? `; ${MAX_RETRIES} retries were made` : ''}.`,
				429,
			);
		default:
			return apiError.call(
				this,
				secret,
				scope,
				`DataPress failed with HTTP ${answer.status}${detail ? `: ${detail}` : ''}`,
				`${call}${scope.retry ? ` (after ${MAX_RETRIES} retries)` : ''}`,
				answer.status,
			);
	}
}

/** Every authenticated DataPress call. Retries 429/5xx/network failures only when `scope.retry`. */
export async function datapressRequest(
	this: Context,
	method: IHttpRequestMethods,
	endpoint: string,
	body?: IDataObject | IDataObject[],
	scope: RequestScope = {},
): Promise<IDataObject> {
	const { baseUrl, apiKey } = await connection.call(this);
	const options: IHttpRequestOptions = {
		method,
		url: `${baseUrl}${endpoint}`,
		json: true,
	};
	if (body !== undefined) {
		options.body = body;
		options.headers = { 'Content-Type': 'application/json' };
	}
	for (let attempt = 0; ; attempt++) {
		try {
			return (await this.helpers.httpRequestWithAuthentication.call(
				this,
				CREDENTIAL_TYPE,
				{ ...options, headers: { ...options.headers } },
			)) as IDataObject;
		} catch (error) {
			const answer = readFailure(error);
			if (scope.retry && attempt < MAX_RETRIES && isRetryable(answer)) {
				await sleep(retryDelayMs(attempt + 1, answer.retryAfter));
				continue;
			}
			throw datapressError.call(this, apiKey, method, endpoint, scope, answer);
		}
	}
}

export function datasetPath(datasetId: string): string {
	return `/api/dataset/${encodeURIComponent(datasetId)}`;
}

/**
 * Multipart upload straight to DataPress (files up to 100 MiB). The body is streamed with an exact
 * Content-Length; redirects are off because axios' redirect follower keeps a copy of the whole body.
 */
export async function uploadMultipart(
	this: IExecuteFunctions,
	datasetId: string,
	resourceId: string | undefined,
	title: string | undefined,
	file: UploadFile,
	itemIndex: number,
): Promise<IDataObject> {
	const { baseUrl, apiKey } = await connection.call(this);
	const endpoint = `${datasetPath(datasetId)}/resources${resourceId ? `/${encodeURIComponent(resourceId)}` : ''}`;
	const fields: Array<[string, string]> = title ? [['title', title]] : [];
	const framing = frameMultipart(fields, {
		fieldName: 'file',
		fileName: file.fileName,
		contentType: file.mimeType,
		size: file.size,
	});
	const body = multipartBody(framing, file.open, file.size);
	try {
		return (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
			method: 'POST',
			url: `${baseUrl}${endpoint}`,
			headers: {
				'Content-Type': framing.contentType,
				'Content-Length': String(framing.contentLength),
			},
			body: body as unknown as IDataObject,
			json: true,
			disableFollowRedirect: true,
			timeout: uploadTimeoutMs(file.size),
		})) as IDataObject;
	} catch (error) {
		throw datapressError.call(this, apiKey, 'POST', endpoint, { itemIndex, dataset: datasetId }, readFailure(error));
	}
}

/** Step 1 of 3 of a large upload: asks DataPress for a presigned storage POST. Safe to repeat. */
export async function presignUpload(
	this: IExecuteFunctions,
	datasetId: string,
	fileName: string,
	itemIndex: number,
): Promise<PresignedPost> {
	const endpoint = `${datasetPath(datasetId)}/presign/${encodeURIComponent(fileName)}`;
	const answer = await datapressRequest.call(this, 'POST', endpoint, undefined, {
		itemIndex,
		dataset: datasetId,
		retry: true,
		messagePrefix: 'Upload step 1 of 3 (presign) failed: ',
		descriptionSuffix: 'Nothing was uploaded and the dataset is unchanged.',
	});
	const fields = answer.fields as Record<string, unknown> | undefined;
	if (typeof answer.url !== 'string' || !fields || typeof fields !== 'object' || typeof fields.key !== 'string') {
		const { apiKey } = await connection.call(this);
		throw apiError.call(
			this,
			apiKey,
			{ itemIndex },
			'Upload step 1 of 3 (presign) failed: DataPress answered without a storage URL and fields',
			'Nothing was uploaded and the dataset is unchanged.',
		);
	}
	const stringFields: Record<string, string> = {};
	for (const [name, value] of Object.entries(fields)) stringFields[name] = String(value);
	return { url: answer.url, fields: stringFields };
}

/**
 * Step 2 of 3: the file to the storage host, with every presigned field first (in the given order)
 * and the file last. A plain request: the API key must never reach the storage host.
 */
export async function postToStorage(
	this: IExecuteFunctions,
	presigned: PresignedPost,
	file: UploadFile,
	itemIndex: number,
): Promise<void> {
	const { apiKey } = await connection.call(this);
	const policy = readPolicy(presigned.fields);
	const stepFailed = (reason: string, httpCode?: number, storageSaid?: string) =>
		apiError.call(
			this,
			apiKey,
			{ itemIndex },
			`Upload step 2 of 3 (storage) failed: ${reason}`,
			`"${file.fileName}" did not reach the storage host, so the dataset was not patched and is unchanged.${storageSaid ? ` Storage said: ${storageSaid}` : ''}`,
			httpCode,
		);
	// The storage would refuse it after the first bytes; say so before sending any.
	const refusal = sizeRefusal(policy, file.size);
	if (refusal) throw stepFailed(refusal);
	const framing = frameMultipart(Object.entries(presigned.fields), {
		fieldName: 'file',
		fileName: file.fileName,
		contentType: file.mimeType,
		size: file.size,
	});
	const body = multipartBody(framing, file.open, file.size);
	try {
		await this.helpers.httpRequest({
			method: 'POST',
			url: presigned.url,
			headers: {
				'Content-Type': framing.contentType,
				'Content-Length': String(framing.contentLength),
			},
			body: body as unknown as IDataObject,
			disableFollowRedirect: true,
			timeout: uploadTimeoutMs(file.size),
		});
	} catch (error) {
		const answer = readFailure(error);
		const { code, message } = parseStorageError(answer.body);
		let reason: string;
		if (answer.status === undefined) {
			// A storage that refuses early (as S3 does) may close the connection before the client reads its answer.
			reason = policyExpired(policy, Date.now())
				? `the presigned policy had expired (at ${policy.expiration}) and the storage closed the connection`
				: `the connection failed (${answer.code ?? answer.message ?? 'no answer'})`;
		} else if (code === 'EntityTooLarge') {
			reason = `the storage refused the file as too large (${file.size} bytes)`;
		} else if (code === 'AccessDenied' && /expired/i.test(message ?? '')) {
			reason = 'the presigned policy had expired';
		} else {
			reason = `the storage answered HTTP ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
		}
		throw stepFailed(reason, answer.status, code && message ? `${code}: ${message}` : undefined);
	}
}
