import {
	NodeApiError,
	NodeOperationError,
	type IExecuteFunctions,
	type JsonObject,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import * as datasetCreate from './dataset/create.operation';
import * as datasetGet from './dataset/get.operation';
import * as datasetUpdate from './dataset/update.operation';
import * as fileDelete from './file/delete.operation';
import * as fileUpdate from './file/update.operation';
import * as fileUpload from './file/upload.operation';
import * as teamGetAll from './team/getAll.operation';

type Operation = {
	description: INodeProperties[];
	execute: (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;
};

const operations: Record<string, Record<string, Operation>> = {
	dataset: { create: datasetCreate, get: datasetGet, update: datasetUpdate },
	file: { upload: fileUpload, update: fileUpdate, delete: fileDelete },
	team: { getAll: teamGetAll },
};

export const operationProperties: INodeProperties[] = Object.values(operations).flatMap((byName) =>
	Object.values(byName).flatMap((operation) => operation.description),
);

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const resource = this.getNodeParameter('resource', itemIndex) as string;
		const operationName = this.getNodeParameter('operation', itemIndex) as string;
		const operation = operations[resource]?.[operationName];
		try {
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
			// Both constructors hand back an error of their own class unchanged.
			if (error instanceof NodeApiError) throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
			throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
		}
	}
	return [output];
}
