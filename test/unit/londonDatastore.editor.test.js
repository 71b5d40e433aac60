/**
 * The London Datastore node's editor helpers, pure: reading resource locators (and the plain strings of
 * workflows saved before them), page and download addresses of both DataPress generations, Get Many's
 * filters, Simplify's mapping of both generations' shapes, and what a download is called and is.
 */
'use strict';

const {
	readLocator,
	datasetIdFromUrl,
	fileIdFromUrl,
	DATASET_URL_REGEX,
	FILE_URL_REGEX,
} = require('../../nodes/LondonDatastore/helpers/locator.ts');
const {
	simplifyDataset,
	pageUrlOf,
	teamIdOf,
	filesOf,
} = require('../../nodes/LondonDatastore/helpers/simplify.ts');
const {
	filterDatasets,
	matchesFilters,
	parseSince,
} = require('../../nodes/LondonDatastore/helpers/datasetFilters.ts');
const {
	downloadTarget,
	fileNameOf,
	mimeTypeFor,
	correctGuessedMimeType,
} = require('../../nodes/LondonDatastore/helpers/download.ts');

const BASE = 'https://data.london.gov.uk';

describe('readLocator: either form of a parameter', () => {
	test('a resource locator gives its mode and trimmed value', () => {
		expect(
			readLocator({ __rl: true, mode: 'list', value: 'vd4q4', cachedResultName: 'Fertility' }),
		).toEqual({ mode: 'list', value: 'vd4q4' });
		expect(readLocator({ __rl: true, mode: 'url', value: ' https://x/dataset/a-vd4q4 ' })).toEqual({
			mode: 'url',
			value: 'https://x/dataset/a-vd4q4',
		});
		expect(readLocator({ __rl: true, value: 'abc' })).toEqual({ mode: 'id', value: 'abc' });
	});

	test('a plain string (a workflow saved before the locators, or an expression) is an id', () => {
		expect(readLocator('london-development-database')).toEqual({
			mode: 'id',
			value: 'london-development-database',
		});
		expect(readLocator('  vd4q4\n')).toEqual({ mode: 'id', value: 'vd4q4' });
		expect(readLocator(42)).toEqual({ mode: 'id', value: '42' });
	});

	test('nothing usable is an empty value', () => {
		for (const raw of [
			undefined,
			null,
			'',
			{},
			[],
			{ __rl: true, mode: 'id', value: null },
			Number.NaN,
		]) {
			expect(readLocator(raw).value).toBe('');
		}
	});
});

describe('dataset page addresses', () => {
	test('DataPress 4: the id is the last 5 characters after the final "-"', () => {
		expect(
			datasetIdFromUrl(
				'https://data.london.gov.uk/dataset/age-specific-fertility-rates-vd4q4',
				'v4',
			),
		).toEqual({ id: 'vd4q4' });
		expect(
			datasetIdFromUrl(
				'https://data.london.gov.uk/dataset/age-specific-fertility-rates-vd4q4/',
				'v4',
			),
		).toEqual({ id: 'vd4q4' });
		expect(
			datasetIdFromUrl('https://data.london.gov.uk/dataset/x-2-a7k2m?tab=files#top', 'v4'),
		).toEqual({ id: 'a7k2m' });
		expect(datasetIdFromUrl('http://127.0.0.1:4020/dataset/planning-ldd-a7k2m', 'v4')).toEqual({
			id: 'a7k2m',
		});
		expect(datasetIdFromUrl('https://data.london.gov.uk/dataset/vd4q4', 'v4')).toEqual({
			id: 'vd4q4',
		});
		expect(datasetIdFromUrl('https://data.london.gov.uk/dataset/xvd4q4', 'v4')).toHaveProperty(
			'problem',
		);
	});

	test('legacy: the slug is the id', () => {
		expect(
			datasetIdFromUrl('https://data.london.gov.uk/dataset/london-development-database', 'legacy'),
		).toEqual({ id: 'london-development-database' });
		expect(datasetIdFromUrl('https://data.london.gov.uk/dataset/borough%20x', 'legacy')).toEqual({
			id: 'borough x',
		});
	});

	test('what is not a dataset page says why', () => {
		expect(
			datasetIdFromUrl('https://data.london.gov.uk/dataset/london-development-database', 'v4'),
		).toHaveProperty('problem', expect.stringMatching(/does not end in a DataPress 4 dataset id/));
		expect(
			datasetIdFromUrl('https://data.london.gov.uk/dataset/fertility-VD4Q4', 'v4'),
		).toHaveProperty('problem');
		expect(datasetIdFromUrl('https://data.london.gov.uk/organisation/gla', 'v4')).toHaveProperty(
			'problem',
			expect.stringMatching(/not a dataset page/),
		);
		expect(datasetIdFromUrl('vd4q4', 'v4')).toHaveProperty(
			'problem',
			expect.stringMatching(/not a web address/),
		);
		expect(datasetIdFromUrl('ftp://data.london.gov.uk/dataset/a-vd4q4', 'v4')).toHaveProperty(
			'problem',
		);
		expect(
			datasetIdFromUrl('https://data.london.gov.uk/dataset/%E0%A4%A', 'legacy'),
		).toHaveProperty('problem');
	});

	test("the editor's check accepts page addresses and refuses others", () => {
		const pattern = new RegExp(DATASET_URL_REGEX);
		expect(
			pattern.test('https://data.london.gov.uk/dataset/age-specific-fertility-rates-vd4q4'),
		).toBe(true);
		expect(pattern.test('http://127.0.0.1:4020/dataset/london-development-database/')).toBe(true);
		expect(pattern.test('https://data.london.gov.uk/dataset/a-vd4q4?x=1')).toBe(true);
		expect(pattern.test('https://data.london.gov.uk/dataset/')).toBe(false);
		expect(pattern.test('https://data.london.gov.uk/download/vd4q4/7yw/a.csv')).toBe(false);
		expect(pattern.test('vd4q4')).toBe(false);
	});
});

