/** Wording shared by every service for failures that are not an API's own error answer. Pure. */
import type { CallFailure } from './failure';
import { networkProblem } from './failure';
import type { RetryDecision } from './policy';

export interface Explained {
	message: string;
	description: string;
	httpCode?: string;
}

/** What a service is told about a failed call, to explain it in its own words. */
export interface FailureReport<Scope> {
	failure: CallFailure;
	method: string;
	/** The URL path without its query string (which may hold a key). */
	path: string;
	/** Attempts made, the first included. */
	attempts: number;
	/** Why no further attempt was made. */
	stopped: Extract<RetryDecision, { retry: false }>['why'];
	/** The call changes or charges something and may have done so although it failed. */
	outcomeUnknown: boolean;
	scope: Scope;
}

/** " (3 attempts)" when the call was retried: the text never claims a retry that did not happen. */
export function attemptsNote(report: FailureReport<unknown>): string {
	return report.attempts > 1 ? ` (${report.attempts} attempts)` : '';
}

export function callName(report: FailureReport<unknown>): string {
	return `${report.method} ${report.path}`;
}

/** Explains a failure that no service-specific rule covers; `service` names the API ("DataPress"). */
export function describeFailure(report: FailureReport<unknown>, service: string): Explained {
	const failure = report.failure;
	const call = callName(report);
	const tried = attemptsNote(report);
	switch (failure.kind) {
		case 'timeout':
			return {
				message: `${service} did not answer in time`,
				description: `${call} had no complete answer within ${Math.round(failure.timeoutMs / 1000)} s${tried}. If the service is only slow, raise the node's Timeout option.`,
			};
		case 'cancelled':
			return {
				message: `The execution was cancelled while ${service} was answering`,
				description: `${call} was aborted.`,
			};
		case 'network':
			// The code goes in the description too: n8n swaps messages that name a network code for a generic retry hint.
			return {
				message: `${service} could not be reached: ${networkProblem(failure.code)}`,
				description: `${call} got no answer (${failure.code})${tried}. Check the Base URL of the credential and the network.`,
			};
		case 'answer':
			return {
				message: `${service} answered ${call} with ${failure.detail}`,
				description:
					failure.problem === 'html'
						? `HTTP ${failure.status} with a web page instead of the API's JSON: the Base URL of the credential may point at a website or a proxy rather than the API.`
						: `HTTP ${failure.status}, but not the answer this endpoint gives${tried}.`,
				httpCode: String(failure.status),
			};
		case 'redirect':
			return failure.crossOrigin
				? {
						message: `${service} redirected ${call} to another host (${failure.location}): not followed`,
						description:
							"Redirects to another origin are never followed, so that the API key cannot reach another host. Check that the Base URL of the credential is the API's own address (scheme and host included).",
						httpCode: String(failure.status),
					}
				: {
						message: `${service} redirected ${call} (${failure.location}): not followed`,
						description:
							'This request is not repeated at another address, since its body would be sent twice.',
						httpCode: String(failure.status),
					};
		case 'foreignUrl':
			return {
				message: `${service} named an address on another host (${failure.origin}) for ${call}: not sent`,
				description:
					"Requests that carry the API key go only to the Base URL's own host (scheme, host and port). Check the Base URL of the credential.",
			};
		case 'local':
			return {
				message: `The request to ${service} could not be made: ${failure.detail}`,
				description: `${call}. Check the Base URL of the credential.`,
			};
		case 'status':
			return {
				message: `${service} answered HTTP ${failure.status}`,
				description: `${call} did not succeed${tried}.`,
				httpCode: String(failure.status),
			};
	}
}

/** Adds, to a failure of a call that may have had its effect, that it may have and how to check. */
export function withOutcomeNote(
	explained: Explained,
	report: FailureReport<unknown>,
	howToCheck: string,
): Explained {
	if (!report.outcomeUnknown) return explained;
	return {
		...explained,
		description: `${explained.description} The request may have been applied although its answer was lost: ${howToCheck}`,
	};
}

/** An error answer's status, body and Retry-After, as service rules read them. */
export type StatusRule<Scope> = (
	report: FailureReport<Scope>,
	status: number,
	body: unknown,
	retryAfterSeconds?: number,
) => Explained;

/**
 * A service's explanation of any failure: its own rule for error answers, the shared wording for the
 * rest, and, when the call may have had its effect, how to check.
 */
export function explainWith<Scope>(
	report: FailureReport<Scope>,
	service: string,
	statusRule: StatusRule<Scope>,
	howToCheck: string,
): Explained {
	const failure = report.failure;
	const explained =
		failure.kind === 'status'
			? statusRule(report, failure.status, failure.body, failure.retryAfterSeconds)
			: describeFailure(report, service);
	return withOutcomeNote(explained, report, howToCheck);
}
