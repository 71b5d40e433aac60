/**
 * The one place where both nodes and the trigger talk HTTP. Each call states its retry policy, runs
 * under one wall-clock deadline (an abort signal, across retries and the whole body), follows redirects
 * only within the origin it was sent to, checks the answer before handing it over, and fails with a
 * NodeApiError built from scratch and scrubbed of the key (n8n's own request errors carry the request
 * config, with the key in its headers or query string).
 *
 * Over 350 lines on purpose: one call's path (attempts, redirects, deadline, body, error) reads in order
 * here; its pure parts live beside it (policy, deadline, answer, scrub, failure, describe).
 */
import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type IPollFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { conditionalHeaders, errorBody, parseJson, type Validators } from './answer';
import { callDeadline, declaredLength, downloadDeadline } from './deadline';
import type { Explained, FailureReport } from './describe';
import { cutOffStatus, firstInCauses, type CallFailure } from './failure';
import { decideRetry, outcomeUnknown, parseRetryAfter, type RetryPolicy } from './policy';
import { scrubText } from './scrub';

export type HttpContext = IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions;

/** A service: where its credential is, and how its failures read to a person. */
export interface Service<Scope> {
	/** For messages: "DataPress", "The Planning API". */
	name: string;
	credentialType: string;
	/** The credential's display name, for a missing key. */
	credentialName: string;
	defaultBaseUrl: string;
	explain: (report: FailureReport<Scope>) => Explained;
}

/** A body streamed from a file, opened afresh for each attempt. */
export interface StreamedBody {
	open: () => Promise<unknown>;
	contentType: string;
	contentLength: number;
}

export interface HttpCall<Scope> {
	method: IHttpRequestMethods;
	/** Under the credential's Base URL, with every segment from user input encoded (see `pathSegment`). */
	path: string;
	/**
	 * An absolute URL the service named (an upload's chunk address, a storage host). With the credential it
	 * must be on the Base URL's origin, else the call fails before sending: the key goes nowhere else.
	 */
	absoluteUrl?: string;
	qs?: IDataObject;
	headers?: Record<string, string>;
	json?: IDataObject | IDataObject[];
	stream?: StreamedBody;
	/** No default, on purpose: see RetryPolicy. */
	retry: RetryPolicy;
	/** Send the credential (default). Off for the storage host and for calls that work without a key. */
	authenticate?: boolean;
	/**
	 * `json`: a 2xx must carry JSON that `check` accepts. `any`: the body is returned as text. `stream`: a
	 * 2xx body is handed over unread as `download` (n8n's `encoding: 'stream'`), still under the deadline.
	 */
	expect: 'json' | 'any' | 'stream';
	/**
	 * The validators of the answer the caller already holds (a GET it read before): sent as If-None-Match
	 * or If-Modified-Since, and a 304 is then an answer (status 304, no body), neither an error nor retried.
	 * Without them a 304 is what it always was: a redirect without a Location.
	 */
	conditional?: Validators;
	/** Error statuses that are an answer for this call (a 404 that says "not here"), returned, not thrown. */
	accept?: number[];
	/** Says what is wrong with a parsed 2xx answer, or undefined when it is what the endpoint returns. */
	check?: (value: unknown) => string | undefined;
	/** A 2xx answer that is really an API error (the Planning API's `status: "ERROR"`). */
	isErrorAnswer?: (value: unknown) => boolean;
	/** `sameOrigin`: follow redirects within the origin (GET only). `return`: hand the 3xx to the caller. */
	redirects: 'sameOrigin' | 'return';
	/** The node's Timeout option (ms); the default applies when absent. */
	timeoutMs?: number;
	/** An outer deadline (epoch ms), e.g. the end of a poll's budget. */
	deadlineMs?: number;
	/** The longest wait for one attempt, when shorter than the call's deadline: a slow attempt of a free call is then retried. */
	attemptTimeoutMs?: number;
	/** Bytes uploaded by this call, which earn it more time. */
	uploadBytes?: number;
	/** Told of each failure that is about to be retried (a caller with requests in parallel backs off). */
	onRetry?: (failure: CallFailure) => void;
	itemIndex?: number;
	scope: Scope;
}

export interface HttpAnswer {
	status: number;
	headers: Record<string, unknown>;
	/** Parsed JSON with `expect: 'json'`, else the text. */
	body: unknown;
	/** A redirect's absolute target, scrubbed of the key, with `redirects: 'return'`. */
	location?: string;
	/** The key in use, for callers that must scrub a request echo. */
	secrets: string[];
	/** With `expect: 'stream'`: the body, unread. */
	download?: Download;
}