describe('file download addresses', () => {
	test('the file id is the segment after the dataset', () => {
		expect(
			fileIdFromUrl(
				'https://data.london.gov.uk/download/vd4q4/7yw/age_specific_fertility_rates.csv',
			),
		).toEqual({ id: '7yw' });
		expect(
			fileIdFromUrl(
				'https://data.london.gov.uk/download/emqwg/b38eae6d-10db-4c79-afdd-dd97ae367b8b',
			),
		).toEqual({ id: 'b38eae6d-10db-4c79-afdd-dd97ae367b8b' });
		expect(fileIdFromUrl('https://data.london.gov.uk/dataset/a-vd4q4')).toHaveProperty('problem');
		expect(fileIdFromUrl('https://data.london.gov.uk/download/vd4q4')).toHaveProperty('problem');
		const pattern = new RegExp(FILE_URL_REGEX);
		expect(
			pattern.test(
				'https://data.london.gov.uk/download/vd4q4/7yw/age_specific_fertility_rates.csv',
			),
		).toBe(true);
		expect(pattern.test('https://data.london.gov.uk/download/vd4q4/7yw')).toBe(true);
		expect(pattern.test('https://data.london.gov.uk/download/vd4q4')).toBe(false);
	});
});

const v4Dataset = {
	id: 'vd4q4',
	site: 'london',
	team: '4mxpm',
	title: 'Age specific fertility rates',
	canonical: '/dataset/age-specific-fertility-rates-vd4q4',
	sharing: 'public',
	tags: ['births', 'fertility'],
	updatedAt: '2026-06-01T10:00:00.000Z',
	resources: {
		'4nz': {
			hash: 'abc',
			size: 20,
			order: 1,
			title: 'test_file.txt',
			format: 'txt',
			url: `${BASE}/download/vd4q4/4nz/test_file.txt`,
		},
		'7yw': {
			hash: 'def',
			size: 1234,
			order: 0,
			title: 'age_specific_fertility_rates.csv',
			format: 'csv',
			url: `${BASE}/download/vd4q4/7yw/age_specific_fertility_rates.csv`,
		},
	},
	custom: { geo: 'Local Authority' },
};
const v4Exported = {
	...v4Dataset,
	team: { id: '4mxpm', title: 'GLA Demography' },
	resources: [
		{ id: '7yw', ...v4Dataset.resources['7yw'] },
		{ id: '4nz', ...v4Dataset.resources['4nz'] },
	],
};
const legacyDataset = {
	id: '3f741e00-111f-4134-b04f-8b103f78bbe7',
	slug: 'london-development-database',
	title: 'Planning permissions on the London Development Database (LDD)',
	parent: '8f2c1a4e-6b7d-4c3e-9a1f-2d4e6f8a0b1c',
	sharing: 'public',
	tags: ['planning'],
	updatedAt: '2019-01-11T15:14:11.944Z',
	resources: {
		'eb050c40-3e94-4384-8e59-1b8c49dbdf36': {
			url: `${BASE}/download/london-development-database/eb050c40-3e94-4384-8e59-1b8c49dbdf36/ldd-planning-permissions.csv`,
			order: 0,
			title: 'LDD planning permissions',
			format: 'csv',
			check_size: 5120,
			check_mimetype: 'text/csv',
		},
	},
	readonly: { auth: { package_update: true } },
};

