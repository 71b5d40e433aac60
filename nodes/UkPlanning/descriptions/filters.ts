/**
 * The search filter and output option fields, shared by UK Planning (Application → Search) and the
 * UK Planning Trigger.
 *
 * Version 1 has the filters as top-level parameters; version 2 puts them in one "Filters" collection
 * (`filters`, Add Filter) so that the panel stays short, and adds Simplify. The names, every one optional as
 * in the API:
 * - `lpaIds` (multiOptions from `getAuthorities`; ids by expression too) → lpa_id
 * - `dateFrom`, `dateTo` (validated date, inclusive) → date_from, date_to
 * - `postcodeExact` → postcode_exact, `postcodeStart` → postcode_start
 * - `radiusPostcode` + `radiusMiles` (0 = no radius search) → postcode_radius
 * - `address` → address, `keyword` → keyword
 * Output: collection `outputOptions` with boolean `omitPersonalData`.
 * readSearchFilters reads the form of the node's version; a field left out is "not set".
 */
import type {
	IDataObject,
	IDisplayOptions,
	IExecuteFunctions,
	INodeProperties,
	IPollFunctions,
} from 'n8n-workflow';

import { FILTER_FIELD_NAMES, filterInputFrom, type SearchFilterInput } from '../helpers/filters';

/** Every filter parameter with the value that means "not set". */
const FILTER_PARAMETER_DEFAULTS: Record<keyof SearchFilterInput, unknown> = {
	lpaIds: [],
	dateFrom: '',
	dateTo: '',
	postcodeExact: '',
	postcodeStart: '',
	radiusPostcode: '',
	radiusMiles: 0,
	address: '',
	keyword: '',
};

function shown(properties: INodeProperties[], displayOptions?: IDisplayOptions): INodeProperties[] {
	if (!displayOptions) return properties;
	return properties.map((property) => ({ ...property, displayOptions }));
}

export interface SearchFilterOptions {
	/** Include Validated From / To (default true). The trigger sets its own window and leaves them out. */
	dates?: boolean;
}

function filterFields({ dates = true }: SearchFilterOptions): INodeProperties[] {
	const properties: INodeProperties[] = [
		{
			displayName: FILTER_FIELD_NAMES.lpaIds,
			name: 'lpaIds',
			type: 'multiOptions',
			typeOptions: { loadOptionsMethod: 'getAuthorities' },
			default: [],
			description:
				'Local planning authorities to search; none searches all. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: FILTER_FIELD_NAMES.dateFrom,
			name: 'dateFrom',
			type: 'dateTime',
			default: '',
			description:
				'Only applications validated on or after this day: a date as yyyy-mm-dd (e.g. 2026-11-01), or a date and time of which only the date counts',
		},
		{
			displayName: FILTER_FIELD_NAMES.dateTo,
			name: 'dateTo',
			type: 'dateTime',
			default: '',
			description:
				'Only applications validated on or before this day: a date as yyyy-mm-dd (e.g. 2026-11-30), or a date and time of which only the date counts',
		},
		{
			displayName: FILTER_FIELD_NAMES.postcodeExact,
			name: 'postcodeExact',
			type: 'string',
			default: '',
			placeholder: 'e.g. GU16 7HF',
			description:
				'Only applications at this full UK postcode (e.g. GU16 7HF); spacing and case do not matter',
		},
		{
			displayName: FILTER_FIELD_NAMES.postcodeStart,
			name: 'postcodeStart',
			type: 'string',
			default: '',
			placeholder: 'e.g. GU16',
			description:
				'Only applications whose postcode starts with this area, district or sector (e.g. GU, GU16 or GU16 7); a full postcode works too',
		},
		{
			displayName: FILTER_FIELD_NAMES.radiusPostcode,
			name: 'radiusPostcode',
			type: 'string',
			default: '',
			placeholder: 'e.g. GU16 7HF',
			description:
				'Only applications within Radius (Miles) of this full postcode. Larger radii make slower searches.',
		},
		{
			displayName: FILTER_FIELD_NAMES.radiusMiles,
			name: 'radiusMiles',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 2 },
			default: 0,
			description: 'Distance from Radius Postcode in miles; 0 means no radius search',
		},
		{
			displayName: FILTER_FIELD_NAMES.address,
			name: 'address',
			type: 'string',
			default: '',
			placeholder: 'e.g. High Street',
			description:
				'Only applications whose address contains this text, any case (e.g. High Street)',
		},
		{
			displayName: FILTER_FIELD_NAMES.keyword,
			name: 'keyword',
			type: 'string',
			default: '',
			placeholder: 'e.g. extension',
			description:
				'Only applications whose description contains this text, any case (e.g. loft or extension)',
		},
	];
	return dates
		? properties
		: properties.filter((property) => property.name !== 'dateFrom' && property.name !== 'dateTo');
}