/** What n8n's binary helpers take as a stream (a Node Readable), named without importing `stream`. */
export type BinaryStream = Exclude<
	Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0],
	Buffer
>;

/** A streamed 2xx body. Whoever reads it must pass a failure of that read to `failed`. */
export interface Download {
	stream: BinaryStream;
	/** Content-Length, when the server declared one. */
	declaredBytes?: number;
	contentType?: string;
	/**
	 * The error to throw when reading the body failed: the deadline, or a dropped connection, worded as
	 * every other failure. The reader's own error is never shown: n8n's carries the request's headers.
	 */
	failed: (error: unknown) => NodeApiError;
}

const MAX_SAME_ORIGIN_REDIRECTS = 5;

interface Connection {
	baseUrl: string;
	apiKey: string;
}

async function connection(
	context: HttpContext,
	service: Service<unknown>,
	authenticate: boolean,
	itemIndex?: number,
): Promise<Connection> {
	const credentials = authenticate
		? await context.getCredentials(service.credentialType)
		: await context.getCredentials(service.credentialType).catch(() => undefined);
	const apiKey = String(credentials?.apiKey ?? '').trim();
	if (authenticate && apiKey === '') {
		throw new NodeOperationError(
			context.getNode(),
			`The ${service.credentialName} credential has no API key`,
			{
				itemIndex,
				description: 'Enter the API key in the credential.',
			},
		);
	}
	return {
		baseUrl: String(credentials?.baseUrl || service.defaultBaseUrl)
			.trim()
			.replace(/\/+$/, ''),
		apiKey,
	};
}

function stringQuery(qs: IDataObject | undefined): IDataObject | undefined {
	if (!qs) return undefined;
	const clean: IDataObject = {};
	for (const [name, value] of Object.entries(qs)) {
		if (name === 'key' || value === undefined || value === null || value === '') continue;
		clean[name] = String(value);
	}
	return clean;
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
	const value = headers[name];
	if (value === undefined || value === null) return undefined;
	return Array.isArray(value) ? String(value[0]) : String(value);
}

function bodyText(body: unknown): string {
	if (typeof body === 'string') return body;
	if (body === undefined || body === null) return '';
	if (Buffer.isBuffer(body)) return body.toString('utf8');
	// An n8n whose HTTP client ignores `encoding` parses JSON itself; give the text back for our own check.
	return JSON.stringify(body);
}

/** Node's network error code (ECONNRESET, ...) from an error chain, without keeping the error. */
function networkCode(error: unknown): string | undefined {
	return firstInCauses(error, ({ code }) =>
		typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')
			? code
			: undefined,
	);
}

function errorDetail(error: unknown): string {
	const message = (error as Error | undefined)?.message;
	return typeof message === 'string' && message ? message : 'unknown error';
}

/**
 * n8n-core's httpRequestWithAuthentication replaces a request's abortSignal with the context's
 * execution cancel signal; a context that hands out the call's own signal keeps the deadline in force.
 */
function withCancelSignal<T extends HttpContext>(context: T, signal: AbortSignal): T {
	return Object.create(context, { getExecutionCancelSignal: { value: () => signal } }) as T;
}

function executionCancelSignal(context: HttpContext): AbortSignal | undefined {
	const getter = (context as Partial<IExecuteFunctions>).getExecutionCancelSignal;
	return typeof getter === 'function' ? getter.call(context) : undefined;
}

type Received = {
	status: number;
	headers: Record<string, unknown>;
	text: string;
	stream?: BinaryStream;
	watchdog?: Watchdog;
};
type Attempt = { answer: Received } | { failure: CallFailure };

/**
 * The deadline of a streamed call: it aborts the request when its time is up, and its time may be moved
 * (a download gets the upload allowance for its declared size once the headers are in). Timers are
 * AbortSignal.timeout's (setTimeout is not for community nodes), re-armed when the deadline moved.
 */
class Watchdog {
	private readonly controller = new AbortController();
	private stopped = false;
	private onExpiry: (() => void) | undefined;

	constructor(private deadlineMs: number) {
		this.arm();
	}

	get signal(): AbortSignal {
		return this.controller.signal;
	}

	get expired(): boolean {
		return this.controller.signal.aborted;
	}