describe('Simplify', () => {
	test('DataPress 4 as GET serves it: the compact fields, files in page order', () => {
		expect(simplifyDataset(v4Dataset, `${BASE}/`)).toEqual({
			id: 'vd4q4',
			title: 'Age specific fertility rates',
			team: '4mxpm',
			sharing: 'public',
			updatedAt: '2026-06-01T10:00:00.000Z',
			url: `${BASE}/dataset/age-specific-fertility-rates-vd4q4`,
			files: [
				{
					id: '7yw',
					title: 'age_specific_fertility_rates.csv',
					format: 'csv',
					size: 1234,
					url: `${BASE}/download/vd4q4/7yw/age_specific_fertility_rates.csv`,
				},
				{
					id: '4nz',
					title: 'test_file.txt',
					format: 'txt',
					size: 20,
					url: `${BASE}/download/vd4q4/4nz/test_file.txt`,
				},
			],
		});
	});

	test('DataPress 4 as the export lists it gives the same', () => {
		expect(simplifyDataset(v4Exported, BASE)).toEqual(simplifyDataset(v4Dataset, BASE));
	});

	test('legacy: slug, parent and check_size', () => {
		expect(simplifyDataset(legacyDataset, 'http://127.0.0.1:4020')).toEqual({
			id: legacyDataset.id,
			title: legacyDataset.title,
			team: legacyDataset.parent,
			sharing: 'public',
			updatedAt: '2019-01-11T15:14:11.944Z',
			url: 'http://127.0.0.1:4020/dataset/london-development-database',
			files: [
				{
					id: 'eb050c40-3e94-4384-8e59-1b8c49dbdf36',
					title: 'LDD planning permissions',
					format: 'csv',
					size: 5120,
					url: legacyDataset.resources['eb050c40-3e94-4384-8e59-1b8c49dbdf36'].url,
				},
			],
		});
	});

	test('missing fields are null, never guessed', () => {
		expect(simplifyDataset({ id: 'x', resources: { a: { url: '' } } }, BASE)).toEqual({
			id: 'x',
			title: '',
			team: null,
			sharing: null,
			updatedAt: null,
			url: null,
			files: [{ id: 'a', title: 'a', format: null, size: null, url: null }],
		});
		expect(teamIdOf({ team: { title: 'no id' } })).toBeNull();
		expect(pageUrlOf({ canonical: 'https://other.example/dataset/a-b1c2d' }, BASE)).toBe(
			'https://other.example/dataset/a-b1c2d',
		);
		expect(filesOf({ resources: 'nonsense' })).toEqual([]);
		expect(filesOf({ resources: [{ title: 'no id' }, null] })).toEqual([]);
	});
});

