/** The Timeout option both action nodes show for every operation, and reading it for an item. */
import { NodeOperationError, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import { checkTimeout, DEFAULT_TIMEOUT_MS, MIN_TIMEOUT_MS } from './http';

/** The Timeout option's field; `description` says what it bounds in its node. */
export function timeoutProperty(description: string): INodeProperties {
	return {
		displayName: 'Timeout',
		name: 'timeout',
		type: 'number',
		typeOptions: { minValue: MIN_TIMEOUT_MS },
		default: DEFAULT_TIMEOUT_MS,
		description,
	};
}

export const requestOptionsProperty: INodeProperties = {
	displayName: 'Request Options',
	name: 'requestOptions',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		timeoutProperty(
			'Milliseconds one request may take, retries and the whole answer included (an upload gets one more second per 256 KiB of its file). Reads are retried within it; a request that changes something or charges credits is not repeated once it may have run.',
		),
	],
};

/** The item's Timeout in ms; a value below the minimum fails the item before any request. */
export function readTimeoutMs(context: IExecuteFunctions, itemIndex: number): number {
	const options = context.getNodeParameter('requestOptions', itemIndex, {}) as {
		timeout?: unknown;
	};
	const checked = checkTimeout(options.timeout);
	if ('problem' in checked) {
		throw new NodeOperationError(
			context.getNode(),
			`Invalid option "Timeout": ${checked.problem}`,
			{
				itemIndex,
				description: 'No request was sent.',
			},
		);
	}
	return checked.timeoutMs;
}
