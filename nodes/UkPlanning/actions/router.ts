import {
	NodeApiError,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type JsonObject,
} from 'n8n-workflow';

import * as accountGenerateKey from './account/generateKey.operation';
import * as accountGetCredits from './account/getCredits.operation';
import * as accountGetTopUpLink from './account/getTopUpLink.operation';
import * as applicationSearch from './application/search.operation';
import * as authorityGetAll from './authority/getAll.operation';

type Operation = {
	description: INodeProperties[];
	execute: (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;
};

const operations: Record<string, Record<string, Operation>> = {
	application: { search: applicationSearch },
	authority: { getAll: authorityGetAll },
	account: { generateKey: accountGenerateKey, getTopUpLink: accountGetTopUpLink, getCredits: accountGetCredits },
};

export const operationProperties: INodeProperties[] = Object.values(operations).flatMap((byName) =>
	Object.values(byName).flatMap((operation) => operation.description),
);

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output: INodeExecutionData[] = [];
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
			output.push(...(await operation.execute.call(this, itemIndex)));
		} catch (error) {
			if (this.continueOnFail()) {
				const failure = error as Error & { description?: string };
				output.push({
					json: { error: failure.message, description: failure.description ?? null },
					pairedItem: { item: itemIndex },
				});
				continue;
			}
			// The transport's errors are already scrubbed NodeApiErrors; both constructors return them unchanged.
			if (error instanceof NodeApiError) throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
			throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
		}
	}
	return [output];
}
