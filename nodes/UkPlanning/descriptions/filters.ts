/**
 * The search filter and output option fields, shared by UK Planning (Application → Search) and the
 * UK Planning Trigger.
 *
 * Parameter names (top level, every one optional as in the API):
 * - `lpaIds` (multiOptions from `getAuthorities`; ids by expression too) → lpa_id
 * - `dateFrom`, `dateTo` (validated date, inclusive) → date_from, date_to
 * - `postcodeExact` → postcode_exact, `postcodeStart` → postcode_start
 * - `radiusPostcode` + `radiusMiles` (0 = no radius search) → postcode_radius
 * - `address` → address, `keyword` → keyword
 * Output: collection `outputOptions` with boolean `omitPersonalData`.
 * readSearchFilters falls back to "not set" for a field left out (e.g. the dates with `{ dates: false }`).
 */
import type { IDataObject, IDisplayOptions, IExecuteFunctions, INodeProperties, IPollFunctions } from 'n8n-workflow';

import { FILTER_FIELD_NAMES, type SearchFilterInput } from '../helpers/filters';

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

export function searchFilterProperties(
	displayOptions?: IDisplayOptions,
	{ dates = true }: SearchFilterOptions = {},
): INodeProperties[] {
	const properties = shown(
		[
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
				description: 'Only applications validated on or after this day (only the date counts)',
			},
			{
				displayName: FILTER_FIELD_NAMES.dateTo,
				name: 'dateTo',
				type: 'dateTime',
				default: '',
				description: 'Only applications validated on or before this day (only the date counts)',
			},
			{
				displayName: FILTER_FIELD_NAMES.postcodeExact,
				name: 'postcodeExact',
				type: 'string',
				default: '',
				placeholder: 'GU16 7HF',
				description: 'Only applications at this full postcode; spacing and case do not matter',
			},
			{
				displayName: FILTER_FIELD_NAMES.postcodeStart,
				name: 'postcodeStart',
				type: 'string',
				default: '',
				placeholder: 'GU16',
				description: 'Only applications whose postcode starts with this area, district or sector',
			},
			{
				displayName: FILTER_FIELD_NAMES.radiusPostcode,
				name: 'radiusPostcode',
				type: 'string',
				default: '',
				placeholder: 'GU16 7HF',
				description: 'Only applications within Radius (Miles) of this full postcode. Larger radii make slower searches.',
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
				placeholder: 'High Street',
				description: 'Only applications whose address contains this text (any case)',
			},
			{
				displayName: FILTER_FIELD_NAMES.keyword,
				name: 'keyword',
				type: 'string',
				default: '',
				placeholder: 'extension',
				description: 'Only applications whose description contains this text (any case)',
			},
		],
		displayOptions,
	);
	return dates ? properties : properties.filter((property) => property.name !== 'dateFrom' && property.name !== 'dateTo');
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

/** Reads the raw filter values; validateSearchFilters checks them. */
export function readSearchFilters(context: ParameterReader, itemIndex: number): SearchFilterInput {
	const raw: IDataObject = {};
	for (const [name, fallback] of Object.entries(FILTER_PARAMETER_DEFAULTS)) {
		// Poll contexts have no item index: their getNodeParameter takes the fallback second.
		raw[name] =
			'getInputData' in context
				? (context as IExecuteFunctions).getNodeParameter(name, itemIndex, fallback)
				: (context as IPollFunctions).getNodeParameter(name, fallback);
	}
	return raw as SearchFilterInput;
}