	/** Moves the deadline; `onExpiry` runs just before the abort. */
	moveTo(deadlineMs: number, onExpiry?: () => void): void {
		this.deadlineMs = deadlineMs;
		if (onExpiry) this.onExpiry = onExpiry;
	}

	stop(): void {
		this.stopped = true;
	}

	private arm(): void {
		if (this.stopped || this.expired) return;
		const wait = this.deadlineMs - Date.now();
		if (wait <= 0) {
			this.onExpiry?.();
			this.controller.abort();
			return;
		}
		AbortSignal.timeout(wait).addEventListener('abort', () => this.arm(), { once: true });
	}
}

/** The start of an error body read from a stream (an error page needs no more), then the rest dropped. */
async function readErrorText(stream: BinaryStream): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of stream as AsyncIterable<Buffer | string>) {
		const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
		chunks.push(buffer);
		size += buffer.length;
		if (size >= 65_536) break;
	}
	stream.destroy();
	return Buffer.concat(chunks).toString('utf8');
}

async function sendOnce(
	context: HttpContext,
	service: Service<unknown>,
	call: HttpCall<unknown>,
	url: string,
	deadlineMs: number,
	startedMs: number,
): Promise<Attempt> {
	const untilDeadline = deadlineMs - Date.now();
	if (untilDeadline <= 0)
		return { failure: { kind: 'timeout', timeoutMs: deadlineMs - startedMs } };
	const remaining = Math.min(untilDeadline, call.attemptTimeoutMs ?? Number.POSITIVE_INFINITY);
	const timeoutMs = remaining < untilDeadline ? remaining : deadlineMs - startedMs;
	const streamed = call.expect === 'stream';
	// A streamed body outlives this function, and its deadline may move: it gets a watchdog of its own.
	const watchdog = streamed ? new Watchdog(Date.now() + remaining) : undefined;
	const deadlineSignal = watchdog ? watchdog.signal : AbortSignal.timeout(remaining);
	const cancel = executionCancelSignal(context);
	const signal = cancel ? AbortSignal.any([deadlineSignal, cancel]) : deadlineSignal;
	const options: IHttpRequestOptions = {
		method: call.method,
		url,
		headers: {
			Accept: streamed ? '*/*' : 'application/json',
			...conditionalHeaders(call.conditional),
			...call.headers,
		},
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		// Redirects are followed here, where the origin is checked, never by the HTTP client.
		disableFollowRedirect: true,
		encoding: streamed ? 'stream' : 'text',
		json: false,
		abortSignal: signal,
	};
	const qs = stringQuery(call.qs);
	if (qs) options.qs = qs;
	if (call.json !== undefined) {
		// Sent as text: n8n drops an empty object or array body.
		options.body = JSON.stringify(call.json);
		options.headers = { ...options.headers, 'Content-Type': 'application/json' };
	} else if (call.stream) {
		options.body = (await call.stream.open()) as IDataObject;
		options.headers = {
			...options.headers,
			'Content-Type': call.stream.contentType,
			'Content-Length': String(call.stream.contentLength),
		};
	}
	try {
		const raw = (
			call.authenticate === false
				? await context.helpers.httpRequest(options)
				: await context.helpers.httpRequestWithAuthentication.call(
						withCancelSignal(context, signal),
						service.credentialType,
						options,
					)
		) as { statusCode?: unknown; headers?: unknown; body?: unknown };
		const status = Number(raw.statusCode);
		const headers = (raw.headers && typeof raw.headers === 'object' ? raw.headers : {}) as Record<
			string,
			unknown
		>;
		if (watchdog) {
			const stream = raw.body as BinaryStream;
			if (status >= 200 && status < 300)
				return { answer: { status, headers, text: '', stream, watchdog } };
			const text = await readErrorText(stream);
			watchdog.stop();
			return { answer: { status, headers, text } };
		}
		return { answer: { status, headers, text: bodyText(raw.body) } };
	} catch (error) {
		watchdog?.stop();
		if (cancel?.aborted) return { failure: { kind: 'cancelled' } };
		if (deadlineSignal.aborted) return { failure: { kind: 'timeout', timeoutMs } };
		const code = networkCode(error);
		if (code) return { failure: { kind: 'network', code } };
		// A body cut off in transfer: retried like a dropped connection when the call's policy allows.
		const cutStatus = cutOffStatus(error);
		if (cutStatus !== undefined) {
			return {
				failure: {
					kind: 'answer',
					status: cutStatus,
					problem: 'truncated',
					detail: 'an answer cut off before its end',
				},
			};
		}
		return { failure: { kind: 'local', detail: errorDetail(error) } };
	}
}

