import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { requestOptionsProperty } from '../shared/requestOptions';
import { operationProperties, router } from './actions/router';
import { londonDatastoreApiTest } from './methods/credentialTest';
import { searchDatasets, searchFiles, searchTeams } from './methods/listSearch';
import { getMastheads, getTeams } from './methods/loadOptions';

export class LondonDatastore implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'London Datastore',
		name: 'londonDatastore',
		icon: {
			light: 'file:../../icons/londonDatastore.svg',
			dark: 'file:../../icons/londonDatastore.dark.svg',
		},
		group: ['transform'],
		// 1.1: Simplify on Dataset Get and Get Many, on by default (version 1 keeps the full output).
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Create, patch and upload files to datasets on the London Datastore or any DataPress site',
		defaults: { name: 'London Datastore' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'londonDatastoreApi', required: true, testedBy: 'londonDatastoreApiTest' },
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Dataset', value: 'dataset' },
					{ name: 'File', value: 'file' },
					{ name: 'Team', value: 'team' },
				],
				default: 'dataset',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['dataset'] } },
				options: [
					{
						name: 'Create',
						value: 'create',
						action: 'Create a dataset',
						description: 'Create a dataset',
					},
					{
						name: 'Get',
						value: 'get',
						action: 'Get a dataset',
						description: 'Get a dataset by its ID, page address or from the list',
					},
					{
						name: 'Get Many',
						value: 'getAll',
						action: 'Get many datasets',
						description: 'List the datasets the key may read (DataPress 4 sites)',
					},
					{
						name: 'Update',
						value: 'update',
						action: 'Update a dataset',
						description: 'Change a dataset by a JSON Patch or by setting fields',
					},
				],
				default: 'get',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['file'] } },
				options: [
					{
						name: 'Delete',
						value: 'delete',
						action: 'Delete a file',
						description: 'Remove a file from a dataset',
					},
					{
						name: 'Download',
						value: 'download',
						action: 'Download a file',
						description: 'Download a file of a dataset, private ones included',
					},
					{
						name: 'Update',
						value: 'update',
						action: 'Update a file',
						description: 'Change the title, description or order of a file',
					},
					{
						name: 'Upload',
						value: 'upload',
						action: 'Upload a file',
						description: 'Upload a file of any size to a dataset',
					},
				],
				default: 'upload',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['team'] } },
				options: [
					{
						name: 'Get Many',
						value: 'getAll',
						action: 'Get many teams',
						description: 'List the teams (organisations)',
					},
				],
				default: 'getAll',
			},
			...operationProperties,
			requestOptionsProperty,
		],
	};

	methods = {
		credentialTest: { londonDatastoreApiTest },
		loadOptions: { getTeams, getMastheads },
		listSearch: { searchDatasets, searchFiles, searchTeams },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
