import {
	NodeOperationError,
	type IDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { readTimeoutMs } from '../../../shared/requestOptions';
import { generateKey } from '../../transport';

const show: IDisplayOptions = { show: { resource: ['account'], operation: ['generateKey'] } };

export const description: INodeProperties[] = [
	{
		displayName:
			"Creates a new API key with 0 credits. The credential's API key is not sent (it may be left empty); only its Base URL is used.",
		name: 'generateKeyNotice',
		type: 'notice',
		displayOptions: show,
		default: '',
	},
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		required: true,
		displayOptions: show,
		default: '',
		description: 'Where the API sends low-credit warnings for the new key',
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const email = String(this.getNodeParameter('email', itemIndex, '') ?? '').trim();
	if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
		throw new NodeOperationError(
			this.getNode(),
			`Invalid "Email": "${email}" is not an email address`,
			{
				itemIndex,
				description: 'No request was sent.',
			},
		);
	}
	const { response } = await generateKey.call(this, email, {
		itemIndex,
		timeoutMs: readTimeoutMs(this, itemIndex),
	});
	if (typeof response.key !== 'string' || !response.key) {
		throw new NodeOperationError(this.getNode(), 'The Planning API answered without a key', {
			itemIndex,
		});
	}
	return [
		{
			json: {
				key: response.key,
				email,
				note: 'Store the key in a UK Planning API credential; it has no credits until topped up.',
			},
			pairedItem: { item: itemIndex },
		},
	];
}
