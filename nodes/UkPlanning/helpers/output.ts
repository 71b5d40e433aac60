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
import type { Application, Feature, FeatureCollection } from './normalise';
import { PERSONAL_DATA_FIELDS } from './normalise';

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

/**
 * A normalised application in version 2's names. lat and lng become one `location`, always an object so
 * that a spreadsheet made of the items has the same columns (location.lat, location.lng) whatever the
 * first row holds.
 */
export function toOutputApplication(
	application: Application,
	{ simplify }: OutputOptions,
): OutputApplication {
	const { lat, lng } = application;
	const located = typeof lat === 'number' && typeof lng === 'number';
	const location: Location = located ? { lat, lng } : { lat: null, lng: null };
	const full: Record<string, unknown> = {};
	for (const [apiName, outputName] of Object.entries(OUTPUT_FIELD_NAMES)) {
		// Personal data left out by Omit Personal Data stays out: absent, not null.
		if ((PERSONAL_DATA_FIELDS as readonly string[]).includes(apiName) && !(apiName in application))
			continue;
		full[outputName] = application[apiName] ?? null;
	}
	full.location = location;
	if (simplify) {
		const simplified: Record<string, unknown> = {};
		for (const field of SIMPLIFIED_FIELDS) simplified[field] = full[field];
		return simplified as OutputApplication;
	}
	const ordered: Record<string, unknown> = {};
	for (const field of SIMPLIFIED_FIELDS) ordered[field] = full[field];
	for (const [field, value] of Object.entries(full))
		if (!(field in ordered)) ordered[field] = value;
	// Fields the API may add later travel along under the API's own name.
	for (const [field, value] of Object.entries(application)) {
		if (field !== 'lat' && field !== 'lng' && !(field in OUTPUT_FIELD_NAMES))
			ordered[field] = value;
	}
	return ordered as OutputApplication;
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
