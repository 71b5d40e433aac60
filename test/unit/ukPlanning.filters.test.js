'use strict';
const {
	validateSearchFilters,
	FilterValidationError,
	parseLpaIds,
} = require('../../nodes/UkPlanning/helpers/filters.ts');
const {
	normalisePostcode,
	normalisePostcodeStart,
} = require('../../nodes/UkPlanning/domain/postcode.ts');
const {
	isValidIsoDate,
	shiftDay: addDays,
	daysBetween,
} = require('../../nodes/UkPlanning/domain/days.ts');

function fieldOf(run) {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(FilterValidationError);
		return error.field;
	}
	throw new Error('expected a FilterValidationError');
}

describe('postcodes', () => {
	test.each([
		['gu167hf', 'GU16 7HF'],
		['  GU16   7HF ', 'GU16 7HF'],
		['sw1a2aa', 'SW1A 2AA'],
		['EC1A 1BB', 'EC1A 1BB'],
		['w1a 0ax', 'W1A 0AX'],
		['M1 1AE', 'M1 1AE'],
		['gir0aa', 'GIR 0AA'],
	])('normalisePostcode(%j) = %j', (input, expected) => {
		expect(normalisePostcode(input)).toBe(expected);
	});

	test.each([
		'NOT A POSTCODE',
		'GU16',
		'12345',
		'GU16 7H',
		'Q1 1AA1',
		'',
		null,
		undefined,
		'GU16 7HFF',
	])('normalisePostcode(%j) is undefined', (input) => {
		expect(normalisePostcode(input)).toBeUndefined();
	});

	test.each([
		['gu16', 'GU16'],
		['GU', 'GU'],
		['sw1a 2', 'SW1A 2'],
		['gu16 7h', 'GU16 7H'],
		['gu167hf', 'GU16 7HF'],
	])('normalisePostcodeStart(%j) = %j', (input, expected) => {
		expect(normalisePostcodeStart(input)).toBe(expected);
	});

	test.each(['16GU', 'G U 1', 'hello world', '%'])(
		'normalisePostcodeStart(%j) is undefined',
		(input) => {
			expect(normalisePostcodeStart(input)).toBeUndefined();
		},
	);
});

describe('dates', () => {
	test('isValidIsoDate accepts real dates only', () => {
		expect(isValidIsoDate('2024-02-29')).toBe(true);
		expect(isValidIsoDate('2023-02-29')).toBe(false);
		expect(isValidIsoDate('2026-13-01')).toBe(false);
		expect(isValidIsoDate('2026-1-01')).toBe(false);
		expect(isValidIsoDate('01/02/2026')).toBe(false);
		expect(isValidIsoDate(20260101)).toBe(false);
	});

	test('addDays and daysBetween cross months, years and leap days', () => {
		expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
		expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
		expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
		expect(addDays('2026-11-20', -365)).toBe('2025-11-20');
		expect(daysBetween('2026-11-01', '2026-11-20')).toBe(19);
		expect(daysBetween('2026-11-20', '2026-11-01')).toBe(-19);
		expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
		expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
	});
});

describe('validateSearchFilters', () => {
	test('empty filters give an empty query', () => {
		expect(validateSearchFilters({})).toEqual({});
		expect(
			validateSearchFilters({
				lpaIds: [],
				dateFrom: '',
				dateTo: '',
				postcodeExact: '',
				postcodeStart: '',
				radiusPostcode: '',
				radiusMiles: 0,
				address: ' ',
				keyword: '',
			}),
		).toEqual({});
	});

	test('every filter maps to its API parameter', () => {
		expect(
			validateSearchFilters({
				lpaIds: ['12', 3, '12'],
				dateFrom: '2026-11-01T00:00:00',
				dateTo: '2026-11-20',
				postcodeExact: 'gu167hf',
				postcodeStart: 'gu16',
				radiusPostcode: 'sw1a2aa',
				radiusMiles: 0.5,
				address: ' High Street ',
				keyword: 'extension',
			}),
		).toEqual({
			lpa_id: '12,3',
			date_from: '2026-11-01',
			date_to: '2026-11-20',
			postcode_exact: 'GU16 7HF',
			postcode_start: 'GU16',
			postcode_radius: 'SW1A 2AA,0.5',
			address: 'High Street',
			keyword: 'extension',
		});
	});

	test('authority ids by expression: comma list, number, padded', () => {
		expect(validateSearchFilters({ lpaIds: '1, 25,007' })).toEqual({ lpa_id: '1,25,7' });
		expect(validateSearchFilters({ lpaIds: 4 })).toEqual({ lpa_id: '4' });
		expect(parseLpaIds(['2', '', ' 3 '])).toEqual(['2', '3']);
	});

	test.each([
		[{ lpaIds: ['1', 'westminster'] }, 'Planning Authority Names or IDs'],
		[{ lpaIds: { id: 1 } }, 'Planning Authority Names or IDs'],
		[{ dateFrom: '2026-02-30' }, 'Validated From'],
		[{ dateTo: '20/11/2026' }, 'Validated To'],
		[{ dateFrom: '2026-11-20', dateTo: '2026-11-01' }, 'Validated From'],
		[{ postcodeExact: 'NOT A POSTCODE' }, 'Postcode (Exact)'],
		[{ postcodeStart: '12' }, 'Postcode Starts With'],
		[{ radiusPostcode: 'GU16', radiusMiles: 1 }, 'Radius Postcode'],
		[{ radiusPostcode: 'GU16 7HF', radiusMiles: 0 }, 'Radius (Miles)'],
		[{ radiusPostcode: 'GU16 7HF', radiusMiles: -2 }, 'Radius (Miles)'],
		[{ radiusPostcode: 'GU16 7HF', radiusMiles: 'far' }, 'Radius (Miles)'],
		[{ radiusPostcode: 'GU16 7HF' }, 'Radius (Miles)'],
		[{ radiusMiles: 2 }, 'Radius Postcode'],
		[{ radiusMiles: -1 }, 'Radius (Miles)'],
	])('%j fails naming %j', (raw, field) => {
		expect(fieldOf(() => validateSearchFilters(raw))).toBe(field);
	});

	test('messages quote the bad value', () => {
		expect(() => validateSearchFilters({ postcodeExact: 'NOT A POSTCODE' })).toThrow(
			/"NOT A POSTCODE".*postcode/,
		);
		expect(() => validateSearchFilters({ dateFrom: '2026-11-20', dateTo: '2026-11-01' })).toThrow(
			/2026-11-20.*2026-11-01/,
		);
	});

	test('a single day range is allowed', () => {
		expect(validateSearchFilters({ dateFrom: '2026-11-01', dateTo: '2026-11-01' })).toEqual({
			date_from: '2026-11-01',
			date_to: '2026-11-01',
		});
	});
});

