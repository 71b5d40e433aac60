import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { requestOptionsProperty } from '../shared/requestOptions';
import { operationProperties, router } from './actions/router';
import { getAuthorities } from './methods/loadOptions';

export class UkPlanning implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'UK Planning',
		name: 'ukPlanning',
		icon: {
			light: 'file:../../icons/ukPlanning.svg',
			dark: 'file:../../icons/ukPlanning.dark.svg',
		},
		group: ['transform'],
		// 2: filters in one Filters collection, Simplify, camelCase output, newest first over Max Credits by default.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Search UK planning applications: count for free, fetch within a credit cap',
		defaults: { name: 'UK Planning' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'ukPlanningApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Account', value: 'account' },
					{ name: 'Application', value: 'application' },
					{ name: 'Authority', value: 'authority' },
				],
				default: 'application',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['application'] } },
				options: [
					{
						name: 'Search',
						value: 'search',
						action: 'Search applications',
						description: 'Count matching applications for free, or fetch them for one credit each',
					},
				],
				default: 'search',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['authority'] } },
				options: [
					{
						name: 'Get Many',
						value: 'getAll',
						action: 'Get many authorities',
						description: 'List the local planning authorities and their IDs',
					},
				],
				default: 'getAll',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['account'] } },
				options: [
					{
						name: 'Generate Key',
						value: 'generateKey',
						action: 'Generate API key',
						description: 'Create a new API key for an email address',
					},
					{
						name: 'Get Credits',
						value: 'getCredits',
						action: 'Get credits',
						description: 'Return the credits left on the key (free)',
					},
					{
						name: 'Get Top-Up Link',
						value: 'getTopUpLink',
						action: 'Get top up link',
						description: 'Return the payment page for buying credits, with the price per credit',
					},
				],
				default: 'getCredits',
			},
			...operationProperties,
			requestOptionsProperty,
		],
	};

	methods = { loadOptions: { getAuthorities } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
