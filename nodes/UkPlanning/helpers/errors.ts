/**
 * What a failed Planning API call means for a person, and keeping the API key out of it. Pure, so each
 * error path is tested directly; the transport turns the result into a NodeApiError.
 */

export interface FailedCall {
	/** e.g. "/search" */
	endpoint: string;
	/** Whether the call charges credits (return_data=1). */
	paid: boolean;
	/** HTTP status, absent when no answer came (network error). */
	status?: number;
	/** The parsed JSON body, or the text when it was not JSON. */
	body?: unknown;
	/** The Retry-After header as sent. */
	retryAfter?: string;
	/** Node's network error code (ECONNRESET, ETIMEDOUT, ...). */
	code?: string;
	/** The message of a failure that was neither an answer nor a network error. */
	detail?: string;
}

export interface Explained {
	message: string;
	description: string;
	httpCode?: string;
	/** Whether repeating the same call may succeed (only done for free calls). */
	retryable: boolean;
	/** Seconds the server asked us to wait, when it said. */
	retryAfterSeconds?: number;
}

const REDACTED = '***';

const KEY_PARAMETER = /([?&]key=)[^&\s"'#]+/gi;
const MAY_HOLD_KEY_PARAMETER = /key=/i;

function scrubWith(value: string, forms: string[]): string {
	let clean = value;
	// Plain searches first: this runs over every string of large answers, and most hold nothing.
	for (const form of forms) if (clean.includes(form)) clean = clean.split(form).join(REDACTED);
	if (MAY_HOLD_KEY_PARAMETER.test(clean)) clean = clean.replace(KEY_PARAMETER, `$1${REDACTED}`);
	return clean;
}

function secretForms(secret: string | undefined): string[] {
	if (!secret) return [];
	const encoded = encodeURIComponent(secret);
	return encoded === secret ? [secret] : [secret, encoded];
}

/** Removes the key, in plain and URL-encoded form, and any `key=` query value from a text. */
export function scrubText(value: string, secret: string | undefined): string {
	return scrubWith(value, secretForms(secret));
}

function scrubValue(value: unknown, secret: string | undefined, forms: string[]): unknown {
	if (typeof value === 'string') return scrubWith(value, forms);
	if (Array.isArray(value)) return value.map((entry) => scrubValue(entry, secret, forms));
	if (value && typeof value === 'object') {
		const copy: Record<string, unknown> = {};
		for (const [field, entry] of Object.entries(value as Record<string, unknown>)) {
			if (field === 'key' && secret && entry === secret) continue;
			copy[field] = scrubValue(entry, secret, forms);
		}
		return copy;
	}
	return value;
}

/** A deep copy of a JSON-like value with the key removed from every string and every `key` field. */
export function scrubDeep<T>(value: T, secret: string | undefined): T {
	return scrubValue(value, secret, secretForms(secret)) as T;
}

/** Seconds from a Retry-After header: delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
	if (header === undefined || header === null) return undefined;
	const textValue = String(header).trim();
	if (/^\d+(\.\d+)?$/.test(textValue)) return Math.ceil(Number(textValue));
	const at = Date.parse(textValue);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** `response.message` of an API envelope, or a short piece of a non-JSON body. */
export function serverMessage(body: unknown): string | undefined {
	if (body && typeof body === 'object') {
		const envelope = body as { response?: { message?: unknown }; message?: unknown; error?: unknown };
		const message = envelope.response?.message ?? envelope.message ?? envelope.error;
		if (typeof message === 'string' && message.trim()) return message.trim();
		return undefined;
	}
	if (typeof body === 'string' && body.trim()) {
		const textOnly = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
		return textOnly ? textOnly.slice(0, 200) : undefined;
	}
	return undefined;
}

/** True when the envelope says `status: "ERROR"`. */
export function isErrorEnvelope(body: unknown): boolean {
	if (!body || typeof body !== 'object') return false;
	const status = (body as { response?: { status?: unknown } }).response?.status;
	return typeof status === 'string' && status.toUpperCase() === 'ERROR';
}

function envelopeNumber(body: unknown, read: (response: Record<string, unknown>) => unknown): number | undefined {
	if (!body || typeof body !== 'object') return undefined;
	const response = (body as { response?: Record<string, unknown> }).response;
	if (!response || typeof response !== 'object') return undefined;
	const value = Number(read(response));
	return Number.isFinite(value) ? value : undefined;
}

const NETWORK_PROBLEMS: Record<string, string> = {
	ECONNRESET: 'the connection was dropped',
	ECONNREFUSED: 'the connection was refused',
	ETIMEDOUT: 'no answer in time',
	ESOCKETTIMEDOUT: 'no answer in time',
	ENOTFOUND: 'the host name is unknown',
	EAI_AGAIN: 'the host name could not be looked up',
	EPIPE: 'the connection was dropped',
	ECONNABORTED: 'the connection was aborted',
	EHOSTUNREACH: 'the host is unreachable',
};

const CHECK_CREDITS =
	'It is unknown whether the API charged credits for it: check Account → Get Credits before running it again.';

/** Explains a failed call. The result still needs scrubbing (server messages may echo the key). */
export function explainFailure(failure: FailedCall, nowMs: number): Explained {
	const said = serverMessage(failure.body);
	const call = `GET ${failure.endpoint}`;
	const status = failure.status;

	if (status === undefined) {
		// The code goes in the description: n8n replaces a message naming a network code with its own
		// generic "retry" text, wrong advice for a call that may have charged credits.
		const code = failure.code ? ` (${failure.code})` : failure.detail ? ` (${failure.detail})` : '';
		return {
			message: `The Planning API could not be reached: ${NETWORK_PROBLEMS[failure.code ?? ''] ?? 'network error'}`,
			description: failure.paid
				? `${call} got no answer${code}. ${CHECK_CREDITS}`
				: `${call} got no answer${code}, also after retrying. Check the Base URL of the UK Planning API credential and the network.`,
			retryable: true,
		};
	}
	if (status === 403) {
		return {
			message: 'The Planning API rejected the API key',
			description: `${said ? `The API said: ${said}. ` : ''}Check the API key of the UK Planning API credential, or create one with Account → Generate Key.`,
			httpCode: '403',
			retryable: false,
		};
	}
	if (status === 429) {
		const seconds = parseRetryAfter(failure.retryAfter, nowMs);
		const wait = seconds === undefined ? 'a little while' : `${seconds} second${seconds === 1 ? '' : 's'}`;
		return {
			message: `The Planning API is limiting requests (HTTP 429): try again after ${wait}`,
			description: failure.paid
				? `${call} was refused before it ran, so nothing was charged; it is not repeated automatically because it charges credits. Try again after ${wait}.`
				: `${call} was refused repeatedly. Try again after ${wait}, or run fewer searches at once.`,
			httpCode: '429',
			retryable: true,
			retryAfterSeconds: seconds,
		};
	}
	if (status >= 500) {
		return {
			message: `The Planning API had a server error (HTTP ${status})`,
			description: failure.paid
				? `${call} failed on the server${said ? ` (${said})` : ''}. ${CHECK_CREDITS}`
				: `${call} failed on the server${said ? ` (${said})` : ''}, also after retrying. Try again later.`,
			httpCode: String(status),
			retryable: true,
		};
	}
	if (status === 400) {
		return {
			message: `The Planning API refused the search: ${said ?? 'bad request'}`,
			description: `${call} answered 400 Bad Request. Check the filter it names.`,
			httpCode: '400',
			retryable: false,
		};
	}
	if (isErrorEnvelope(failure.body)) {
		const count = envelopeNumber(failure.body, (response) => response.application_count);
		const remaining = envelopeNumber(failure.body, (response) => (response.credits as Record<string, unknown>)?.remaining);
		if (said && /credit/i.test(said)) {
			const needs = count === undefined ? '' : ` The search matches ${count} application${count === 1 ? '' : 's'} (${count} credits)`;
			const has = remaining === undefined ? '' : `${needs ? ', the key has' : ' The key has'} ${remaining} left.`;
			return {
				message: `Not enough credits: ${said}`,
				description: `${needs}${needs && !has ? '.' : ''}${has} Nothing was charged. Top up with Account → Get Top-Up Link, or narrow the search.`.trim(),
				httpCode: String(status),
				retryable: false,
			};
		}
		return {
			message: `The Planning API returned an error: ${said ?? 'no message'}`,
			description: `${call} answered with status ERROR.`,
			httpCode: String(status),
			retryable: false,
		};
	}
	return {
		message: `The Planning API answered HTTP ${status}${said ? `: ${said}` : ''}`,
		description: `${call} did not succeed.`,
		httpCode: String(status),
		retryable: false,
	};
}
