/**
 * The Planning API's endpoints over the shared HTTP core: which calls are retried, what their answers
 * must look like, and what they return. The credential adds `key=` to the query string.
 */
import type { IDataObject } from 'n8n-workflow';

import {
	httpCall,
	scrubDeep,
	type CallFailure,
	type HttpContext,
	type RetryPolicy,
	type Service,
} from '../../shared/http';
import {
	checkEnvelope,
	explainPlanningFailure,
	isErrorEnvelope,
	SERVICE_NAME,
	type PlanningScope,
} from '../helpers/errors';
import type { RawApplication } from '../domain/search';

export const CREDENTIAL_TYPE = 'ukPlanningApi';
export const DEFAULT_BASE_URL = 'https://api.planning.org.uk/v1';

const PLANNING: Service<PlanningScope> = {
	name: SERVICE_NAME,
	credentialType: CREDENTIAL_TYPE,
	credentialName: 'UK Planning API',
	defaultBaseUrl: DEFAULT_BASE_URL,
	explain: explainPlanningFailure,
};

/** Per call: the item, the node's Timeout option, or a poll's deadline (epoch ms) with a Timeout per attempt. */
export interface PlanningCallOptions {
	itemIndex?: number;
	timeoutMs?: number;
	deadlineMs?: number;
	attemptTimeoutMs?: number;
	/** Told of each failure about to be retried (see HttpCall.onRetry). */
	onRetry?: (failure: CallFailure) => void;
}

export interface PlanningAnswer {
	/** The envelope's `request` echo, without the key. */
	request: IDataObject;
	/** The envelope's `response`, exactly as sent. */
	response: IDataObject;
}

async function planningGet(
	context: HttpContext,
	endpoint: string,
	qs: IDataObject,
	retry: RetryPolicy,
	scope: PlanningScope,
	options: PlanningCallOptions & { authenticate?: boolean },
): Promise<PlanningAnswer> {
	const answer = await httpCall(context, PLANNING, {
		method: 'GET',
		path: `/${endpoint}`,
		qs,
		retry,
		authenticate: options.authenticate,
		expect: 'json',
		check: checkEnvelope,
		isErrorAnswer: isErrorEnvelope,
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		deadlineMs: options.deadlineMs,
		attemptTimeoutMs: options.attemptTimeoutMs,
		onRetry: options.onRetry,
		itemIndex: options.itemIndex,
		scope: { ...scope, longestParameter: longestTextFilter(qs) },
	});
	const envelope = answer.body as IDataObject;
	return {
		// Only the echo of the request is scrubbed: it repeats the query string, key included.
		request: scrubDeep((envelope.request ?? {}) as IDataObject, answer.secrets),
		response: envelope.response as IDataObject,
	};
}

/** The text filter most likely to make a query string too long, for a 431's message. */
function longestTextFilter(qs: IDataObject): string | undefined {
	const texts = [
		['keyword', 'Keyword'],
		['address', 'Address'],
	].filter(([name]) => typeof qs[name] === 'string' && (qs[name] as string).length > 0);
	texts.sort(([a], [b]) => String(qs[b]).length - String(qs[a]).length);
	return texts[0]?.[1];
}

export interface CountAnswer {
	count: number;
	creditsRemaining: number | undefined;
	serverDateTime: string | undefined;
}

export interface FetchAnswer extends CountAnswer {
	/** Applications exactly as the API sent them. */
	/** As the API sent them (the envelope's `data`). */
	applications: RawApplication[];
	/** Credits charged by this call. */
	consumed: number;
}

function optionalNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const numberValue = Number(value);
	return Number.isFinite(numberValue) ? numberValue : undefined;
}

function creditsOf(response: IDataObject): IDataObject {
	return (
		response.credits && typeof response.credits === 'object' ? response.credits : {}
	) as IDataObject;
}

function serverDateTime(request: IDataObject): string | undefined {
	return request.datetime === undefined ? undefined : String(request.datetime);
}