describe('Get Many filters', () => {
	const datasets = [
		{
			id: 'aaaaa',
			title: 'Old planning data',
			team: 'p9lan',
			tags: [],
			updatedAt: '2020-01-01T00:00:00Z',
		},
		{
			id: 'bbbbb',
			title: 'Fertility',
			team: { id: '4mxpm', title: 'GLA Demography' },
			tags: ['Births'],
			updatedAt: '2026-06-01T00:00:00Z',
		},
		{
			id: 'ccccc',
			title: 'Planning permissions',
			canonical: '/dataset/planning-permissions-ccccc',
			team: 'p9lan',
			updatedAt: '2026-05-01T00:00:00Z',
		},
		legacyDataset,
	];

	test('no filter: everything, most recently updated first', () => {
		expect(filterDatasets(datasets, {}).map((dataset) => dataset.id)).toEqual([
			'bbbbb',
			'ccccc',
			'aaaaa',
			legacyDataset.id,
		]);
	});

	test("team: the DataPress 4 id, the export's {id}, or legacy's parent", () => {
		expect(filterDatasets(datasets, { team: 'p9lan' }).map((dataset) => dataset.id)).toEqual([
			'ccccc',
			'aaaaa',
		]);
		expect(filterDatasets(datasets, { team: '4mxpm' }).map((dataset) => dataset.id)).toEqual([
			'bbbbb',
		]);
		expect(
			filterDatasets(datasets, { team: legacyDataset.parent }).map((dataset) => dataset.id),
		).toEqual([legacyDataset.id]);
	});

	test('search: every word, any case, in title, id, slug, address or tags', () => {
		expect(filterDatasets(datasets, { search: 'PLANNING' }).map((dataset) => dataset.id)).toEqual([
			'ccccc',
			'aaaaa',
			legacyDataset.id,
		]);
		expect(
			filterDatasets(datasets, { search: 'planning old' }).map((dataset) => dataset.id),
		).toEqual(['aaaaa']);
		expect(filterDatasets(datasets, { search: 'births' }).map((dataset) => dataset.id)).toEqual([
			'bbbbb',
		]);
		expect(
			filterDatasets(datasets, { search: 'london-development' }).map((dataset) => dataset.id),
		).toEqual([legacyDataset.id]);
		expect(filterDatasets(datasets, { search: '  ' })).toHaveLength(4);
	});

	test('updated since: at or after the moment; a dataset without a date is left out', () => {
		const since = parseSince('2026-05-01T00:00:00Z');
		expect(
			filterDatasets(datasets, { updatedSinceMs: since.ms }).map((dataset) => dataset.id),
		).toEqual(['bbbbb', 'ccccc']);
		expect(matchesFilters({ id: 'x' }, { updatedSinceMs: 0 })).toBe(false);
	});

	test("parseSince: absent is no filter; a date or n8n's DateTime text; anything else is refused", () => {
		expect(parseSince('')).toEqual({});
		expect(parseSince(undefined)).toEqual({});
		expect(parseSince('2026-01-31')).toEqual({ ms: Date.UTC(2026, 0, 31) });
		expect(parseSince(new Date(5))).toEqual({ ms: 5 });
		expect(parseSince('last tuesday')).toHaveProperty(
			'problem',
			expect.stringMatching(/must be a date/),
		);
	});
});

describe('downloads', () => {
	test("the address is the file's url on the Base URL's origin; another host is refused", () => {
		expect(downloadTarget(v4Dataset.resources['7yw'], BASE)).toEqual({
			url: `${BASE}/download/vd4q4/7yw/age_specific_fertility_rates.csv`,
		});
		expect(downloadTarget({ url: '/download/vd4q4/7yw/a%20b.csv' }, `${BASE}/`)).toEqual({
			url: `${BASE}/download/vd4q4/7yw/a%20b.csv`,
		});
		expect(downloadTarget({ url: 'https://elsewhere.example/data.csv' }, BASE)).toHaveProperty(
			'problem',
			expect.stringMatching(/another site \(https:\/\/elsewhere\.example\)/),
		);
		expect(
			downloadTarget({ url: 'http://data.london.gov.uk/download/a/b/c' }, BASE),
		).toHaveProperty('problem');
		expect(downloadTarget({ url: '' }, BASE)).toHaveProperty(
			'problem',
			expect.stringMatching(/no download address/),
		);
		expect(downloadTarget({}, BASE)).toHaveProperty('problem');
	});

	test("the file name is the address's last segment, else the title, else the id", () => {
		expect(fileNameOf(v4Dataset.resources['7yw'], '7yw')).toBe('age_specific_fertility_rates.csv');
		expect(
			fileNameOf({ url: `${BASE}/download/x/y/monthly%20extract.csv`, title: 'Monthly' }, 'y'),
		).toBe('monthly extract.csv');
		expect(fileNameOf({ url: '', title: 'Monthly extract' }, 'y')).toBe('Monthly extract');
		expect(fileNameOf({ url: 'https://elsewhere.example/page' }, 'y')).toBe('y');
	});

	test('MIME type: recorded (legacy), else served unless generic, else n8n guesses by name', () => {
		expect(mimeTypeFor({ check_mimetype: 'text/csv' }, 'application/octet-stream')).toBe(
			'text/csv',
		);
		expect(mimeTypeFor({}, 'application/pdf; charset=binary')).toBe('application/pdf');
		expect(mimeTypeFor({}, 'application/octet-stream')).toBeUndefined();
		expect(mimeTypeFor({}, undefined)).toBeUndefined();
		expect(
			mimeTypeFor({ check_mimetype: 'application/octet-stream' }, 'application/octet-stream'),
		).toBeUndefined();
		expect(mimeTypeFor({ check_mimetype: 'application/octet-stream' }, 'text/csv')).toBe(
			'text/csv',
		);
		expect(correctGuessedMimeType('text/plain', 'data.unknownext')).toBe(
			'application/octet-stream',
		);
		expect(correctGuessedMimeType('text/plain', 'notes.txt')).toBe('text/plain');
		expect(correctGuessedMimeType('text/csv', 'a.csv')).toBe('text/csv');
	});
});
