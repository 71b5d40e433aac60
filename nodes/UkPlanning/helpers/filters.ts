/**
 * Search filters: checks the values a user typed and turns them into the query parameters `/search`
 * expects. Pure (no n8n types), so both the node and the trigger use it and it is tested directly.
 */

import { isValidIsoDate } from '../domain/days';
import { normalisePostcode, normalisePostcodeStart } from '../domain/postcode';

/** Raw filter values as read from the node parameters (see descriptions/filters.ts for the UI). */
export interface SearchFilterInput {
	/** Authority ids: an array from the multi-select, or a comma list / number from an expression. */
	lpaIds?: unknown;
	dateFrom?: unknown;
	dateTo?: unknown;
	postcodeExact?: unknown;
	postcodeStart?: unknown;
	radiusPostcode?: unknown;
	radiusMiles?: unknown;
	address?: unknown;
	keyword?: unknown;
}

/** Query-string parameters of `/search` (API names), only those the user set. */
export interface SearchQuery {
	lpa_id?: string;
	date_from?: string;
	date_to?: string;
	postcode_exact?: string;
	postcode_start?: string;
	postcode_radius?: string;
	address?: string;
	keyword?: string;
}

/** The filter names, in the order of the UI (version 1's top-level parameters, version 2's Filters collection). */
export const FILTER_NAMES = [
	'lpaIds',
	'dateFrom',
	'dateTo',
	'postcodeExact',
	'postcodeStart',
	'radiusPostcode',
	'radiusMiles',
	'address',
	'keyword',
] as const;

/**
 * The filter values among a node's parameters or its Filters collection. A collection holds only the
 * filters the user added; the others are left unset, as an empty field would be.
 */
export function filterInputFrom(
	values: Record<string, unknown> | null | undefined,
): SearchFilterInput {
	const input: SearchFilterInput = {};
	if (!values || typeof values !== 'object') return input;
	for (const name of FILTER_NAMES) if (values[name] !== undefined) input[name] = values[name];
	return input;
}

/** UI names of the filter fields, used in messages so that the user finds the field to fix. */
export const FILTER_FIELD_NAMES = {
	lpaIds: 'Planning Authority Names or IDs',
	dateFrom: 'Validated From',
	dateTo: 'Validated To',
	postcodeExact: 'Postcode (Exact)',
	postcodeStart: 'Postcode Starts With',
	radiusPostcode: 'Radius Postcode',
	radiusMiles: 'Radius (Miles)',
	address: 'Address Contains',
	keyword: 'Description Contains',
} as const;

/** A filter value that cannot be sent; `field` is the UI name of the field. */
export class FilterValidationError extends Error {
	readonly field: string;

	constructor(field: string, message: string) {
		super(message);
		this.name = 'FilterValidationError';
		this.field = field;
	}
}

