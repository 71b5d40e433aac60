/** What went wrong with one call, as plain data: the HTTP core fills it in, services explain it. */

export type AnswerProblem = 'empty' | 'html' | 'truncated' | 'notJson' | 'shape';

export type CallFailure =
	/** The server answered with an error status. `body` is the parsed JSON, or the text when not JSON. */
	| { kind: 'status'; status: number; body: unknown; retryAfterSeconds?: number }
	/** No answer: Node's network error code (ECONNRESET, ECONNREFUSED, ...). */
	| { kind: 'network'; code: string }
	/** The call's deadline passed before its answer was complete. */
	| { kind: 'timeout'; timeoutMs: number }
	/** The execution was cancelled while the call ran. */
	| { kind: 'cancelled' }
	/** A success status whose body is not what the endpoint returns. */
	| { kind: 'answer'; status: number; problem: AnswerProblem; detail: string }
	/** A redirect that is not followed: to another origin, or one that would resend a body. */
	| { kind: 'redirect'; status: number; location: string; crossOrigin: boolean }
	/** The service named an address on another origin for a request that carries the key: not sent. */
	| { kind: 'foreignUrl'; origin: string }
	/** The request could not be made at all (an invalid Base URL, say). */
	| { kind: 'local'; detail: string };

/** Network errors raised before any byte reached a server. */
const NEVER_CONNECTED = [
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EADDRNOTAVAIL',
];

export function connectionNeverMade(code: string): boolean {
	return NEVER_CONNECTED.includes(code);
}

const NETWORK_PROBLEMS: Record<string, string> = {
	ECONNRESET: 'the connection was dropped',
	EPIPE: 'the connection was dropped',
	ECONNREFUSED: 'the connection was refused',
	ECONNABORTED: 'the connection was aborted',
	ENOTFOUND: 'the host name is unknown',
	EAI_AGAIN: 'the host name could not be looked up',
	EHOSTUNREACH: 'the host is unreachable',
	ENETUNREACH: 'the network is unreachable',
};

export function networkProblem(code: string): string {
	return NETWORK_PROBLEMS[code] ?? `network error ${code}`;
}

type ErrorLink = {
	code?: unknown;
	message?: unknown;
	response?: { status?: unknown };
	cause?: unknown;
};

/** The first defined value `pick` finds along an error and its causes (HTTP clients wrap the real one). */
export function firstInCauses<T>(
	error: unknown,
	pick: (link: ErrorLink) => T | undefined,
): T | undefined {
	let current = error as ErrorLink | undefined;
	for (let depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
		const found = pick(current);
		if (found !== undefined) return found;
		current = current.cause as ErrorLink | undefined;
	}
	return undefined;
}

/**
 * The status of an answer whose body was cut off in transfer, read from the HTTP client's error, or
 * undefined when the error is something else. n8n's client (axios) reports a connection closed before the
 * body's end as "stream has been aborted" (ERR_BAD_RESPONSE), with the answer's head attached: no network
 * code, although it is a transport accident as much as a dropped connection.
 */
export function cutOffStatus(error: unknown): number | undefined {
	return firstInCauses(error, (link) => {
		const message = typeof link.message === 'string' ? link.message : '';
		const aborted =
			/^stream has been aborted$/i.test(message) ||
			(link.code === 'ERR_BAD_RESPONSE' && /aborted/i.test(message));
		if (!aborted) return undefined;
		const status = Number(link.response?.status);
		return Number.isInteger(status) && status >= 200 && status < 600 ? status : 200;
	});
}
