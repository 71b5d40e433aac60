/**
 * The application as node version 2 outputs it: one camelCase naming for every field (the API mixes
 * snake_case and camelCase), and a simplified form with the fields people use. Pure, shared with the
 * trigger. Version 1 keeps normaliseApplication's shape unchanged, so saved workflows keep their fields.
 *
 * API name → output name: keyval → reference, lpa_name → authority, lpa_id → authorityId, title, address,
 * postcode, validated, externalLink → link, lat + lng → location { lat, lng }, docs → documents,
 * applicant_name → applicantName, applicant_address → applicantAddress, agent_name → agentName,
 * agent_address → agentAddress, agent_phone → agentPhone, agent_email → agentEmail.
 */
import {
	type Application,
	type Feature,
	type FeatureCollection,
	type NormaliseOptions,
	documentCount,
	KNOWN_FIELDS,
	latitude,
	longitude,
	normaliseApplication,
	optionalText,
	PERSONAL_DATA_FIELDS,
	toIsoDate,
	type RawApplication,
} from './normalise';

/** Both coordinates, or both null: one without the other places nothing. */
export interface Location {
	lat: number | null;
	lng: number | null;
}

/** What Simplify keeps, in this order. */
export const SIMPLIFIED_FIELDS = [
	'reference',
	'authority',
	'title',
	'address',
	'postcode',
	'validated',
	'link',
	'location',
] as const;

/** Output name of each field of a normalised application. */
export const OUTPUT_FIELD_NAMES: Record<string, string> = {
	keyval: 'reference',
	lpa_name: 'authority',
	lpa_id: 'authorityId',
	title: 'title',
	address: 'address',
	postcode: 'postcode',
	validated: 'validated',
	externalLink: 'link',
	docs: 'documents',
	applicant_name: 'applicantName',
	applicant_address: 'applicantAddress',
	agent_name: 'agentName',
	agent_address: 'agentAddress',
	agent_phone: 'agentPhone',
	agent_email: 'agentEmail',
};

export type OutputApplication = Record<string, unknown> & {
	reference: string | null;
	location: Location;
};

export interface OutputOptions {
	/** Only SIMPLIFIED_FIELDS (the default of the nodes' Simplify). */
	simplify: boolean;
}

/** The renamed fields that are personal data, in OUTPUT_FIELD_NAMES' order. */
const PERSONAL_OUTPUT_FIELDS = PERSONAL_DATA_FIELDS.map(
	(apiName) => [apiName, OUTPUT_FIELD_NAMES[apiName]] as const,
);

/**
 * A normalised application in version 2's names. lat and lng become one `location`, always an object so
 * that a spreadsheet made of the items has the same columns (location.lat, location.lng) whatever the
 * first row holds. Fields in this order: SIMPLIFIED_FIELDS, the other renamed fields in
 * OUTPUT_FIELD_NAMES' order, then fields the API may add later. Built as literals in that order: it runs
 * once per application, tens of thousands per search.
 */
export function toOutputApplication(
	application: Application,
	{ simplify }: OutputOptions,
): OutputApplication {
	const { lat, lng } = application;
	const located = typeof lat === 'number' && typeof lng === 'number';
	const location: Location = located ? { lat, lng } : { lat: null, lng: null };
	if (simplify) {
		return {
			reference: application.keyval ?? null,
			authority: application.lpa_name ?? null,
			title: application.title ?? null,
			address: application.address ?? null,
			postcode: application.postcode ?? null,
			validated: application.validated ?? null,
			link: application.externalLink ?? null,
			location,
		};
	}
	const ordered: OutputApplication = {
		reference: application.keyval ?? null,
		authority: application.lpa_name ?? null,
		title: application.title ?? null,
		address: application.address ?? null,
		postcode: application.postcode ?? null,
		validated: application.validated ?? null,
		link: application.externalLink ?? null,
		location,
		authorityId: application.lpa_id ?? null,
		documents: application.docs ?? null,
	};
	for (const [apiName, outputName] of PERSONAL_OUTPUT_FIELDS) {
		// Personal data left out by Omit Personal Data stays out: absent, not null.
		if (apiName in application) ordered[outputName] = application[apiName] ?? null;
	}
	// Fields the API may add later travel along under the API's own name.
	for (const field of Object.keys(application)) {
		if (field !== 'lat' && field !== 'lng' && !(field in OUTPUT_FIELD_NAMES))
			ordered[field] = application[field];
	}
	return ordered;
}

/** True when every enumerable field of the application is one normaliseApplication reads. */
function onlyKnownFields(source: object): boolean {
	for (const field in source) if (!KNOWN_FIELDS.has(field)) return false;
	return true;
}

/**
 * `toOutputApplication(normaliseApplication(raw, options), options)`, in one pass for the usual
 * application (only the fields the API documents): a search outputs tens of thousands of them, and the
 * normalised copy in between costs as much as the rest. Any other application takes the two steps.
 */
export function outputApplication(
	raw: RawApplication,
	options: NormaliseOptions & OutputOptions,
): OutputApplication {
	const source = raw ?? {};
	if (!onlyKnownFields(source))
		return toOutputApplication(normaliseApplication(raw, options), options);
	const lat = latitude(source.lat);
	const lng = longitude(source.lng);
	const reference = optionalText(source.keyval);
	const authority = optionalText(source.lpa_name);
	const title = optionalText(source.title);
	const address = optionalText(source.address);
	const postcode = optionalText(source.postcode);
	const validated = toIsoDate(source.validated);
	const link = optionalText(source.externalLink);
	const location = lat !== null && lng !== null ? { lat, lng } : { lat: null, lng: null };
	// Each shape as one literal: the object is made with all its fields at once.
	if (options.simplify)
		return { reference, authority, title, address, postcode, validated, link, location };
	const authorityId = optionalText(source.lpa_id);
	const documents = documentCount(source.docs);
	if (options.omitPersonalData) {
		return {
			reference,
			authority,
			title,
			address,
			postcode,
			validated,
			link,
			location,
			authorityId,
			documents,
		};
	}
	return {
		reference,
		authority,
		title,
		address,
		postcode,
		validated,
		link,
		location,
		authorityId,
		documents,
		applicantName: optionalText(source.applicant_name),
		applicantAddress: optionalText(source.applicant_address),
		agentName: optionalText(source.agent_name),
		agentAddress: optionalText(source.agent_address),
		agentPhone: optionalText(source.agent_phone),
		agentEmail: optionalText(source.agent_email),
	};
}

/** Version 2's GeoJSON: the location is the geometry, every other output field a property. */
export function toOutputFeatureCollection(applications: OutputApplication[]): FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: applications.map((application) => {
			const { location, ...properties } = application;
			const feature: Feature = {
				type: 'Feature',
				geometry:
					location.lat !== null && location.lng !== null
						? { type: 'Point', coordinates: [location.lng, location.lat] }
						: null,
				properties,
			};
			if (application.reference) feature.id = application.reference;
			return feature;
		}),
	};
}