function text(value: unknown): string {
	if (value === undefined || value === null) return '';
	return String(value).trim();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The day a JavaScript date string names ("Tue Dec 01 2026 23:42:17 GMT+0000", what `{{ new Date() }}`
 * can turn into), as written. Other formats such as 01/12/2026 are refused: day and month are ambiguous.
 */
function dayOfDateString(raw: string): string | undefined {
	const match =
		/^[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{4}) \d{2}:\d{2}:\d{2} GMT[+-]\d{4}/.exec(raw);
	const month = match ? MONTHS.indexOf(match[1]) + 1 : 0;
	if (!match || month === 0) return undefined;
	return `${match[3]}-${String(month).padStart(2, '0')}-${match[2]}`;
}

/**
 * A date filter as yyyy-mm-dd. The date picker gives "2026-11-01T00:00:00" and expressions may give
 * a full ISO timestamp; only the calendar date counts, as the API filters on the validated day.
 */
function readDate(field: string, value: unknown): string | undefined {
	if (value instanceof Date && !Number.isNaN(value.getTime()))
		return value.toISOString().slice(0, 10);
	const raw = text(value);
	if (!raw) return undefined;
	const datePart = /^\d{4}-\d{2}-\d{2}(?=T|$)/.exec(raw)?.[0] ?? dayOfDateString(raw);
	if (!datePart || !isValidIsoDate(datePart)) {
		throw new FilterValidationError(
			field,
			`"${raw}" is not a real date in the form yyyy-mm-dd (e.g. 2026-11-01)`,
		);
	}
	return datePart;
}

/** Authority ids from the multi-select (array) or an expression ("1,2", 3, ["1", 2]). */
export function parseLpaIds(value: unknown): string[] {
	const field = FILTER_FIELD_NAMES.lpaIds;
	let parts: unknown[];
	if (value === undefined || value === null || value === '') parts = [];
	else if (Array.isArray(value)) parts = value;
	else if (typeof value === 'number') parts = [value];
	else if (typeof value === 'string') parts = value.split(',');
	else throw new FilterValidationError(field, 'must be a list of authority ids (e.g. "1,25")');
	const ids: string[] = [];
	for (const part of parts) {
		const id = text(part);
		if (!id) continue;
		if (!/^\d+$/.test(id)) {
			throw new FilterValidationError(
				field,
				`"${id}" is not an authority id (ids are whole numbers; see Authority → Get Many)`,
			);
		}
		const canonical = String(Number(id));
		if (!ids.includes(canonical)) ids.push(canonical);
	}
	return ids;
}

function readRadiusMiles(value: unknown): number | undefined {
	if (value === undefined || value === null || text(value) === '') return undefined;
	const miles = typeof value === 'number' ? value : Number(text(value));
	if (!Number.isFinite(miles)) {
		throw new FilterValidationError(
			FILTER_FIELD_NAMES.radiusMiles,
			`"${text(value)}" is not a number of miles`,
		);
	}
	return miles;
}

/** Checks every filter and returns the query parameters; throws FilterValidationError naming the field. */
export function validateSearchFilters(raw: SearchFilterInput): SearchQuery {
	const input = raw ?? {};
	const query: SearchQuery = {};

	const ids = parseLpaIds(input.lpaIds);
	if (ids.length) query.lpa_id = ids.join(',');

	const dateFrom = readDate(FILTER_FIELD_NAMES.dateFrom, input.dateFrom);
	const dateTo = readDate(FILTER_FIELD_NAMES.dateTo, input.dateTo);
	if (dateFrom && dateTo && dateFrom > dateTo) {
		throw new FilterValidationError(
			FILTER_FIELD_NAMES.dateFrom,
			`${dateFrom} is after ${FILTER_FIELD_NAMES.dateTo} (${dateTo}); the range would match nothing`,
		);
	}
	if (dateFrom) query.date_from = dateFrom;
	if (dateTo) query.date_to = dateTo;

	const exactRaw = text(input.postcodeExact);
	if (exactRaw) {
		const postcode = normalisePostcode(exactRaw);
		if (!postcode) {
			throw new FilterValidationError(
				FILTER_FIELD_NAMES.postcodeExact,
				`"${exactRaw}" is not a full UK postcode (e.g. "GU16 7HF")`,
			);
		}
		query.postcode_exact = postcode;
	}

	const startRaw = text(input.postcodeStart);
	if (startRaw) {
		const start = normalisePostcodeStart(startRaw);
		if (!start) {
			throw new FilterValidationError(
				FILTER_FIELD_NAMES.postcodeStart,
				`"${startRaw}" is not the start of a UK postcode (e.g. "GU16" or "SW1A 2")`,
			);
		}
		query.postcode_start = start;
	}

	const radiusPostcodeRaw = text(input.radiusPostcode);
	const miles = readRadiusMiles(input.radiusMiles);
	if (radiusPostcodeRaw) {
		const postcode = normalisePostcode(radiusPostcodeRaw);
		if (!postcode) {
			throw new FilterValidationError(
				FILTER_FIELD_NAMES.radiusPostcode,
				`"${radiusPostcodeRaw}" is not a full UK postcode (a radius search needs one, e.g. "GU16 7HF")`,
			);
		}
		if (miles === undefined || miles <= 0) {
			throw new FilterValidationError(
				FILTER_FIELD_NAMES.radiusMiles,
				`must be a positive number of miles for a radius search around ${postcode}${miles === undefined ? '' : ` (got ${miles})`}`,
			);
		}
		query.postcode_radius = `${postcode},${miles}`;
	} else if (miles !== undefined && miles !== 0) {
		// 0 is the field's "no radius search" default; any other value without a postcode is a mistake.
		throw new FilterValidationError(
			miles < 0 ? FILTER_FIELD_NAMES.radiusMiles : FILTER_FIELD_NAMES.radiusPostcode,
			miles < 0
				? `must be a positive number of miles (got ${miles})`
				: `is empty, but ${FILTER_FIELD_NAMES.radiusMiles} is ${miles}: a radius search needs a full postcode`,
		);
	}

	const address = text(input.address);
	if (address) query.address = address;
	const keyword = text(input.keyword);
	if (keyword) query.keyword = keyword;

	return query;
}
