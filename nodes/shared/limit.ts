import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

/** A Get Many operation's Limit: a whole number of at least 1; anything else fails the item, it is not guessed. */
export function readLimit(context: IExecuteFunctions, itemIndex: number): number {
	const value = context.getNodeParameter('limit', itemIndex, 50);
	const limit = Number(value);
	if (!Number.isInteger(limit) || limit < 1) {
		throw new NodeOperationError(
			context.getNode(),
			`Invalid "Limit": must be a whole number of at least 1 (got ${JSON.stringify(value)})`,
			{ itemIndex, description: 'No request was sent.' },
		);
	}
	return limit;
}
