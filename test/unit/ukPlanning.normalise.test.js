'use strict';
const {
	normaliseApplication,
	toFeatureCollection,
	toIsoDate,
	PERSONAL_DATA_FIELDS,
} = require('../../nodes/UkPlanning/helpers/normalise.ts');

const { RAW_APPLICATION: seedExample } = require('../fixtures/planningApplication');

test('numbers become numbers, strings stay strings, the date is ISO', () => {
	const app = normaliseApplication(seedExample);
	expect(app.lat).toBe(51.333349);
	expect(app.lng).toBe(-0.257361);
	expect(app.docs).toBe(11);
	expect(app.validated).toBe('2023-10-10');
	expect(app.lpa_id).toBe('2');
	expect(app.keyval).toBe('S08U81GYK8S00');
	expect(app.applicant_name).toBe('Mr Adrian Bailey');
	expect(app.agent_email).toBeNull();
});

test('absent or broken values become null, unknown fields travel along', () => {
	const app = normaliseApplication({
		keyval: 'K',
		lat: '',
		lng: 'x',
		docs: null,
		validated: '2023-02-30',
		lpa_id: 7,
		extra: 'kept',
	});
	expect(app).toMatchObject({
		keyval: 'K',
		lat: null,
		lng: null,
		docs: null,
		validated: null,
		lpa_id: '7',
		extra: 'kept',
		title: null,
	});
	expect(normaliseApplication({ lat: '95', lng: '-200' })).toMatchObject({ lat: null, lng: null });
});

test('omitPersonalData removes applicant and agent fields but keeps the site address', () => {
	const app = normaliseApplication(
		{ ...seedExample, agent_email: 'agent@example.com' },
		{ omitPersonalData: true },
	);
	for (const field of PERSONAL_DATA_FIELDS) expect(app).not.toHaveProperty(field);
	expect(JSON.stringify(app)).not.toMatch(/Bailey|agent@example/);
	expect(app.address).toBe(seedExample.address);
});

test('toIsoDate reads the API form, timestamps and UK dates', () => {
	expect(toIsoDate('2026-11-20')).toBe('2026-11-20');
	expect(toIsoDate('2026-11-20 10:00:00')).toBe('2026-11-20');
	expect(toIsoDate('20/11/2026')).toBe('2026-11-20');
	expect(toIsoDate('31/02/2026')).toBeNull();
	expect(toIsoDate('soon')).toBeNull();
	expect(toIsoDate(null)).toBeNull();
});

test('toFeatureCollection: points are [lng, lat], unlocated applications keep a null geometry', () => {
	const located = normaliseApplication(seedExample);
	const unlocated = normaliseApplication({ ...seedExample, keyval: 'NOPOS', lat: null, lng: null });
	const collection = toFeatureCollection([located, unlocated]);
	expect(collection.type).toBe('FeatureCollection');
	expect(collection.features).toHaveLength(2);
	expect(collection.features[0]).toMatchObject({
		type: 'Feature',
		id: 'S08U81GYK8S00',
		geometry: { type: 'Point', coordinates: [-0.257361, 51.333349] },
		properties: { keyval: 'S08U81GYK8S00', postcode: 'KT17 4DZ', docs: 11 },
	});
	expect(collection.features[0].properties).not.toHaveProperty('lat');
	expect(collection.features[1].geometry).toBeNull();
	expect(toFeatureCollection([])).toEqual({ type: 'FeatureCollection', features: [] });
});
