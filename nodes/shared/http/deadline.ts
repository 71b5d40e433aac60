/**
 * One wall-clock deadline per call, across its retries and the whole body: the HTTP core aborts the
 * request when it passes, whatever the socket is doing (a server that trickles a byte a second never
 * trips an idle-socket timeout).
 */

/** The Timeout option's default: a hung server holds a node this long at most. */
export const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
/** The Timeout option's minimum: a loopback or nearby API answers well within it. */
export const MIN_TIMEOUT_MS = 1000;
/** Uploads get this much more time per byte of their file: one second per 256 KiB (a slow 2 Mbit/s line). */
const UPLOAD_BYTES_PER_SECOND = 262_144;

/** Checks a Timeout option (ms): undefined means the default; anything else must be a number ≥ 1000. */
export function checkTimeout(value: unknown): { timeoutMs: number } | { problem: string } {
	if (value === undefined || value === null || value === '')
		return { timeoutMs: DEFAULT_TIMEOUT_MS };
	const timeoutMs = Number(value);
	if (!Number.isFinite(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS) {
		return {
			problem: `must be a number of milliseconds, at least ${MIN_TIMEOUT_MS} (got ${JSON.stringify(value)})`,
		};
	}
	return { timeoutMs: Math.floor(timeoutMs) };
}

/**
 * The moment a call must be over: `timeoutMs` from now (plus the upload allowance for `uploadBytes`),
 * and no later than `outerDeadlineMs` (a poll's budget), yet never less than the minimum from now.
 */
export function callDeadline(
	nowMs: number,
	timeoutMs: number | undefined,
	outerDeadlineMs?: number,
	uploadBytes = 0,
): number {
	const own =
		Math.max(MIN_TIMEOUT_MS, timeoutMs ?? DEFAULT_TIMEOUT_MS) + uploadAllowanceMs(uploadBytes);
	const end = Math.min(nowMs + own, outerDeadlineMs ?? Number.POSITIVE_INFINITY);
	return Math.max(nowMs + MIN_TIMEOUT_MS, end);
}

export function uploadAllowanceMs(bytes: number): number {
	return bytes > 0 ? Math.ceil(bytes / UPLOAD_BYTES_PER_SECOND) * 1000 : 0;
}

/** The size a download declares (Content-Length), or undefined when it declares none or nonsense. */
export function declaredLength(value: unknown): number | undefined {
	const text = Array.isArray(value) ? value[0] : value;
	if (typeof text !== 'string' && typeof text !== 'number') return undefined;
	const length = Number(text);
	return Number.isSafeInteger(length) && length >= 0 && String(text).trim() !== ''
		? length
		: undefined;
}

/**
 * When a streamed download must be over: the call's deadline, with the upload allowance for the size
 * the answer declared (none without a Content-Length: the Timeout alone then bounds it).
 */
export function downloadDeadline(
	startedMs: number,
	timeoutMs: number | undefined,
	outerDeadlineMs: number | undefined,
	declaredBytes: number | undefined,
): number {
	return callDeadline(startedMs, timeoutMs, outerDeadlineMs, declaredBytes ?? 0);
}