/** Version 1: the filters as top-level parameters. */
export function searchFilterProperties(
	displayOptions?: IDisplayOptions,
	options: SearchFilterOptions = {},
): INodeProperties[] {
	return shown(filterFields(options), displayOptions);
}

/** Version 2: the filters in one collection, so that only the ones in use take room in the panel. */
export function searchFilterCollection(
	displayOptions?: IDisplayOptions,
	options: SearchFilterOptions = {},
): INodeProperties[] {
	return shown(
		[
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'collection',
				placeholder: 'Add Filter',
				default: {},
				options: filterFields(options).sort((a, b) => a.displayName.localeCompare(b.displayName)),
			},
		],
		displayOptions,
	);
}

/** Version 2's Simplify (n8n's UX guidelines: outputs of more than ten fields get one, on by default). */
export function simplifyProperty(displayOptions?: IDisplayOptions): INodeProperties[] {
	return shown(
		[
			{
				displayName: 'Simplify',
				name: 'simplify',
				type: 'boolean',
				default: true,
				description:
					'Whether to return a simplified version of each application (reference, authority, title, address, postcode, validated, link, location) instead of every field',
			},
		],
		displayOptions,
	);
}

export function outputOptionProperties(displayOptions?: IDisplayOptions): INodeProperties[] {
	return shown(
		[
			{
				displayName: 'Output Options',
				name: 'outputOptions',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Omit Personal Data',
						name: 'omitPersonalData',
						type: 'boolean',
						default: false,
						description:
							'Whether to leave out applicant and agent names, addresses, phone numbers and emails (the site address stays)',
					},
				],
			},
		],
		displayOptions,
	);
}

type ParameterReader = IExecuteFunctions | IPollFunctions;

/** The node's version: 1 for workflows saved before version 2 existed. */
export function nodeVersion(context: ParameterReader): number {
	return Number(context.getNode().typeVersion) || 1;
}

function parameter(
	context: ParameterReader,
	itemIndex: number,
	name: string,
	fallback: unknown,
): unknown {
	// Poll contexts have no item index: their getNodeParameter takes the fallback second.
	return 'getInputData' in context
		? (context as IExecuteFunctions).getNodeParameter(name, itemIndex, fallback)
		: (context as IPollFunctions).getNodeParameter(name, fallback);
}

/** Reads the raw filter values of the node's version; validateSearchFilters checks them. */
export function readSearchFilters(context: ParameterReader, itemIndex: number): SearchFilterInput {
	if (nodeVersion(context) >= 2) {
		return filterInputFrom(parameter(context, itemIndex, 'filters', {}) as IDataObject);
	}
	const raw: IDataObject = {};
	for (const [name, fallback] of Object.entries(FILTER_PARAMETER_DEFAULTS)) {
		raw[name] = parameter(context, itemIndex, name, fallback) as IDataObject[string];
	}
	return raw as SearchFilterInput;
}

/** Simplify's value; undefined for version 1, which outputs the normalised application unchanged. */
export function readSimplify(context: ParameterReader, itemIndex: number): boolean | undefined {
	if (nodeVersion(context) < 2) return undefined;
	return parameter(context, itemIndex, 'simplify', true) !== false;
}