describe('filter fields shared with the trigger', () => {
	const {
		searchFilterProperties,
		outputOptionProperties,
	} = require('../../nodes/UkPlanning/descriptions/filters.ts');

	test('names and types the trigger relies on', () => {
		const properties = searchFilterProperties();
		expect(properties.map((property) => property.name)).toEqual([
			'lpaIds',
			'dateFrom',
			'dateTo',
			'postcodeExact',
			'postcodeStart',
			'radiusPostcode',
			'radiusMiles',
			'address',
			'keyword',
		]);
		const lpaIds = properties[0];
		expect(lpaIds.type).toBe('multiOptions');
		expect(lpaIds.typeOptions.loadOptionsMethod).toBe('getAuthorities');
		const [output] = outputOptionProperties();
		expect(output.name).toBe('outputOptions');
		expect(output.options.map((option) => option.name)).toContain('omitPersonalData');
	});

	test('display options apply to every field; dates can be left out', () => {
		const show = { show: { operation: ['search'] } };
		for (const property of searchFilterProperties(show)) expect(property.displayOptions).toBe(show);
		const names = searchFilterProperties(undefined, { dates: false }).map(
			(property) => property.name,
		);
		expect(names).not.toContain('dateFrom');
		expect(names).not.toContain('dateTo');
		expect(names).toContain('lpaIds');
	});
});

describe('version 2: the Filters collection', () => {
	const {
		filterInputFrom,
		FILTER_NAMES,
		validateSearchFilters,
	} = require('../../nodes/UkPlanning/helpers/filters.ts');
	const {
		searchFilterCollection,
		searchFilterProperties,
		simplifyProperty,
	} = require('../../nodes/UkPlanning/descriptions/filters.ts');

	test('filterInputFrom keeps the filters the collection holds and nothing else', () => {
		expect(filterInputFrom({ lpaIds: ['1'], keyword: 'porch', simplify: true, other: 1 })).toEqual({
			lpaIds: ['1'],
			keyword: 'porch',
		});
		expect(filterInputFrom({})).toEqual({});
		expect(filterInputFrom(undefined)).toEqual({});
		expect(filterInputFrom(null)).toEqual({});
	});

	test('a collection and the same top-level values give the same query', () => {
		const values = {
			lpaIds: ['2', '1'],
			dateFrom: '2026-11-01T00:00:00',
			dateTo: '2026-11-30',
			postcodeStart: 'gu16',
			radiusPostcode: 'gu16 7hf',
			radiusMiles: 0.5,
			address: 'High Street',
			keyword: 'extension',
		};
		const topLevel = { radiusMiles: 0, postcodeExact: '', ...values, resource: 'application' };
		expect(validateSearchFilters(filterInputFrom(values))).toEqual(
			validateSearchFilters(filterInputFrom(topLevel)),
		);
		expect(validateSearchFilters(filterInputFrom(values))).toEqual({
			lpa_id: '2,1',
			date_from: '2026-11-01',
			date_to: '2026-11-30',
			postcode_start: 'GU16',
			postcode_radius: 'GU16 7HF,0.5',
			address: 'High Street',
			keyword: 'extension',
		});
	});

	test('the collection holds the same fields as version 1, sorted, under Add Filter', () => {
		const [collection] = searchFilterCollection();
		expect(collection).toMatchObject({
			displayName: 'Filters',
			name: 'filters',
			type: 'collection',
			placeholder: 'Add Filter',
			default: {},
		});
		const names = collection.options.map((option) => option.name);
		expect([...names].sort()).toEqual([...FILTER_NAMES].sort());
		const displayNames = collection.options.map((option) => option.displayName);
		expect(displayNames).toEqual([...displayNames].sort((a, b) => a.localeCompare(b)));
		const [withoutDates] = searchFilterCollection(undefined, { dates: false });
		expect(withoutDates.options.map((option) => option.name)).not.toContain('dateFrom');
		expect(searchFilterProperties().map((property) => property.name)).toEqual([...FILTER_NAMES]);
	});

	test('placeholders read "e.g. ..."; Simplify is on by default', () => {
		for (const property of searchFilterProperties()) {
			if (property.placeholder !== undefined) expect(property.placeholder).toMatch(/^e\.g\. /);
		}
		const [simplify] = simplifyProperty();
		expect(simplify).toMatchObject({
			displayName: 'Simplify',
			name: 'simplify',
			type: 'boolean',
			default: true,
		});
	});
});
