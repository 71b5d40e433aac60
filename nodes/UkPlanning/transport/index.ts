/**
 * The only code that talks to the Planning API. Every call goes through n8n's
 * httpRequestWithAuthentication (the credential adds `key=` to the query string), sees the status
 * itself, retries only calls that charge nothing, and raises errors built from scratch with the key
 * scrubbed: n8n's own request errors carry the request config, whose query string holds the key.
 */
import {
	NodeApiError,
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type IPollFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { explainFailure, isErrorEnvelope, parseRetryAfter, scrubDeep, scrubText, type FailedCall } from '../helpers/errors';

export const CREDENTIAL_TYPE = 'ukPlanningApi';
export const DEFAULT_BASE_URL = 'https://api.planning.org.uk/v1';

/** Attempts of a free call (1 + retries) on 429, 5xx and network errors. */
const MAX_ATTEMPTS = 4;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8000;
/** A Retry-After longer than this is not waited for: the error tells the user when to try again. */
const MAX_RETRY_AFTER_SECONDS = 30;
/** Large paid searches stream many megabytes; a timeout only guards against a hung server. */
export const REQUEST_TIMEOUT_MS = 5 * 60 * 1000;
/** The shortest wait for an answer, even at a deadline: a loopback or nearby API answers in less. */
const MIN_REQUEST_TIMEOUT_MS = 1000;

export type PlanningContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

export interface PlanningRequestOptions {
	/** The call charges credits (search with return_data=1): never repeated automatically. */
	paid?: boolean;
	itemIndex?: number;
	/** Send the credential's key (default). Generate Key sends none: the user may not have one yet. */
	authenticate?: boolean;
	/** Follow redirects (default). Top-up answers with a redirect to a payment page that must not be opened. */
	followRedirect?: boolean;
	/**
	 * The moment (epoch ms) by which the call must be over: a poll passes the end of its budget. Each
	 * attempt waits for an answer only until then (at least 1 s), and no retry is begun that would wait
	 * past it. Without one, an attempt waits up to 5 minutes.
	 */
	deadline?: number;
	/** The longest wait for one attempt's answer (default 5 minutes, at least 1 s). */
	timeoutMs?: number;
}

export interface PlanningAnswer {
	/** The envelope's `request` echo, without the key. */
	request: IDataObject;
	/** The envelope's `response`. */
	response: IDataObject;
	statusCode: number;
	/** The Location header of a redirect that was not followed, scrubbed of the key. */
	location?: string;
}

interface Connection {
	baseUrl: string;
	apiKey: string;
}

async function connection(this: PlanningContext, authenticate: boolean): Promise<Connection> {
	if (!authenticate) {
		// Generate Key works without a saved key; it still honours a credential's Base URL when one is set.
		const credentials = await this.getCredentials(CREDENTIAL_TYPE).catch(() => undefined);
		return {
			baseUrl: String(credentials?.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, ''),
			apiKey: String(credentials?.apiKey ?? ''),
		};
	}
	const credentials = await this.getCredentials(CREDENTIAL_TYPE);
	return {
		baseUrl: String(credentials.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, ''),
		apiKey: String(credentials.apiKey ?? ''),
	};
}

function stringQuery(qs: IDataObject): IDataObject {
	const clean: IDataObject = {};
	for (const [name, value] of Object.entries(qs ?? {})) {
		if (name === 'key' || value === undefined || value === null || value === '') continue;
		clean[name] = String(value);
	}
	return clean;
}

/** Node's network error code (ECONNRESET, ETIMEDOUT, ...) from an error chain, without keeping the error. */
function networkCode(error: unknown): string | undefined {
	let current = error as Record<string, unknown> | undefined;
	for (let depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
		const code = current.code;
		// axios reports its own timeout as ECONNABORTED.
		if (code === 'ECONNABORTED' || code === 'ERR_SOCKET_CONNECTION_TIMEOUT') return 'ETIMEDOUT';
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) return code;
		current = current.cause as Record<string, unknown> | undefined;
	}
	return undefined;
}

function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
}

function header(headers: unknown, name: string): string | undefined {
	if (!headers || typeof headers !== 'object') return undefined;
	const value = (headers as Record<string, unknown>)[name];
	if (value === undefined || value === null) return undefined;
	return Array.isArray(value) ? String(value[0]) : String(value);
}

