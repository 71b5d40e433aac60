import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class LondonDatastoreApi implements ICredentialType {
	name = 'londonDatastoreApi';

	displayName = 'London Datastore API';

	icon: Icon = {
		light: 'file:../icons/londonDatastore.svg',
		dark: 'file:../icons/londonDatastore.dark.svg',
	};

	documentationUrl = 'https://data.london.gov.uk/about/api/';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The API key shown on your DataPress profile page. Reading public datasets needs none; every edit needs a key whose user is an editor of the dataset\'s team.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://data.london.gov.uk',
			description: 'The DataPress site: the London Datastore or any other DataPress site',
		},
	];

	// DataPress expects the raw key in Authorization, without a "Bearer" prefix.
	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '={{$credentials.apiKey}}',
			},
		},
	};

	// /api/whoami answers 200 with `null` for an unknown key, so the body decides, not the status.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/api/whoami',
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'id',
					value: undefined,
					message: 'DataPress does not know this API key (/api/whoami answered null)',
				},
			},
		],
	};
}
