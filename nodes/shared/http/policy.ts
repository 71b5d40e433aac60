/**
 * When a failed call is sent again. Pure: the HTTP core asks `decideRetry` after every failed attempt.
 *
 * Every call names its policy; there is no default, because a wrong default either gives up on a read
 * that would have worked or repeats a change or a charge.
 */
import type { CallFailure } from './failure';
import { connectionNeverMade } from './failure';

export type RetryPolicy =
	/**
	 * Idempotent or free: retried after 429, 500, 502, 503, 504, a network error, a slow attempt or a
	 * truncated answer.
	 */
	| 'safe'
	/**
	 * Changes or charges something, and the service refuses what it will not run with a 429 or a 503
	 * carrying Retry-After (each use says why): retried after those and after connections never made. Any
	 * other server error may come after the request ran, so it is not repeated.
	 */
	| 'refusalsOnly'
	/** Changes or charges something: retried only when the server surely did not run it (429, no connection). */
	| 'never';

/** Attempts of one call at most (the first and three retries). */
export const MAX_ATTEMPTS = 4;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8000;
/** A Retry-After longer than this is not waited for: the error says when to try again instead. */
export const MAX_RETRY_AFTER_SECONDS = 30;
/** No retry begins unless at least this much of the deadline is left for it. */
export const MIN_ATTEMPT_MS = 1000;

const TRANSIENT_STATUSES = [429, 500, 502, 503, 504];

export type RetryDecision =
	| { retry: true; waitMs: number }
	| {
			retry: false;
			/**
			 * final: retrying cannot help (a 4xx, an HTML page); policy: the call may have run, so it is not
			 * repeated; attempts: all were used; deadline: no time left; retryAfter: the server asked for a
			 * longer wait than MAX_RETRY_AFTER_SECONDS.
			 */
			why: 'final' | 'policy' | 'attempts' | 'deadline' | 'retryAfter';
	  };

/** Seconds from a Retry-After header: delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
	if (header === undefined || header === null) return undefined;
	const textValue = String(header).trim();
	if (/^\d+(\.\d+)?$/.test(textValue)) return Math.ceil(Number(textValue));
	const at = Date.parse(textValue);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export function backoffMs(attempt: number): number {
	return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}

/** Whether the same request may succeed when sent again a little later. */
function isTransient(failure: CallFailure): boolean {
	switch (failure.kind) {
		case 'status':
			return TRANSIENT_STATUSES.includes(failure.status);
		case 'network':
		case 'timeout':
			// A timeout here is one attempt's: the call's own deadline leaves no time for another anyway.
			return true;
		case 'answer':
			// A cut-off body is a transport accident; an HTML page or a wrong shape would come back the same.
			return failure.problem === 'truncated';
		default:
			return false;
	}
}

/**
 * Whether a call that changes or charges something may have had its effect although it failed: the
 * request may have reached the server and its answer was lost, unusable or an error that can come after
 * the work was done (a 5xx the call's policy does not count as a refusal).
 */
export function outcomeUnknown(failure: CallFailure, policy: RetryPolicy): boolean {
	if (policy === 'safe') return false;
	switch (failure.kind) {
		case 'timeout':
		case 'cancelled':
		case 'answer':
			return true;
		case 'network':
			return !connectionNeverMade(failure.code);
		case 'status':
			return failure.status >= 500 && !surelyNotRun(failure, policy);
		default:
			return false;
	}
}

/** Whether the server surely did not run the request, so that even a `never` call may be repeated. */
export function surelyNotRun(failure: CallFailure, policy: RetryPolicy): boolean {
	if (failure.kind === 'status' && failure.status === 429) return true;
	if (failure.kind === 'network' && connectionNeverMade(failure.code)) return true;
	return (
		policy === 'refusalsOnly' &&
		failure.kind === 'status' &&
		failure.status === 503 &&
		failure.retryAfterSeconds !== undefined
	);
}

export interface RetryInput {
	policy: RetryPolicy;
	failure: CallFailure;
	/** Attempts made so far, this one included. */
	attempt: number;
	nowMs: number;
	deadlineMs: number;
}

export function decideRetry({
	policy,
	failure,
	attempt,
	nowMs,
	deadlineMs,
}: RetryInput): RetryDecision {
	if (!isTransient(failure)) return { retry: false, why: 'final' };
	if (policy !== 'safe' && !surelyNotRun(failure, policy)) return { retry: false, why: 'policy' };
	const retryAfter = failure.kind === 'status' ? failure.retryAfterSeconds : undefined;
	if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_SECONDS)
		return { retry: false, why: 'retryAfter' };
	if (attempt >= MAX_ATTEMPTS) return { retry: false, why: 'attempts' };
	const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(attempt);
	// A retry that could not get a fair chance before the deadline would only hold the caller past it.
	if (nowMs + waitMs + MIN_ATTEMPT_MS > deadlineMs) return { retry: false, why: 'deadline' };
	return { retry: true, waitMs };
}
