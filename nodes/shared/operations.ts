import {
	NodeApiError,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type JsonObject,
} from 'n8n-workflow';

import { isToolExecution } from './toolMode';

/** One operation of a resource: its fields, and what it does with one item. */
export type Operation = {
	description: INodeProperties[];
	execute: (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;
};

export type OperationsByResource = Record<string, Record<string, Operation>>;

/** The fields of every operation, for the node's description. */
export function operationFields(operations: OperationsByResource): INodeProperties[] {
	return Object.values(operations).flatMap((byName) =>
		Object.values(byName).flatMap((operation) => operation.description),
	);
}

/**
 * Runs each input item through the operation its resource and operation parameters name. A failed item
 * becomes an error item under continueOnFail or when the node runs as an agent's tool (the model reads the
 * error and the way to fix it, and may call again), or stops the node with the item's index.
 */
export async function runOperations(
	this: IExecuteFunctions,
	operations: OperationsByResource,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output: INodeExecutionData[] = [];
	const asTool = isToolExecution(this);
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const resource = this.getNodeParameter('resource', itemIndex) as string;
			const operationName = this.getNodeParameter('operation', itemIndex) as string;
			const operation = operations[resource]?.[operationName];
			if (!operation) {
				throw new NodeOperationError(
					this.getNode(),
					`The operation "${operationName}" of "${resource}" is not supported`,
					{ itemIndex },
				);
			}
			// Appended one by one: spreading a result of some 150,000 items (a large search) overflows the stack.
			for (const entry of await operation.execute.call(this, itemIndex)) output.push(entry);
		} catch (error) {
			if (asTool || this.continueOnFail()) {
				const failure = error as Error & { description?: string };
				output.push({
					json: { error: failure.message, description: failure.description ?? null },
					pairedItem: { item: itemIndex },
				});
				continue;
			}
			// The transports' errors are already scrubbed NodeApiErrors; both constructors return them unchanged.
			if (error instanceof NodeApiError)
				throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
			throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
		}
	}
	return [output];
}
