/**
 * Turns applications as the API sends them (every value a string, absent values null) into values a
 * workflow can use directly. Pure, shared with the trigger.
 */
import type { RawApplication } from '../domain/search';

export type { RawApplication };

export interface Application {
	lpa_id: string | null;
	lpa_name: string | null;
	keyval: string | null;
	externalLink: string | null;
	title: string | null;
	address: string | null;
	postcode: string | null;
	lat: number | null;
	lng: number | null;
	validated: string | null;
	docs: number | null;
	applicant_name?: string | null;
	applicant_address?: string | null;
	agent_name?: string | null;
	agent_address?: string | null;
	agent_phone?: string | null;
	agent_email?: string | null;
	[field: string]: unknown;
}

export interface NormaliseOptions {
	/** Leave out applicant and agent names, addresses, phones and emails. */
	omitPersonalData?: boolean;
}

/** Fields that name or reach a person; the site address of the application is not among them. */
export const PERSONAL_DATA_FIELDS = [
	'applicant_name',
	'applicant_address',
	'agent_name',
	'agent_address',
	'agent_phone',
	'agent_email',
] as const;

export function optionalText(value: unknown): string | null {
	if (value === undefined || value === null) return null;
	const textValue = (typeof value === 'string' ? value : String(value)).trim();
	return textValue === '' ? null : textValue;
}

function optionalNumber(value: unknown): number | null {
	const textValue = optionalText(value);
	if (textValue === null) return null;
	const numberValue = Number(textValue);
	return Number.isFinite(numberValue) ? numberValue : null;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
	const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
	return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

const twoDigits = (value: number) => (value < 10 ? `0${value}` : String(value));

/**
 * The date as yyyy-mm-dd when it exists (in the proleptic Gregorian calendar, as Date counts), else null.
 * Years before 100 are refused, as they always were: Date.UTC reads them as 1900 + year.
 */
function realDate(year: number, month: number, day: number): string | null {
	if (year < 100 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
	if (day > daysInMonth(year, month)) return null;
	return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}`;
}

/** The number written by the ASCII digits text[start..end), or -1 when any of them is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
	let number = 0;
	for (let index = start; index < end; index++) {
		const digit = text.charCodeAt(index) - 48;
		if (digit < 0 || digit > 9) return -1;
		number = number * 10 + digit;
	}
	return number;
}

/** The validated date as yyyy-mm-dd; accepts the API's own form, a timestamp, or a UK dd/mm/yyyy. */
export function toIsoDate(value: unknown): string | null {
	const textValue = optionalText(value);
	if (textValue === null) return null;
	if (textValue.length === 10 && textValue[4] === '-' && textValue[7] === '-') {
		// The API's own form, read without a regular expression: it is in every application.
		const year = digitsAt(textValue, 0, 4);
		const month = digitsAt(textValue, 5, 7);
		const day = digitsAt(textValue, 8, 10);
		if (year >= 0 && month >= 0 && day >= 0)
			return realDate(year, month, day) === null ? null : textValue;
	}
	let match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(textValue);
	if (match) return realDate(Number(match[1]), Number(match[2]), Number(match[3]));
	match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(textValue);
	if (match) return realDate(Number(match[3]), Number(match[2]), Number(match[1]));
	return null;
}

/** A latitude in range, else null. */
export function latitude(value: unknown): number | null {
	const lat = optionalNumber(value);
	return lat !== null && Math.abs(lat) <= 90 ? lat : null;
}

/** A longitude in range, else null. */
export function longitude(value: unknown): number | null {
	const lng = optionalNumber(value);
	return lng !== null && Math.abs(lng) <= 180 ? lng : null;
}

/** A document count: a whole number, not negative, else null. */
export function documentCount(value: unknown): number | null {
	const docs = optionalNumber(value);
	return docs !== null && docs >= 0 ? Math.round(docs) : null;
}

/** The fields normaliseApplication reads; any other field travels along unchanged. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
	'lpa_id',
	'lpa_name',
	'keyval',
	'externalLink',
	'title',
	'address',
	'postcode',
	'lat',
	'lng',
	'validated',
	'docs',
	...PERSONAL_DATA_FIELDS,
]);

export function normaliseApplication(
	raw: RawApplication,
	options: NormaliseOptions = {},
): Application {
	const source = raw ?? {};
	const application: Application = {
		lpa_id: optionalText(source.lpa_id),
		lpa_name: optionalText(source.lpa_name),
		keyval: optionalText(source.keyval),
		externalLink: optionalText(source.externalLink),
		title: optionalText(source.title),
		address: optionalText(source.address),
		postcode: optionalText(source.postcode),
		lat: latitude(source.lat),
		lng: longitude(source.lng),
		validated: toIsoDate(source.validated),
		docs: documentCount(source.docs),
	};
	if (!options.omitPersonalData) {
		// PERSONAL_DATA_FIELDS, in its order, written out: this runs once per application.
		application.applicant_name = optionalText(source.applicant_name);
		application.applicant_address = optionalText(source.applicant_address);
		application.agent_name = optionalText(source.agent_name);
		application.agent_address = optionalText(source.agent_address);
		application.agent_phone = optionalText(source.agent_phone);
		application.agent_email = optionalText(source.agent_email);
	}
	// Fields the API may add later travel along unchanged.
	for (const field in source) {
		if (Object.hasOwn(source, field) && !KNOWN_FIELDS.has(field))
			application[field] = source[field];
	}
	return application;
}

export interface Feature {
	type: 'Feature';
	id?: string;
	geometry: { type: 'Point'; coordinates: [number, number] } | null;
	properties: Record<string, unknown>;
}

export interface FeatureCollection {
	type: 'FeatureCollection';
	features: Feature[];
}

/**
 * One GeoJSON FeatureCollection of (normalised) applications, for map nodes and GIS tools. GeoJSON
 * orders coordinates longitude first; an application without coordinates keeps a null geometry.
 */
export function toFeatureCollection(applications: Application[]): FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: applications.map((application) => {
			const { lat, lng, ...properties } = application;
			const located = typeof lat === 'number' && typeof lng === 'number';
			const feature: Feature = {
				type: 'Feature',
				geometry: located ? { type: 'Point', coordinates: [lng, lat] } : null,
				properties,
			};
			if (application.keyval) feature.id = application.keyval;
			return feature;
		}),
	};
}
