/**
 * What the credential test makes of DataPress's whoami answers (pure: the request is in the transport).
 * Both generations answer 200 with the key's user, or with `null` for a key the site does not know;
 * DataPress 4's `/api/v3/whoami` answers 404 on a site that serves only the legacy API.
 */
import type { INodeCredentialTestResult } from 'n8n-workflow';

/** The credential's API Version: a generation, or Automatic. */
export type ApiVersionSetting = 'auto' | SiteGeneration;
export type SiteGeneration = 'v4' | 'legacy';

export const WHOAMI_PATH: Record<SiteGeneration, string> = {
	v4: '/api/v3/whoami',
	legacy: '/api/whoami',
};

const GENERATION_NAME: Record<SiteGeneration, string> = {
	v4: 'DataPress 4',
	legacy: 'legacy DataPress',
};

/** One whoami answer as the legacy request helper returns it (`simple: false`, full response). */
export interface WhoamiAnswer {
	statusCode: number;
	body: unknown;
	/** The Location header of a redirect. */
	location?: string;
}

/** Whether Automatic should ask the legacy API after this answer of DataPress 4's whoami. */
export function isNotDatapress4(answer: WhoamiAnswer): boolean {
	return answer.statusCode === 404;
}

function parsedBody(body: unknown): { json: unknown } | undefined {
	if (typeof body !== 'string') return body === undefined ? undefined : { json: body };
	try {
		return { json: JSON.parse(body) as unknown };
	} catch {
		return undefined;
	}
}

/** The test's result from the last whoami answer; messages never hold the key. */
export function credentialTestResult(
	answer: WhoamiAnswer,
	generation: SiteGeneration,
	setting: ApiVersionSetting,
): INodeCredentialTestResult {
	const request = `GET ${WHOAMI_PATH[generation]}`;
	const { statusCode } = answer;
	if (statusCode >= 300 && statusCode < 400) {
		return {
			status: 'Error',
			message: `The site answered ${request} with a redirect (${statusCode}${answer.location ? ` to ${answer.location}` : ''}). Set the Base URL to the address the site redirects to; the key is not sent on to another address.`,
		};
	}
	if (statusCode === 404 && generation === 'v4' && setting === 'v4') {
		return {
			status: 'Error',
			message: `The site answered ${request} with 404: it does not serve DataPress 4's API. Choose API Version: Automatic or Legacy.`,
		};
	}
	if (statusCode < 200 || statusCode >= 300) {
		return {
			status: 'Error',
			message: `The site answered ${request} with ${statusCode}. Check the Base URL: it is the DataPress site's address, such as https://data.london.gov.uk.`,
		};
	}
	const parsed = parsedBody(answer.body);
	if (!parsed) {
		return {
			status: 'Error',
			message: `The site answered ${request} with something that is not JSON (an HTML page?). Check the Base URL: it is the DataPress site's address, such as https://data.london.gov.uk.`,
		};
	}
	const user = parsed.json;
	const known =
		user !== null &&
		typeof user === 'object' &&
		!Array.isArray(user) &&
		(user as { id?: unknown }).id !== undefined &&
		(user as { id?: unknown }).id !== null;
	if (!known) {
		return {
			status: 'Error',
			message: `DataPress does not know this API key: ${request} answered ${user === null ? 'null' : 'no user'}. Copy the key from your profile page on the site.`,
		};
	}
	return {
		status: 'OK',
		message: `Connection successful: a ${GENERATION_NAME[generation]} site that knows this key`,
	};
}