/** Counts the applications matching `query` (return_data=0): free, so retried freely. */
export async function countApplications(
	this: HttpContext,
	query: IDataObject,
	options: PlanningCallOptions = {},
): Promise<CountAnswer> {
	const { request, response } = await planningGet(
		this,
		'search',
		{ ...query, return_data: '0' },
		'safe',
		{ paid: false },
		options,
	);
	return {
		count: optionalNumber(response.application_count) ?? 0,
		creditsRemaining: optionalNumber(creditsOf(response).remaining),
		serverDateTime: serverDateTime(request),
	};
}

/**
 * Fetches the applications matching `query` (return_data=1): one credit per application returned.
 *
 * Decision, per failure (policy `refusalsOnly`): the API charges when it runs the search, whether or not
 * its answer arrives. A 429, or a 503 carrying Retry-After, is a refusal: the search did not run, nothing
 * was charged, and it is sent again. A 500, a 502 or 504 (a gateway's, which may come after the API ran
 * and charged), a 503 without Retry-After and any other 5xx may have run: not repeated, and the error
 * says that credits may have been charged and to check the balance (Account → Get Credits). So does an
 * answer lost, cut off or timed out after sending. The trigger counts every such failure against Max
 * Credits per Poll for the same reason.
 */
export async function fetchApplications(
	this: HttpContext,
	query: IDataObject,
	options: PlanningCallOptions = {},
): Promise<FetchAnswer> {
	const { request, response } = await planningGet(
		this,
		'search',
		{ ...query, return_data: '1' },
		'refusalsOnly',
		{ paid: true },
		options,
	);
	const applications = Array.isArray(response.data) ? (response.data as RawApplication[]) : [];
	const credits = creditsOf(response);
	return {
		applications,
		count: optionalNumber(response.application_count) ?? applications.length,
		consumed: optionalNumber(credits.consumed) ?? applications.length,
		creditsRemaining: optionalNumber(credits.remaining),
		serverDateTime: serverDateTime(request),
	};
}

export interface Authority {
	id: string;
	name: string;
	applicationCount: number | undefined;
}

/** The authorities known to the API (`/lpas`, free). */
export async function listAuthorities(
	this: HttpContext,
	options: PlanningCallOptions = {},
): Promise<Authority[]> {
	const { response } = await planningGet(this, 'lpas', {}, 'safe', { paid: false }, options);
	const data = Array.isArray(response.data) ? (response.data as IDataObject[]) : [];
	return data
		.filter((lpa) => lpa && lpa.id !== undefined && lpa.id !== null)
		.map((lpa) => ({
			id: String(lpa.id),
			name: String(lpa.name ?? ''),
			applicationCount: optionalNumber(lpa.application_count),
		}));
}

/**
 * Asks for a new key for `email` (`/generatekey`, no key needed). It creates a key, so it is never
 * repeated once it may have reached the API.
 */
export async function generateKey(
	this: HttpContext,
	email: string,
	options: PlanningCallOptions = {},
): Promise<PlanningAnswer> {
	return await planningGet(
		this,
		'generatekey',
		{ email },
		'never',
		{
			paid: false,
			howToCheck: `a key may have been created for ${email}; look for it before generating another.`,
		},
		{ ...options, authenticate: false },
	);
}

/** `/topup`: answers with a redirect to a payment page, whose address is returned, never opened. */
export async function topUpLocation(
	this: HttpContext,
	credits: number,
	options: PlanningCallOptions = {},
): Promise<{ status: number; location: string | undefined }> {
	const answer = await httpCall(this, PLANNING, {
		method: 'GET',
		path: '/topup',
		qs: { credits: String(credits) },
		retry: 'safe',
		expect: 'any',
		redirects: 'return',
		timeoutMs: options.timeoutMs,
		itemIndex: options.itemIndex,
		scope: { paid: false },
	});
	return { status: answer.status, location: answer.location };
}