/** What a received answer means: a result, a redirect to follow, or a failure. */
function readAnswer(
	call: HttpCall<unknown>,
	answer: { status: number; headers: Record<string, unknown>; text: string },
	url: string,
	secrets: string[],
): { result: HttpAnswer } | { follow: string; status: number } | { failure: CallFailure } {
	const { status, headers, text } = answer;
	if (status === 304 && (call.conditional?.etag || call.conditional?.lastModified))
		return { result: { status, headers, body: undefined, secrets } };
	if (status >= 300 && status < 400) {
		const location = header(headers, 'location');
		let target: URL | undefined;
		try {
			target = location === undefined ? undefined : new URL(location, url);
		} catch {
			target = undefined;
		}
		const shown = scrubText(target?.toString() ?? String(location ?? '(no Location)'), secrets);
		if (call.redirects === 'return')
			return { result: { status, headers, body: text, location: shown, secrets } };
		const crossOrigin = target !== undefined && target.origin !== new URL(url).origin;
		if (target && !crossOrigin && call.method === 'GET')
			return { follow: target.toString(), status };
		return {
			failure: {
				kind: 'redirect',
				status,
				location: crossOrigin ? scrubText(target?.origin ?? '', secrets) : shown,
				crossOrigin,
			},
		};
	}
	if (call.accept?.includes(status))
		return { result: { status, headers, body: errorBody(text), secrets } };
	if (status < 200 || status >= 300) {
		const retryAfter = parseRetryAfter(header(headers, 'retry-after'), Date.now());
		const failure: CallFailure = { kind: 'status', status, body: errorBody(text) };
		if (retryAfter !== undefined) failure.retryAfterSeconds = retryAfter;
		return { failure };
	}
	if (call.expect === 'any' || call.expect === 'stream')
		return { result: { status, headers, body: text, secrets } };
	const parsed = parseJson(text);
	if (!parsed.ok)
		return { failure: { kind: 'answer', status, problem: parsed.problem, detail: parsed.detail } };
	if (call.isErrorAnswer?.(parsed.value))
		return { failure: { kind: 'status', status, body: parsed.value } };
	const wrong = call.check?.(parsed.value);
	if (wrong !== undefined) {
		return { failure: { kind: 'answer', status, problem: 'shape', detail: wrong } };
	}
	return { result: { status, headers, body: parsed.value, secrets } };
}

/** Builds the error a person sees: the service's words, scrubbed, in a NodeApiError holding nothing else. */
export function callError(
	context: HttpContext,
	service: Service<unknown>,
	report: FailureReport<unknown>,
	secrets: string[],
	itemIndex: number | undefined,
): NodeApiError {
	const explained = service.explain(report);
	const message = scrubText(explained.message, secrets);
	const description = scrubText(explained.description, secrets);
	const response: JsonObject = { message, description };
	if (explained.httpCode) response.httpCode = explained.httpCode;
	const error = new NodeApiError(context.getNode(), response, {
		message,
		description,
		httpCode: explained.httpCode,
		itemIndex,
	});
	// NodeApiError swaps some messages (network codes, common statuses) for generic texts; ours are specific.
	error.message = message;
	return error;
}

