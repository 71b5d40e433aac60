import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { operationFields, runOperations, type OperationsByResource } from '../../shared/operations';
import * as accountGenerateKey from './account/generateKey.operation';
import * as accountGetCredits from './account/getCredits.operation';
import * as accountGetTopUpLink from './account/getTopUpLink.operation';
import * as applicationSearch from './application/search.operation';
import * as authorityGetAll from './authority/getAll.operation';

const operations: OperationsByResource = {
	application: { search: applicationSearch },
	authority: { getAll: authorityGetAll },
	account: {
		generateKey: accountGenerateKey,
		getTopUpLink: accountGetTopUpLink,
		getCredits: accountGetCredits,
	},
};

export const operationProperties = operationFields(operations);

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runOperations.call(this, operations);
}
