import type { IAuthenticateGeneric, Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

export class LondonDatastoreApi implements ICredentialType {
	name = 'londonDatastoreApi';

	displayName = 'London Datastore API';

	icon: Icon = {
		light: 'file:../icons/londonDatastore.svg',
		dark: 'file:../icons/londonDatastore.dark.svg',
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
			required: true,
			description:
				"The API key shown on your DataPress profile page. Reading public datasets needs none; every edit needs a key whose user is an editor of the dataset's team.",
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://data.london.gov.uk',
			description: 'The DataPress site: the London Datastore or any other DataPress site',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'options',
			options: [
				{
					name: 'Automatic',
					value: 'auto',
					description: 'Asks the site once per execution (DataPress 4 answers /api/v3/whoami)',
				},
				{ name: 'DataPress 4', value: 'v4', description: 'The London Datastore since 2025' },
				{
					name: 'Legacy',
					value: 'legacy',
					description: 'DataPress sites that still run the older API',
				},
			],
			default: 'auto',
			description:
				'Which DataPress API the site serves. Automatic suits both, in the nodes and in the credential test.',
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

	// The test is the nodes' (`testedBy`, nodes/LondonDatastore/methods/credentialTest.ts): a declarative
	// test cannot ask DataPress 4 first and the legacy API on a 404, as Automatic must.
}
