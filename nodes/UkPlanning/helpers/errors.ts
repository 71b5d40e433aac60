/**
 * What a failed Planning API call means for a person. Pure, so each error path is tested directly; the
 * HTTP core scrubs the key from the result and raises it as a NodeApiError.
 */
import {
	attemptsNote,
	callName,
	excerpt,
	explainWith,
	MAX_RETRY_AFTER_SECONDS,
	type Explained,
	type FailureReport,
} from '../../shared/http';

export interface PlanningScope {
	/** The call charges credits (search with return_data=1). */
	paid: boolean;
	/** What the request's query string holds, for a 431 (e.g. the keyword filter). */
	longestParameter?: string;
	/** How to check whether a call that creates something took effect when its answer was lost. */
	howToCheck?: string;
}

export const SERVICE_NAME = 'The Planning API';

/** `response.message` of an API envelope, or a short piece of a non-JSON body. */
export function serverMessage(body: unknown): string | undefined {
	if (body && typeof body === 'object') {
		const envelope = body as {
			response?: { message?: unknown };
			message?: unknown;
			error?: unknown;
		};
		const message = envelope.response?.message ?? envelope.message ?? envelope.error;
		if (typeof message === 'string' && message.trim()) return message.trim();
		return undefined;
	}
	if (typeof body === 'string' && body.trim()) return excerpt(body) || undefined;
	return undefined;
}

/** True when the envelope says `status: "ERROR"`. */
export function isErrorEnvelope(body: unknown): boolean {
	if (!body || typeof body !== 'object') return false;
	const status = (body as { response?: { status?: unknown } }).response?.status;
	return typeof status === 'string' && status.toUpperCase() === 'ERROR';
}

/** Undefined when the value is a Planning API envelope (`{request, response}`), else what it was. */
export function checkEnvelope(value: unknown): string | undefined {
	if (!value || typeof value !== 'object' || Array.isArray(value))
		return 'JSON that is not a Planning API envelope';
	const response = (value as { response?: unknown }).response;
	if (!response || typeof response !== 'object' || Array.isArray(response)) {
		return 'a JSON object without the Planning API\'s "response" part';
	}
	return undefined;
}

function envelopeNumber(
	body: unknown,
	read: (response: Record<string, unknown>) => unknown,
): number | undefined {
	if (!body || typeof body !== 'object') return undefined;
	const response = (body as { response?: Record<string, unknown> }).response;
	if (!response || typeof response !== 'object') return undefined;
	const value = Number(read(response));
	return Number.isFinite(value) ? value : undefined;
}

const CHECK_CREDITS = 'check Account → Get Credits before running it again.';

function secondsText(seconds: number | undefined): string {
	return seconds === undefined ? 'a little while' : `${seconds} second${seconds === 1 ? '' : 's'}`;
}

function explainStatus(
	report: FailureReport<PlanningScope>,
	status: number,
	body: unknown,
	retryAfterSeconds?: number,
): Explained {
	const said = serverMessage(body);
	const call = callName(report);
	const tried = attemptsNote(report);
	const paid = report.scope.paid;
	if (status === 403) {
		return {
			message: 'The Planning API rejected the API key',
			description: `${said ? `The API said: ${said}. ` : ''}Check the API key of the UK Planning API credential, or create one with Account → Generate Key.`,
			httpCode: '403',
		};
	}
	if (status === 429) {
		const wait = secondsText(retryAfterSeconds);
		const why =
			report.stopped === 'retryAfter'
				? `asked to wait ${wait}, longer than the ${MAX_RETRY_AFTER_SECONDS} s the node waits by itself`
				: `was refused${tried}`;
		return {
			message: `The Planning API is limiting requests (HTTP 429): try again after ${wait}`,
			description: `${call} ${why}. A refused request runs nothing${paid ? ', so nothing was charged' : ''}. Try again after ${wait}, or run fewer searches at once.`,
			httpCode: '429',
		};
	}
	if (status === 431) {
		return {
			message: 'The Planning API refused the request as too long (HTTP 431)',
			description: `${call}: the query string was too long for the server${report.scope.longestParameter ? `; shorten the ${report.scope.longestParameter} filter` : '; shorten the text filters'}.`,
			httpCode: '431',
		};
	}
	if (status >= 500 && paid && report.outcomeUnknown) {
		// The outcome note (explainWith) adds how to check the balance.
		return {
			message: `The Planning API had a server error (HTTP ${status}): credits may have been charged; check Account → Get Credits`,
			description: `${call} failed on the server${said ? ` (${said})` : ''}. It was not sent again: a server error can come after the search ran and charged (a gateway's 502 or 504 in particular).`,
			httpCode: String(status),
		};
	}
	if (status >= 500) {
		const refused = status === 503 && retryAfterSeconds !== undefined;
		return {
			message: `The Planning API had a server error (HTTP ${status})`,
			description: `${call} failed on the server${said ? ` (${said})` : ''}${tried}. ${paid && refused ? 'A 503 with Retry-After is a refusal: the search did not run, so nothing was charged. ' : ''}Try again ${refused ? `after ${secondsText(retryAfterSeconds)}` : 'later'}.`,
			httpCode: String(status),
		};
	}
	if (status === 400) {
		return {
			message: `The Planning API refused the search: ${said ?? 'bad request'}`,
			description: `${call} answered 400 Bad Request. Check the filter it names.`,
			httpCode: '400',
		};
	}
	if (isErrorEnvelope(body)) {
		const count = envelopeNumber(body, (response) => response.application_count);
		const remaining = envelopeNumber(
			body,
			(response) => (response.credits as Record<string, unknown>)?.remaining,
		);
		if (said && /credit/i.test(said)) {
			const needs =
				count === undefined
					? ''
					: ` The search matches ${count} application${count === 1 ? '' : 's'} (${count} credits)`;
			const has =
				remaining === undefined
					? ''
					: `${needs ? ', the key has' : ' The key has'} ${remaining} left.`;
			return {
				message: `Not enough credits: ${said}`,
				description:
					`${needs}${needs && !has ? '.' : ''}${has} Nothing was charged. Top up with Account → Get Top-Up Link, or narrow the search.`.trim(),
				httpCode: String(status),
			};
		}
		return {
			message: `The Planning API returned an error: ${said ?? 'no message'}`,
			description: `${call} answered with status ERROR.`,
			httpCode: String(status),
		};
	}
	return {
		message: `The Planning API answered HTTP ${status}${said ? `: ${said}` : ''}`,
		description: `${call} did not succeed.`,
		httpCode: String(status),
	};
}

/** Explains a failed call; the core scrubs the result (server messages may echo the key). */
export function explainPlanningFailure(report: FailureReport<PlanningScope>): Explained {
	const howToCheck =
		report.scope.howToCheck ??
		(report.scope.paid ? `credits may have been charged; ${CHECK_CREDITS}` : CHECK_CREDITS);
	return explainWith(report, SERVICE_NAME, explainStatus, howToCheck);
}
