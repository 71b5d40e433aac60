/**
 * The London Datastore credential's test, run by n8n in place of a declarative test (the nodes name it in
 * `testedBy`): with API Version at Automatic it asks DataPress 4's whoami and, on a 404, the legacy one, as
 * the node does, so that a legacy site passes under Automatic too.
 */
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import {
	credentialTestResult,
	isNotDatapress4,
	type ApiVersionSetting,
} from '../helpers/credentialCheck';
import { DEFAULT_BASE_URL, whoamiForCredentialTest, type Generation } from '../transport';

function describeFailure(error: unknown, baseUrl: string): string {
	// Built from scratch: a client error can carry the request's headers, and so the key.
	const code = (error as { code?: unknown } | null)?.code;
	return `Could not reach ${baseUrl}${typeof code === 'string' ? ` (${code})` : ''}. Check the Base URL and that n8n can reach the site.`;
}

export async function londonDatastoreApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	if (!String(data.apiKey ?? '').trim())
		return {
			status: 'Error',
			message: 'The API Key is empty: paste the key from your DataPress profile page.',
		};
	const setting = (data.apiVersion as ApiVersionSetting | undefined) ?? 'auto';
	try {
		let generation: Generation = setting === 'legacy' ? 'legacy' : 'v4';
		let answer = await whoamiForCredentialTest(this, data, generation);
		if (setting === 'auto' && isNotDatapress4(answer)) {
			generation = 'legacy';
			answer = await whoamiForCredentialTest(this, data, generation);
		}
		return credentialTestResult(answer, generation, setting);
	} catch (error) {
		return {
			status: 'Error',
			message: describeFailure(error, String(data.baseUrl || DEFAULT_BASE_URL)),
		};
	}
}
