/** Pure pieces of error handling: reading failed answers, backoff, and keeping the key out of text. */

export interface FailedAnswer {
	status?: number;
	/** Parsed JSON body, or the raw text (storage answers XML). */
	body?: unknown;
	retryAfter?: string;
	/** Network error code (ECONNRESET, ...) when there was no answer. */
	code?: string;
	message?: string;
}

/** Replaces every occurrence of the secret in a text, so no error or output can carry it. */
export function scrubSecret(text: string, secret: string | undefined): string {
	if (!secret || secret.length < 4) return text;
	return text.split(secret).join('***');
}

/** The messages a DataPress error body carries: `{error}` or, for validation, `{errors: [...]}`. */
export function apiErrorMessages(body: unknown): string[] {
	if (!body) return [];
	if (typeof body === 'string') return body.trim() ? [body.trim().slice(0, 500)] : [];
	if (typeof body !== 'object') return [];
	const record = body as Record<string, unknown>;
	const messages: string[] = [];
	if (Array.isArray(record.errors)) {
		for (const entry of record.errors) {
			messages.push(typeof entry === 'string' ? entry : JSON.stringify(entry));
		}
	}
	if (typeof record.error === 'string') messages.push(record.error);
	else if (record.error && typeof record.error === 'object') {
		const nested = (record.error as Record<string, unknown>).message;
		if (typeof nested === 'string') messages.push(nested);
	}
	if (!messages.length && typeof record.message === 'string') messages.push(record.message);
	return messages;
}

/** S3-style XML error: `<Error><Code>EntityTooLarge</Code><Message>...</Message></Error>`. */
export function parseStorageError(body: unknown): { code?: string; message?: string } {
	const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
	const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
	const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
	return { code, message };
}

export const RETRYABLE_STATUSES = [429, 500, 502, 503, 504];
const RETRYABLE_CODES = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN'];

export function isRetryable(answer: FailedAnswer): boolean {
	if (answer.status !== undefined) return RETRYABLE_STATUSES.includes(answer.status);
	return answer.code !== undefined && RETRYABLE_CODES.includes(answer.code);
}

/** Wait before retry `attempt` (1-based): Retry-After when given (capped), else exponential backoff. */
export function retryDelayMs(attempt: number, retryAfter?: string, capMs = 30_000): number {
	if (retryAfter !== undefined && retryAfter !== '') {
		const seconds = Number(retryAfter);
		if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, capMs);
		const date = Date.parse(retryAfter);
		if (!Number.isNaN(date)) return Math.min(Math.max(date - Date.now(), 0), capMs);
	}
	return Math.min(250 * 2 ** (attempt - 1), capMs);
}
