import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import type { HttpContext } from '../../shared/http';
import { readTimeoutMs } from '../../shared/requestOptions';
import {
	DATASET_URL_REGEX,
	datasetIdFromUrl,
	FILE_URL_REGEX,
	fileIdFromUrl,
	readLocator,
} from '../helpers/locator';
import { simplifyDataset } from '../helpers/simplify';
import { getDataset, siteBaseUrl, siteGeneration, type CallOptions } from '../transport';

/** The item's call options: its index and its Timeout. */
export function callOptions(
	context: IExecuteFunctions,
	itemIndex: number,
	extra: CallOptions = {},
): CallOptions {
	return { itemIndex, timeoutMs: readTimeoutMs(context, itemIndex), ...extra };
}

/** Reads a dataset for an item (retried on transient failures: a read changes nothing). */
export async function readDataset(
	this: IExecuteFunctions,
	datasetId: string,
	itemIndex: number,
): Promise<IDataObject> {
	return await getDataset(this, datasetId, callOptions(this, itemIndex));
}

export function datasetIdProperty(resource: string, operations: string[]): INodeProperties {
	return {
		displayName: 'Dataset',
		name: 'datasetId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description:
			'The dataset: from the list, by the address of its page, or by its ID (5 characters on DataPress 4; the slug or UUID on a legacy site)',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a dataset...',
				typeOptions: { searchListMethod: 'searchDatasets', searchable: true },
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder: 'e.g. https://data.london.gov.uk/dataset/age-specific-fertility-rates-vd4q4',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: DATASET_URL_REGEX,
							errorMessage: 'Not the address of a dataset page (https://<site>/dataset/<name>)',
						},
					},
				],
			},
			{ displayName: 'ID', name: 'id', type: 'string', placeholder: 'e.g. vd4q4' },
		],
		displayOptions: { show: { resource: [resource], operation: operations } },
	};
}

export function resourceIdProperty(
	resource: string,
	operations: string[],
	extraShow: Record<string, string[]> = {},
): INodeProperties {
	return {
		displayName: 'File',
		name: 'resourceId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description:
			"The file (resource) of the dataset: from the dataset's files, by its download address, or by its ID",
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a file...',
				typeOptions: { searchListMethod: 'searchFiles', searchable: true },
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder:
					'e.g. https://data.london.gov.uk/download/vd4q4/7yw/age_specific_fertility_rates.csv',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: FILE_URL_REGEX,
							errorMessage:
								'Not a download address (https://<site>/download/<dataset>/<file>/<name>)',
						},
					},
				],
			},
			{ displayName: 'ID', name: 'id', type: 'string', placeholder: 'e.g. 7yw' },
		],
		displayOptions: { show: { resource: [resource], operation: operations, ...extraShow } },
	};
}

function invalid(
	context: HttpContext,
	itemIndex: number | undefined,
	field: string,
	problem: string,
): NodeOperationError {
	return new NodeOperationError(context.getNode(), `Invalid "${field}": ${problem}`, {
		itemIndex,
		description: 'No request was sent.',
	});
}

/**
 * The dataset id a Dataset locator names (or a plain string, as workflows saved before the locators hold).
 * A page address needs the site's generation: DataPress 4 pages end in the id, legacy pages are the slug.
 */
export async function datasetIdOf(
	context: HttpContext,
	raw: unknown,
	itemIndex?: number,
	timeoutMs?: number,
): Promise<string> {
	const locator = readLocator(raw);
	if (!locator.value) throw invalid(context, itemIndex, 'Dataset', 'it is empty');
	if (locator.mode !== 'url') return locator.value;
	const parsed = datasetIdFromUrl(
		locator.value,
		await siteGeneration(context, { itemIndex, timeoutMs }),
	);
	if ('problem' in parsed) throw invalid(context, itemIndex, 'Dataset', parsed.problem);
	return parsed.id;
}

/** The file id a File locator names (or a plain string). */
export function resourceIdOf(context: HttpContext, raw: unknown, itemIndex?: number): string {
	const locator = readLocator(raw);
	if (!locator.value) throw invalid(context, itemIndex, 'File', 'it is empty');
	if (locator.mode !== 'url') return locator.value;
	const parsed = fileIdFromUrl(locator.value);
	if ('problem' in parsed) throw invalid(context, itemIndex, 'File', parsed.problem);
	return parsed.id;
}

/** The item's Dataset parameter as an id. */
export async function readDatasetId(this: IExecuteFunctions, itemIndex: number): Promise<string> {
	return await datasetIdOf(
		this,
		this.getNodeParameter('datasetId', itemIndex),
		itemIndex,
		readTimeoutMs(this, itemIndex),
	);
}

/** The item's File parameter as an id. */
export function readResourceId(this: IExecuteFunctions, itemIndex: number): string {
	return resourceIdOf(this, this.getNodeParameter('resourceId', itemIndex), itemIndex);
}

/** Parses a JSON parameter that n8n may hand over already parsed or as text. */
export function parseJsonParameter(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	const text = value.trim();
	if (text === '') return undefined;
	return JSON.parse(text);
}

/**
 * The item's JSON-object parameter `name` (text, or an object an expression gave) as its fields, `{}`
 * when empty. Fails the item naming `displayName` when it is not valid JSON or not an object (`objectIs`
 * says what it must be).
 */
export function readJsonObjectParameter(
	this: IExecuteFunctions,
	name: string,
	displayName: string,
	itemIndex: number,
	objectIs = 'a JSON object',
): IDataObject {
	let value: unknown;
	try {
		value = parseJsonParameter(this.getNodeParameter(name, itemIndex, '{}'));
	} catch (error) {
		throw new NodeOperationError(
			this.getNode(),
			`${displayName} is not valid JSON: ${(error as Error).message}`,
			{ itemIndex },
		);
	}
	if (
		value !== undefined &&
		(typeof value !== 'object' || value === null || Array.isArray(value))
	) {
		throw new NodeOperationError(this.getNode(), `${displayName} must be ${objectIs}`, {
			itemIndex,
		});
	}
	return (value as IDataObject | undefined) ?? {};
}

/** The dataset without the bookkeeping the server adds to a patch answer. */
export function appliedOperations(dataset: IDataObject): IDataObject[] {
	const readonly = dataset.readonly as IDataObject | undefined;
	return (readonly?.updates as IDataObject[] | undefined) ?? [];
}

export function resourcesOf(dataset: IDataObject): Record<string, IDataObject> {
	return (dataset.resources as Record<string, IDataObject> | undefined) ?? {};
}

/**
 * Simplify (n8n's guideline for outputs of more than ten fields): on by default from node version 1.1.
 * Version 1 hides it, so that workflows saved before it keep the full dataset they were built on.
 */
export function simplifyProperty(operations: string[]): INodeProperties {
	return {
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description:
			'Whether to return a simplified version of the response instead of the raw data: ID, title, team, sharing, updatedAt, the page URL and the files (ID, title, format, size, URL)',
		displayOptions: {
			show: { resource: ['dataset'], operation: operations, '@version': [{ _cnd: { gte: 1.1 } }] },
		},
	};
}

/** The datasets as output: compact under Simplify, else exactly as DataPress sent them. */
export async function simplified(
	this: IExecuteFunctions,
	datasets: IDataObject[],
	itemIndex: number,
): Promise<IDataObject[]> {
	if (!this.getNodeParameter('simplify', itemIndex, false)) return datasets;
	const baseUrl = await siteBaseUrl(this);
	return datasets.map((dataset) => simplifyDataset(dataset, baseUrl) as unknown as IDataObject);
}
