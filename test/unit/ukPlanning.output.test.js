'use strict';
/** Version 2's output shape: camelCase names, Simplify, and its GeoJSON. */
const { normaliseApplication } = require('../../nodes/UkPlanning/helpers/normalise.ts');
const {
	outputApplication,
	toOutputApplication,
	toOutputFeatureCollection,
	SIMPLIFIED_FIELDS,
	OUTPUT_FIELD_NAMES,
} = require('../../nodes/UkPlanning/helpers/output.ts');

const { RAW_APPLICATION: raw, PERSONAL_OUTPUT_FIELDS } = require('../fixtures/planningApplication');

/** The sample application simplified, as written out by hand. */
const SIMPLIFIED = {
	reference: 'S08U81GYK8S00',
	authority: 'chichester',
	title: 'Two storey rear extension',
	address: '21 Church Road Epsom Surrey KT17 4DZ',
	postcode: 'KT17 4DZ',
	validated: '2023-10-10',
	link: raw.externalLink,
	location: { lat: 51.333349, lng: -0.257361 },
};

describe('toOutputApplication', () => {
	test('Simplify keeps the eight fields people use, in order, under their output names', () => {
		const simple = toOutputApplication(normaliseApplication(raw), { simplify: true });
		expect(Object.keys(simple)).toEqual([...SIMPLIFIED_FIELDS]);
		expect(simple).toEqual(SIMPLIFIED);
	});

	test('the full object: the simplified fields first, then every other field in camelCase', () => {
		const full = toOutputApplication(normaliseApplication(raw), { simplify: false });
		expect(Object.keys(full)).toEqual([
			...SIMPLIFIED_FIELDS,
			'authorityId',
			'documents',
			...PERSONAL_OUTPUT_FIELDS,
		]);
		expect(full).toMatchObject({
			authorityId: '2',
			documents: 11,
			applicantName: 'Mr Adrian Bailey',
			agentEmail: null,
		});
		expect(Object.keys(full).some((field) => field.includes('_'))).toBe(false);
	});

	test('personal data left out stays out; a missing coordinate makes both null; unknown fields travel along', () => {
		const app = normaliseApplication(
			{ ...raw, lng: '', decision: 'Granted' },
			{ omitPersonalData: true },
		);
		const full = toOutputApplication(app, { simplify: false });
		for (const field of PERSONAL_OUTPUT_FIELDS) {
			expect(full).not.toHaveProperty(field);
		}
		expect(full.location).toEqual({ lat: null, lng: null });
		expect(full.decision).toBe('Granted');
		expect(toOutputApplication(app, { simplify: true })).not.toHaveProperty('decision');
	});

	test('every API field has an output name, and no two share one', () => {
		const names = Object.values(OUTPUT_FIELD_NAMES);
		expect(new Set(names).size).toBe(names.length);
		for (const field of Object.keys(raw)) {
			if (field !== 'lat' && field !== 'lng') expect(OUTPUT_FIELD_NAMES).toHaveProperty(field);
		}
	});
});

test('toOutputFeatureCollection: location is the geometry (longitude first), the rest are properties', () => {
	const located = toOutputApplication(normaliseApplication(raw), { simplify: true });
	const unlocated = toOutputApplication(normaliseApplication({ ...raw, keyval: 'K2', lat: null }), {
		simplify: true,
	});
	const collection = toOutputFeatureCollection([located, unlocated]);
	const { location: _location, ...withoutLocation } = SIMPLIFIED;
	expect(collection.type).toBe('FeatureCollection');
	expect(collection.features[0]).toEqual({
		type: 'Feature',
		id: 'S08U81GYK8S00',
		geometry: { type: 'Point', coordinates: [-0.257361, 51.333349] },
		properties: withoutLocation,
	});
	expect(collection.features[1].geometry).toBeNull();
	expect(collection.features[1].id).toBe('K2');
});

describe('outputApplication (one pass) is the two steps, field for field and in the same order', () => {
	const variants = [
		raw,
		{ ...raw, lat: '', lng: '200', docs: '-3', validated: '10/10/2023' },
		{ ...raw, validated: '2024-02-30', postcode: '  ', title: ' padded ', docs: '2.6' },
		{ ...raw, validated: '2023-10-10T09:00:00Z', lat: 51, lng: -0.1, docs: 4 },
		{ ...raw, validated: '0099-01-01' },
		{ keyval: 'ONLY' },
		{},
		null,
		// An unknown field takes the two steps.
		{ ...raw, decision: 'Granted' },
		{ ...raw, reference: 'from the API', location: 'somewhere' },
	];
	for (const [index, variant] of variants.entries()) {
		for (const omitPersonalData of [false, true]) {
			for (const simplify of [false, true]) {
				test(`variant ${index}, omitPersonalData ${omitPersonalData}, simplify ${simplify}`, () => {
					const expected = toOutputApplication(
						normaliseApplication(variant, { omitPersonalData }),
						{ simplify },
					);
					const actual = outputApplication(variant, { omitPersonalData, simplify });
					expect(actual).toEqual(expected);
					expect(Object.keys(actual)).toEqual(Object.keys(expected));
				});
			}
		}
	}
});
