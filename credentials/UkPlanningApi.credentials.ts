import type {
	IAuthenticateGeneric,
	IAuthenticateRuleResponseCode,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class UkPlanningApi implements ICredentialType {
	name = 'ukPlanningApi';

	displayName = 'UK Planning API';

	icon: Icon = {
		light: 'file:../icons/ukPlanning.svg',
		dark: 'file:../icons/ukPlanning.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-planning-datastore/n8n-nodes-planning-datastore#using-the-nodes-with-the-real-services';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"Your Planning API key. Get one with the UK Planning node's Account → Generate Key (leave this empty for that).",
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.planning.org.uk/v1',
			description: 'The Planning API v1 address; change it only for a test server',
		},
	];

	// The API reads the key from the query string only.
	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			qs: {
				key: '={{$credentials.apiKey}}',
			},
		},
	};

	// A count (return_data=0) is free, and a missing or unknown key is refused. n8n applies both kinds
	// of rule (status on failure, body on success); the type only admits one kind per list, hence the cast.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/search',
			qs: { return_data: '0' },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'The Planning API rejected this API key (HTTP 403). Check the key, or create one with Account → Generate Key.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'response.status',
					value: 'ERROR',
					message:
						'The Planning API answered with an error for this key. Check the key and the Base URL.',
				},
			},
		] as unknown as IAuthenticateRuleResponseCode[],
	};
}
