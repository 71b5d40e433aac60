/**
 * Dataset → Update: JSON Patch or Set Fields, checked locally before the one PATCH is sent (a change is
 * never retried after it may have been applied). Over 350 lines on purpose: its parameters (both modes
 * and their options) belong to the operation, as n8n's one-file-per-operation layout has it.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import {
	bumpUpdatedAt,
	checkPatch,
	diffFields,
	isProblem,
	previewPatch,
	testUpdatedAt,
	type PatchOperation,
} from '../../helpers/patch';
import { datapress4Fields } from '../../helpers/fields';
import { patchDataset, siteGeneration } from '../../transport';
import {
	appliedOperations,
	callOptions,
	datasetIdProperty,
	parseJsonParameter,
	readDataset,
	readDatasetId,
	readJsonObjectParameter,
} from '../common';

const show = { resource: ['dataset'], operation: ['update'] };

export const description: INodeProperties[] = [
	datasetIdProperty('dataset', ['update']),
	{
		displayName: 'Update Mode',
		name: 'updateMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Set Fields',
				value: 'setFields',
				description:
					'Give the values wanted; the node reads the dataset and sends only what differs',
			},
			{
				name: 'JSON Patch',
				value: 'jsonPatch',
				description: 'Give RFC 6902 operations, sent as they are',
			},
		],
		default: 'setFields',
		displayOptions: { show },
	},
	{
		displayName: 'Operations Input',
		name: 'patchInput',
		type: 'options',
		options: [
			{ name: 'Using Fields Below', value: 'ui' },
			{ name: 'Using JSON', value: 'json' },
		],
		default: 'ui',
		displayOptions: { show: { ...show, updateMode: ['jsonPatch'] } },
	},
	{
		displayName: 'Operations',
		name: 'operationsUi',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Operation',
		default: {},
		displayOptions: { show: { ...show, updateMode: ['jsonPatch'], patchInput: ['ui'] } },
		options: [
			{
				displayName: 'Operation',
				name: 'operation',
				values: [
					{
						displayName: 'Op',
						name: 'op',
						type: 'options',
						options: [
							{ name: 'Add', value: 'add' },
							{ name: 'Copy', value: 'copy' },
							{ name: 'Move', value: 'move' },
							{ name: 'Remove', value: 'remove' },
							{ name: 'Replace', value: 'replace' },
							{ name: 'Test', value: 'test' },
						],
						default: 'replace',
					},
					{
						displayName: 'Path',
						name: 'path',
						type: 'string',
						default: '',
						placeholder: 'e.g. /title',
						description: 'JSON Pointer of the field',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						description:
							'Used as JSON when it is valid JSON (numbers, true, ["a"], {"k": 1}), else as text. Put text in double quotes to keep it text. Ignored by remove, move and copy.',
					},
					{
						displayName: 'From',
						name: 'from',
						type: 'string',
						default: '',
						placeholder: 'e.g. /tags/0',
						description: 'Source JSON Pointer, for move and copy',
					},
				],
			},
		],
	},
	{
		displayName: 'Patch (JSON)',
		name: 'patchJson',
		type: 'json',
		default: '[\n  {"op": "replace", "path": "/title", "value": "New title"}\n]',
		description: 'An RFC 6902 JSON Patch: an array of operations',
		displayOptions: { show: { ...show, updateMode: ['jsonPatch'], patchInput: ['json'] } },
	},
	{
		displayName: 'Fields',
		name: 'fields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: { ...show, updateMode: ['setFields'] } },
		options: [
			{
				displayName: 'Author',
				name: 'author',
				type: 'string',
				default: '',
				description: 'DataPress 4 keeps it in custom.author',
			},
			{
				displayName: 'Description',
				name: 'description',
				type: 'string',
				typeOptions: { rows: 4 },
				default: '',
				description: 'HTML allowed',
			},
			{
				displayName: 'Licence',
				name: 'licence',
				type: 'string',
				default: '',
				placeholder: 'e.g. ogl-v3',
				description:
					'Legacy: the licence ID. DataPress 4: the title of the licence object (its URL kept).',
			},
			{
				displayName: 'Maintainer',
				name: 'maintainer',
				type: 'string',
				default: '',
				description: 'DataPress 4 keeps it as contact.title',
			},
			{
				displayName: 'Maintainer Email',
				name: 'maintainer_email',
				type: 'string',
				placeholder: 'name@email.com',
				default: '',
				description: 'DataPress 4 keeps it as contact.email',
			},
			{
				displayName: 'Sharing',
				name: 'sharing',
				type: 'options',
				options: [
					{ name: 'Private', value: 'private' },
					{ name: 'Public', value: 'public' },
				],
				default: 'private',
				description:
					'Who sees the dataset. Private when first added, as on Create: publishing is a choice to make.',
			},
			{
				displayName: 'Tags',
				name: 'tags',
				type: 'string',
				default: '',
				description: "Comma-separated list; replaces the dataset's tags",
			},
			{ displayName: 'Title', name: 'title', type: 'string', default: '' },
			{
				displayName: 'Update Frequency',
				name: 'update_frequency',
				type: 'string',
				default: '',
				placeholder: 'e.g. Monthly',
				description: 'DataPress 4 keeps it in custom.update_frequency',
			},
		],
	},
	{
		displayName: 'Other Fields (JSON)',
		name: 'fieldsJson',
		type: 'json',
		default: '{}',
		description:
			'Any other top-level fields and their wanted values, e.g. {"topics": ["..."]}. Each field given gets exactly this value.',
		displayOptions: { show: { ...show, updateMode: ['setFields'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Bump Updated Date',
				name: 'bumpUpdatedDate',
				type: 'boolean',
				default: false,
				description:
					"Whether to set the dataset's updatedAt to now (DataPress does not do it by itself)",
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to only return the patch and the dataset as it would become, sending nothing',
			},
			{
				displayName: 'Only If Unchanged Since',
				name: 'onlyIfUnchangedSince',
				type: 'string',
				default: '',
				placeholder: 'e.g. 2019-01-11T15:14:11.944Z',
				description:
					'The updatedAt value read earlier, exactly as the API gave it. If the dataset was changed since, nothing is applied and the item fails with a conflict instead of overwriting that change. The update then always moves updatedAt forward (whatever Bump Updated Date says), so that a second writer holding the same value fails too.',
			},
		],
	},
];

function parseUiValue(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

function operationsFromUi(raw: IDataObject): IDataObject[] {
	const list = (raw.operation as IDataObject[] | undefined) ?? [];
	return list.map((entry) => {
		const op = entry.op as string;
		const operation: IDataObject = { op, path: entry.path ?? '' };
		if (['add', 'replace', 'test'].includes(op))
			operation.value = parseUiValue(String(entry.value ?? '')) as IDataObject;
		if (['move', 'copy'].includes(op)) operation.from = entry.from ?? '';
		return operation;
	});
}

function desiredFields(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const fields = { ...(this.getNodeParameter('fields', itemIndex, {}) as IDataObject) };
	if (typeof fields.tags === 'string') {
		fields.tags = fields.tags
			.split(',')
			.map((tag) => tag.trim())
			.filter((tag) => tag !== '');
	}
	const extra = readJsonObjectParameter.call(
		this,
		'fieldsJson',
		'Other Fields (JSON)',
		itemIndex,
		'a JSON object of field names and values',
	);
	return { ...extra, ...fields };
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const datasetId = await readDatasetId.call(this, itemIndex);
	const mode = this.getNodeParameter('updateMode', itemIndex) as 'setFields' | 'jsonPatch';
	const options = this.getNodeParameter('options', itemIndex, {}) as {
		bumpUpdatedDate?: boolean;
		dryRun?: boolean;
		onlyIfUnchangedSince?: string;
	};
	const unchangedSince = (options.onlyIfUnchangedSince ?? '').trim();
	const node = this.getNode();
	const reply = (json: IDataObject): INodeExecutionData[] => [
		{ json, pairedItem: { item: itemIndex } },
	];
	const conflict = (since: string) =>
		`Dataset "${datasetId}" was changed since ${since} (its updatedAt differs), so nothing was applied`;

	let current: IDataObject | undefined;
	let operations: PatchOperation[];
	if (mode === 'setFields') {
		const desired = desiredFields.call(this, itemIndex);
		if (!Object.keys(desired).length) {
			throw new NodeOperationError(node, 'Set Fields needs at least one field to set', {
				itemIndex,
			});
		}
		current = await readDataset.call(this, datasetId, itemIndex);
		if (unchangedSince && current.updatedAt !== unchangedSince) {
			throw new NodeOperationError(node, conflict(unchangedSince), {
				itemIndex,
				description: `The dataset's updatedAt is now ${String(current.updatedAt)}.`,
			});
		}
		// DataPress 4 keeps some of the legacy fields inside objects (contact, custom, licence).
		const wanted =
			(await siteGeneration(this, callOptions(this, itemIndex))) === 'v4'
				? datapress4Fields(current, desired)
				: desired;
		const diff = diffFields(current, wanted);
		if (isProblem(diff)) throw new NodeOperationError(node, diff.problem, { itemIndex });
		operations = diff.operations;
		if (!operations.length) {
			return reply({
				changed: false,
				message: `Dataset "${datasetId}" already has these values: no patch was sent`,
				operations: [],
				dataset: current,
			});
		}
	} else {
		const input = this.getNodeParameter('patchInput', itemIndex, 'ui') as string;
		let raw: unknown;
		if (input === 'json') {
			try {
				raw = parseJsonParameter(this.getNodeParameter('patchJson', itemIndex, '[]'));
			} catch (error) {
				throw new NodeOperationError(
					node,
					`Patch (JSON) is not valid JSON: ${(error as Error).message}`,
					{ itemIndex },
				);
			}
		} else {
			raw = operationsFromUi(this.getNodeParameter('operationsUi', itemIndex, {}) as IDataObject);
		}
		const checked = checkPatch(raw ?? []);
		if (isProblem(checked)) throw new NodeOperationError(node, checked.problem, { itemIndex });
		operations = checked.operations;
		if (!operations.length && !options.bumpUpdatedDate) {
			throw new NodeOperationError(node, 'The patch has no operations', { itemIndex });
		}
	}

	const patch: PatchOperation[] = [];
	if (unchangedSince) patch.push(testUpdatedAt(unchangedSince));
	patch.push(...operations);
	// With Only If Unchanged Since the stamp always moves: a second writer holding the same stamp must fail its test.
	const bump = options.bumpUpdatedDate === true || unchangedSince !== '';
	if (bump && !operations.some((operation) => operation.path === '/updatedAt')) {
		patch.push(bumpUpdatedAt(new Date(), unchangedSince, current?.updatedAt));
	}

	if (options.dryRun) {
		current ??= await readDataset.call(this, datasetId, itemIndex);
		const preview = previewPatch(current, patch);
		if ('conflict' in preview) {
			throw new NodeOperationError(
				node,
				unchangedSince && preview.index === 0
					? conflict(unchangedSince)
					: `Dry run: ${preview.conflict}`,
				{
					itemIndex,
					description: `Dry run: the dataset's updatedAt is ${String(current.updatedAt)}.`,
				},
			);
		}
		if (isProblem(preview))
			throw new NodeOperationError(node, `Dry run: ${preview.problem}`, { itemIndex });
		return reply({
			dryRun: true,
			changed: false,
			operations: patch as unknown as IDataObject[],
			dataset: preview.dataset,
		});
	}

	const updated = await patchDataset(
		this,
		datasetId,
		patch as unknown as IDataObject[],
		callOptions(this, itemIndex, {
			conflictMessage: unchangedSince ? conflict(unchangedSince) : undefined,
		}),
	);
	const applied = appliedOperations(updated);
	return reply({
		changed: true,
		operations: (applied.length ? applied : patch) as unknown as IDataObject[],
		dataset: updated,
	});
}