export async function httpCall<Scope>(
	context: HttpContext,
	service: Service<Scope>,
	call: HttpCall<Scope>,
): Promise<HttpAnswer> {
	const authenticate = call.authenticate !== false;
	const { baseUrl, apiKey } = await connection(
		context,
		service as Service<unknown>,
		authenticate,
		call.itemIndex,
	);
	const secrets = [apiKey];
	const startedMs = Date.now();
	const deadlineMs = callDeadline(startedMs, call.timeoutMs, call.deadlineMs, call.uploadBytes);
	let url = call.absoluteUrl ?? `${baseUrl}${call.path}`;
	if (call.absoluteUrl !== undefined && authenticate && !sameOrigin(call.absoluteUrl, baseUrl)) {
		const failure: CallFailure = {
			kind: 'foreignUrl',
			origin: scrubText(originOf(call.absoluteUrl), secrets),
		};
		throw callError(
			context,
			service as Service<unknown>,
			report(call, url, failure, 0, 'final'),
			secrets,
			call.itemIndex,
		);
	}
	let redirectsLeft = MAX_SAME_ORIGIN_REDIRECTS;
	for (let attempt = 1; ; attempt++) {
		const sent = await sendOnce(
			context,
			service as Service<unknown>,
			call as HttpCall<unknown>,
			url,
			deadlineMs,
			startedMs,
		);
		const outcome =
			'failure' in sent ? sent : readAnswer(call as HttpCall<unknown>, sent.answer, url, secrets);
		if ('result' in outcome) {
			if ('answer' in sent && sent.answer.stream && sent.answer.watchdog) {
				const stream = { stream: sent.answer.stream, watchdog: sent.answer.watchdog };
				outcome.result.body = undefined;
				outcome.result.download = streamedBody(
					context,
					service as Service<unknown>,
					call as HttpCall<unknown>,
					url,
					outcome.result.headers,
					stream,
					attempt,
					startedMs,
					secrets,
				);
			}
			return outcome.result;
		}
		if ('follow' in outcome) {
			if (redirectsLeft-- > 0) {
				url = outcome.follow;
				attempt--;
				continue;
			}
			const failure: CallFailure = {
				kind: 'redirect',
				status: outcome.status,
				location: scrubText(outcome.follow, secrets),
				crossOrigin: false,
			};
			throw callError(
				context,
				service as Service<unknown>,
				report(call, url, failure, attempt, 'final'),
				secrets,
				call.itemIndex,
			);
		}
		const decision = decideRetry({
			policy: call.retry,
			failure: outcome.failure,
			attempt,
			nowMs: Date.now(),
			deadlineMs,
		});
		if (decision.retry) {
			call.onRetry?.(outcome.failure);
			await sleep(decision.waitMs);
			continue;
		}
		throw callError(
			context,
			service as Service<unknown>,
			report(call, url, outcome.failure, attempt, decision.why),
			secrets,
			call.itemIndex,
		);
	}
}

/**
 * Hands a 2xx body over for reading, with its deadline moved to allow for its declared size, as an
 * upload's is for its file. When the deadline passes the body is destroyed with the timeout error, so
 * a reader that is trickled to stops there; a connection dropped mid-body reads as cut off.
 */
function streamedBody(
	context: HttpContext,
	service: Service<unknown>,
	call: HttpCall<unknown>,
	url: string,
	headers: Record<string, unknown>,
	received: { stream: BinaryStream; watchdog: Watchdog },
	attempts: number,
	startedMs: number,
	secrets: string[],
): Download {
	const { stream, watchdog } = received;
	const declaredBytes = declaredLength(headers['content-length']);
	const fail = (failure: CallFailure) =>
		callError(
			context,
			service,
			report(call, url, failure, attempts, 'final'),
			secrets,
			call.itemIndex,
		);
	const deadlineMs = downloadDeadline(startedMs, call.timeoutMs, call.deadlineMs, declaredBytes);
	const timeout = () => fail({ kind: 'timeout', timeoutMs: deadlineMs - startedMs });
	// Destroyed with our own error before the abort, so that the reader never sees the HTTP client's.
	watchdog.moveTo(deadlineMs, () => stream.destroy(timeout()));
	stream.once('close', () => watchdog.stop());
	return {
		stream,
		declaredBytes,
		contentType: header(headers, 'content-type'),
		failed: (error: unknown) => {
			watchdog.stop();
			if (!stream.destroyed) stream.destroy();
			if (error instanceof NodeApiError) return error;
			if (watchdog.expired) return timeout();
			const code = networkCode(error);
			return fail(
				code
					? { kind: 'network', code }
					: {
							kind: 'answer',
							status: 200,
							problem: 'truncated',
							detail: 'a download cut off before its end',
						},
			);
		},
	};
}

function originOf(url: string): string {
	try {
		return new URL(url).origin;
	} catch {
		return url;
	}
}

function sameOrigin(url: string, baseUrl: string): boolean {
	return originOf(url) === originOf(baseUrl);
}

function report<Scope>(
	call: HttpCall<Scope>,
	url: string,
	failure: CallFailure,
	attempts: number,
	stopped: FailureReport<Scope>['stopped'],
): FailureReport<Scope> {
	let path = call.path;
	try {
		path = new URL(url).pathname;
	} catch {
		// an unparsable URL keeps the call's own path
	}
	return {
		failure,
		method: call.method,
		path,
		attempts,
		stopped,
		outcomeUnknown: outcomeUnknown(failure, call.retry),
		scope: call.scope,
	};
}
