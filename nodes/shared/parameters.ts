/** Reading numeric parameters the same way in every node: checked, never clamped or guessed. */
import { NodeOperationError, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

/**
 * Get Many operations return this many items unless Return All or another Limit is chosen. (n8n's lint
 * wants the literal 50 in each Limit parameter's default; this is the same number for the code.)
 */
export const DEFAULT_LIMIT = 50;

/** A whole number of at least `min`; absent (undefined or empty) means `fallback`. */
export function checkWholeNumber(
	value: unknown,
	min: number,
	fallback: number,
): { value: number } | { problem: string } {
	if (value === undefined || value === null || value === '') return { value: fallback };
	const parsed = Number(value);
	if (!Number.isInteger(parsed) || parsed < min) {
		return { problem: `must be a whole number of at least ${min} (got ${JSON.stringify(value)})` };
	}
	return { value: parsed };
}

/** An action node's whole-number parameter for an item; a bad value fails the item before any request. */
export function readWholeNumber(
	context: IExecuteFunctions,
	itemIndex: number,
	name: string,
	label: string,
	fallback: number,
	min = 1,
): number {
	const checked = checkWholeNumber(
		context.getNodeParameter(name, itemIndex, fallback),
		min,
		fallback,
	);
	if ('problem' in checked) {
		throw new NodeOperationError(context.getNode(), `Invalid "${label}": ${checked.problem}`, {
			itemIndex,
			description: 'No request was sent.',
		});
	}
	return checked.value;
}

/** Return All and Limit, as every Get Many operation shows them, for the operation that `show` selects. */
export function returnAllAndLimit(show: Record<string, string[]>): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: { show },
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { ...show, returnAll: [false] } },
		},
	];
}

/** How many items a Get Many returns: all, or its Limit (checked, never guessed). */
export function readLimitOrAll(context: IExecuteFunctions, itemIndex: number): number {
	const returnAll = context.getNodeParameter('returnAll', itemIndex, false) as boolean;
	return returnAll
		? Infinity
		: readWholeNumber(context, itemIndex, 'limit', 'Limit', DEFAULT_LIMIT);
}
