import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { operationFields, runOperations, type OperationsByResource } from '../../shared/operations';
import * as datasetCreate from './dataset/create.operation';
import * as datasetGet from './dataset/get.operation';
import * as datasetGetAll from './dataset/getAll.operation';
import * as datasetUpdate from './dataset/update.operation';
import * as fileDelete from './file/delete.operation';
import * as fileDownload from './file/download.operation';
import * as fileUpdate from './file/update.operation';
import * as fileUpload from './file/upload.operation';
import * as teamGetAll from './team/getAll.operation';

const operations: OperationsByResource = {
	dataset: { create: datasetCreate, get: datasetGet, getAll: datasetGetAll, update: datasetUpdate },
	file: { upload: fileUpload, download: fileDownload, update: fileUpdate, delete: fileDelete },
	team: { getAll: teamGetAll },
};

export const operationProperties = operationFields(operations);

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runOperations.call(this, operations);
}