/** A redirect target may be relative to the request. */
function absoluteUrl(location: string, requestUrl: string): string {
	try {
		return new URL(location, requestUrl).toString();
	} catch {
		return location;
	}
}

function attemptTimeoutMs(deadline: number | undefined, timeoutMs: number | undefined): number {
	const longest = Math.max(MIN_REQUEST_TIMEOUT_MS, timeoutMs ?? REQUEST_TIMEOUT_MS);
	if (deadline === undefined) return longest;
	return Math.min(longest, Math.max(MIN_REQUEST_TIMEOUT_MS, deadline - Date.now()));
}

function backoffMs(attempt: number, retryAfterSeconds: number | undefined): number {
	if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000;
	return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}

function planningError(
	this: PlanningContext,
	failure: FailedCall,
	secret: string,
	itemIndex: number | undefined,
): NodeApiError {
	const explained = explainFailure(failure, Date.now());
	const message = scrubText(explained.message, secret);
	const description = scrubText(explained.description, secret);
	// A plain object, never the original error: that one holds the request URL and query with the key.
	const errorResponse: JsonObject = { message, description };
	if (explained.httpCode) errorResponse.httpCode = explained.httpCode;
	if (explained.retryAfterSeconds !== undefined) errorResponse.retryAfterSeconds = explained.retryAfterSeconds;
	return new NodeApiError(this.getNode(), errorResponse, {
		message,
		description,
		httpCode: explained.httpCode,
		itemIndex,
	});
}

/**
 * GET `${baseUrl}/${endpoint}` with `qs` (strings; the key is added by the credential). Returns the
 * envelope's `request` (without the key) and `response`; throws NodeApiError for HTTP errors and
 * `status: "ERROR"` answers.
 */
export async function planningApiRequest(
	this: PlanningContext,
	endpoint: string,
	qs: IDataObject = {},
	options: PlanningRequestOptions = {},
): Promise<PlanningAnswer> {
	const { paid = false, itemIndex, authenticate = true, followRedirect = true, deadline, timeoutMs } = options;
	const { baseUrl, apiKey } = await connection.call(this, authenticate);
	const path = `/${endpoint.replace(/^\/+/, '')}`;
	const requestOptions: IHttpRequestOptions = {
		method: 'GET',
		url: `${baseUrl}${path}`,
		qs: stringQuery(qs),
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	if (!followRedirect) requestOptions.disableFollowRedirect = true;

	for (let attempt = 1; ; attempt++) {
		let failure: FailedCall = { endpoint: path, paid };
		let raw: { statusCode?: number; headers?: unknown; body?: unknown } | undefined;
		try {
			const attemptOptions = { ...requestOptions, timeout: attemptTimeoutMs(deadline, timeoutMs) };
			raw = authenticate
				? await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, attemptOptions)
				: await this.helpers.httpRequest(attemptOptions);
		} catch (error) {
			const code = networkCode(error);
			failure = { endpoint: path, paid, code };
			// Without a network code the error says what went wrong (an invalid Base URL, say); scrubbed later.
			if (!code && error && typeof (error as Error).message === 'string') failure.detail = (error as Error).message;
			raw = undefined;
		}
		if (raw) {
			const statusCode = Number(raw.statusCode);
			const body = parseBody(raw.body);
			if (!followRedirect && statusCode >= 300 && statusCode < 400) {
				const location = header(raw.headers, 'location');
				return {
					request: {},
					response: {},
					statusCode,
					location: location === undefined ? undefined : scrubText(absoluteUrl(location, requestOptions.url), apiKey),
				};
			}
			if (statusCode >= 200 && statusCode < 300 && !isErrorEnvelope(body) && body && typeof body === 'object') {
				const envelope = scrubDeep(body as IDataObject, apiKey);
				return {
					request: ((envelope.request as IDataObject) ?? {}) as IDataObject,
					response: ((envelope.response as IDataObject) ?? {}) as IDataObject,
					statusCode,
				};
			}
			failure = { endpoint: path, paid, status: statusCode, body, retryAfter: header(raw.headers, 'retry-after') };
			if (statusCode >= 200 && statusCode < 300 && !isErrorEnvelope(body)) {
				// 2xx without an envelope: not the Planning API (a wrong Base URL, a proxy page).
				failure.status = statusCode;
				failure.body = { response: { status: 'ERROR', message: 'the answer was not a Planning API JSON envelope; check the Base URL' } };
			}
		}

		const status = failure.status;
		// No answer is worth retrying only for a network error; anything else (an invalid URL) fails the same again.
		const retryable = status === undefined ? failure.code !== undefined : status === 429 || status >= 500;
		if (paid || !retryable || attempt >= MAX_ATTEMPTS) throw planningError.call(this, failure, apiKey, itemIndex);
		const retryAfterSeconds = status === 429 ? parseRetryAfter(failure.retryAfter, Date.now()) : undefined;
		if (retryAfterSeconds !== undefined && retryAfterSeconds > MAX_RETRY_AFTER_SECONDS) {
			throw planningError.call(this, failure, apiKey, itemIndex);
		}
		const waitMs = backoffMs(attempt, retryAfterSeconds);
		// A retry that could not even begin before the deadline would only hold the poll past its budget.
		if (deadline !== undefined && Date.now() + waitMs + MIN_REQUEST_TIMEOUT_MS > deadline) {
			throw planningError.call(this, failure, apiKey, itemIndex);
		}
		await sleep(waitMs);
	}
}

export interface CountAnswer {
	count: number;
	creditsRemaining: number | undefined;
	serverDateTime: string | undefined;
}

export interface FetchAnswer extends CountAnswer {
	/** Applications as the API sent them. */
	applications: IDataObject[];
	/** Credits charged by this call. */
	consumed: number;
}

function optionalNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const numberValue = Number(value);
	return Number.isFinite(numberValue) ? numberValue : undefined;
}

function creditsOf(response: IDataObject): IDataObject {
	return (response.credits && typeof response.credits === 'object' ? response.credits : {}) as IDataObject;
}

/** Counts the applications matching `query` (return_data=0): free. */
export async function countApplications(
	this: PlanningContext,
	query: IDataObject,
	options: Pick<PlanningRequestOptions, 'itemIndex' | 'deadline' | 'timeoutMs'> = {},
): Promise<CountAnswer> {
	const { request, response } = await planningApiRequest.call(
		this,
		'search',
		{ ...query, return_data: '0' },
		{ paid: false, ...options },
	);
	return {
		count: optionalNumber(response.application_count) ?? 0,
		creditsRemaining: optionalNumber(creditsOf(response).remaining),
		serverDateTime: request.datetime === undefined ? undefined : String(request.datetime),
	};
}

/** Fetches the applications matching `query` (return_data=1): one credit per application, never retried. */
export async function fetchApplications(
	this: PlanningContext,
	query: IDataObject,
	options: Pick<PlanningRequestOptions, 'itemIndex' | 'deadline' | 'timeoutMs'> = {},
): Promise<FetchAnswer> {
	const { request, response } = await planningApiRequest.call(
		this,
		'search',
		{ ...query, return_data: '1' },
		{ paid: true, ...options },
	);
	const applications = Array.isArray(response.data) ? (response.data as IDataObject[]) : [];
	const credits = creditsOf(response);
	return {
		applications,
		count: optionalNumber(response.application_count) ?? applications.length,
		consumed: optionalNumber(credits.consumed) ?? applications.length,
		creditsRemaining: optionalNumber(credits.remaining),
		serverDateTime: request.datetime === undefined ? undefined : String(request.datetime),
	};
}

/** The authorities known to the API (`/lpas`, free). */
export async function listAuthorities(
	this: PlanningContext,
	options: { itemIndex?: number } = {},
): Promise<Array<{ id: string; name: string; applicationCount: number | undefined }>> {
	const { response } = await planningApiRequest.call(this, 'lpas', {}, { paid: false, itemIndex: options.itemIndex });
	const data = Array.isArray(response.data) ? (response.data as IDataObject[]) : [];
	return data
		.filter((lpa) => lpa && lpa.id !== undefined && lpa.id !== null)
		.map((lpa) => ({
			id: String(lpa.id),
			name: String(lpa.name ?? ''),
			applicationCount: optionalNumber(lpa.application_count),
		}));
}
