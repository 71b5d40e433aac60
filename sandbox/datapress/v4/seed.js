/**
 * Seed state of the DataPress 4 sandbox: the site (mastheads, topics), teams with 5-character ids and
 * their users, the demo users, and datasets. `vd4q4` is the dataset recorded from data.london.gov.uk in
 * June 2026 (datapress-v4.md, REC): same ids, fields, titles, origins, orders and file sizes; its files'
 * bytes are generated (the real ones are not public), so their `hash` values are computed from these
 * bytes in the same forms (a plain MD5 for the one-request upload, S3 multipart ETags for the others).
 */
'use strict';

const SITE = {
	id: 'london',
	title: 'London Datastore (sandbox)',
	mastheads: {
		'gla-demography': { title: 'GLA Demography' },
		'gla-planning': { title: 'GLA Planning' },
		gla: { title: 'Greater London Authority' },
		tfl: { title: 'Transport for London' },
	},
	topics: {
		demographics: { title: 'Demographics' },
		housing: { title: 'Housing' },
		planning: { title: 'Planning' },
		transport: { title: 'Transport' },
		environment: { title: 'Environment' },
	},
};

/** User ids are integers; the keys are the legacy sandbox's demo keys, with the same roles. */
const USERS = [
	{
		key: 'demo-editor-key',
		id: 101,
		title: 'Demo Editor',
		email: 'editor@example.org',
		admin: false,
	},
	{
		key: 'demo-viewer-key',
		id: 102,
		title: 'Demo Viewer',
		email: 'viewer@example.org',
		admin: false,
	},
	{ key: 'demo-admin-key', id: 103, title: 'Demo Admin', email: 'admin@example.org', admin: true },
];

/**
 * Members edit the team's datasets; managers may also edit the team. The editor is in every team but
 * Transport (as the legacy editor); the viewer is in none and reads private datasets through `readusers`.
 */
const TEAMS = [
	{ id: '4mxpm', site: 'london', title: 'GLA Demography', users: [{ id: 101, manager: false }] },
	{
		id: 'g7lad',
		site: 'london',
		title: 'Greater London Authority (demo)',
		users: [{ id: 101, manager: true }],
	},
	{ id: 'p9lan', site: 'london', title: 'GLA Planning', users: [{ id: 101, manager: false }] },
	{ id: 't4fln', site: 'london', title: 'Transport for London (demo)', users: [] },
];

const EMPTY = {
	collaborators: [],
	readusers: [],
	readteams: [],
	links: {},
	nextReviewDate: null,
	archivedAt: null,
};

/**
 * Seed datasets: `resources` hold what the stored JSON holds (hash, size and url are computed from the
 * file at start); each file is `{ fileName, size, hashForm: 'md5' | 'multipart', content?: string }`,
 * generated to exactly `size` bytes when no content is given.
 */
function seedDatasets() {
	return [
		{
			id: 'vd4q4',
			team: '4mxpm',
			title: 'Age specific fertility rates',
			description: '<p></p>',
			descriptionIframe:
				'https://observablehq.com/embed/@ldn/fertility-rates?cells=Introduction%2Cviewof+london_map_player%2CLondonMap%2Cviewof+selected_geography_level%2Cviewof+selected_geography%2Cviewof+selected_year%2CAsfrGraph%2Cviewof+add_adj_tfr%2CTfrGraph%2CMeanAgeChildBearingGraph',
			masthead: 'gla-demography',
			sharing: 'public',
			...EMPTY,
			tags: ['births', 'fertility', 'demographics', 'population'],
			topics: ['demographics'],
			resources: {
				'4nz': {
					order: 2,
					title: 'age_specific_fertility_rates.csv',
					origin: 'london/dataset/vd4q4/2026-05-20T15:35:36/age_specific_fertility_rates.csv',
					timeframe: null,
					description:
						'Calendar year age-specific fertility rates from 1993 to 2023 for every local authority in England and Wales, aggregated to regions and nations.',
					file: {
						fileName: 'age_specific_fertility_rates.csv',
						size: 29385778,
						hashForm: 'multipart',
					},
				},
				'7yw': {
					order: 0,
					title: 'test_file.txt',
					origin: 'london/dataset/vd4q4/2026-06-15T14:26:41/test_file.txt',
					timeframe: null,
					description: '',
					file: { fileName: 'test_file.txt', hashForm: 'md5', content: 'test file' },
				},
				bcb: {
					order: 3,
					title: 'adjusted_total_fertility_rates.csv',
					origin: 'london/dataset/vd4q4/2026-05-20T15:33:51/total_fertility_rates.csv',
					timeframe: null,
					description:
						'Calendar year total fertility rates and adjusted total fertility rates from 1994 to 2022 for every local authority in England and Wales, aggregated to regions and nations.',
					file: { fileName: 'total_fertility_rates.csv', size: 1098425, hashForm: 'multipart' },
				},
				lfe: {
					order: 1,
					title: 'total_fertility_rates.csv',
					origin: 'london/dataset/vd4q4/2026-05-20T15:39:17/total_fertility_rates.csv',
					timeframe: null,
					description:
						'Calendar year total fertility rates from 1993 to 2023 for every local authority in England and Wales, aggregated to regions and nations.',
					file: { fileName: 'total_fertility_rates.csv', size: 593756, hashForm: 'multipart' },
				},
			},
			licence: {
				url: 'http://www.opendefinition.org/licenses/cc-by',
				title: 'Creative Commons Attribution',
			},
			contact: { email: 'demography@london.gov.uk', title: 'GLA Demography' },
			createdAt: '2025-03-17T16:11:48.000Z',
			updatedAt: '2026-06-15T14:26:41.323Z',
			custom: { geo: 'Local Authority', update_frequency: 'One off' },
		},
		{
			id: 'a7k2m',
			team: 'p9lan',
			title: 'Planning permissions on the London Development Database (LDD)',
			description:
				'<p>The London Development Database (LDD) records significant planning permissions in London.</p>',
			masthead: 'gla-planning',
			sharing: 'public',
			...EMPTY,
			tags: ['planning', 'planning-application'],
			topics: ['housing', 'planning'],
			resources: {
				// Migrated from the legacy site: the resource keeps its UUID id.
				'eb050c40-3e94-4384-8e59-1b8c49dbdf36': {
					order: 0,
					title: 'LDD planning permissions',
					origin: 'london/dataset/a7k2m/2019-01-11T15:13:42/ldd-planning-permissions.csv',
					timeframe: { from: '2006-04', to: '2018-12' },
					description: 'Live and completed permissions',
					file: { fileName: 'ldd-planning-permissions.csv', hashForm: 'md5', content: lddCsv() },
				},
			},
			licence: {
				url: 'http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/',
				title: 'UK Open Government Licence (OGL v3)',
			},
			contact: { email: 'ldd@london.gov.uk', title: 'London Development Database' },
			createdAt: '2017-05-02T13:10:08.000Z',
			updatedAt: '2019-01-11T15:14:11.944Z',
			custom: { update_frequency: 'Monthly', london_smallest_geography: 'Point Location' },
		},
		{
			id: 'b3pop',
			team: 'g7lad',
			title: 'Borough population estimates',
			description: '<p>Mid-year population estimates by borough.</p>',
			masthead: 'gla',
			sharing: 'public',
			...EMPTY,
			tags: ['population', 'demography'],
			topics: ['demographics'],
			resources: {
				k2p: {
					order: 0,
					title: 'Population by borough',
					origin: 'london/dataset/b3pop/2024-06-30T09:59:00/population.csv',
					timeframe: { from: '2023-06', to: '2023-06' },
					description: '',
					file: {
						fileName: 'population.csv',
						hashForm: 'multipart',
						content: 'borough,population\nCamden,210100\nHackney,259200\nIslington,216600\n',
					},
				},
			},
			licence: null,
			contact: { email: 'demography@london.gov.uk', title: 'GLA Demography' },
			createdAt: '2020-03-01T09:00:00.000Z',
			updatedAt: '2024-06-30T10:00:00.000Z',
			custom: { update_frequency: 'Annually' },
		},
		{
			id: 'c5ext',
			team: 'p9lan',
			title: 'Planning applications: monthly extract',
			description:
				'<p>Planning applications validated last month in Camden, Hackney and Islington.</p>',
			masthead: 'gla-planning',
			sharing: 'public',
			...EMPTY,
			tags: ['planning', 'planning-application'],
			topics: ['planning'],
			resources: {
				m8x: {
					order: 0,
					title: 'Planning applications, last month (CSV)',
					origin: 'london/dataset/c5ext/2025-01-06T09:00:00/planning-applications.csv',
					timeframe: null,
					description: 'Replaced each month by the extract workflow',
					file: {
						fileName: 'planning-applications.csv',
						hashForm: 'md5',
						content: 'lpa_name,keyval,title,address,postcode,validated\n',
					},
				},
			},
			licence: null,
			contact: null,
			createdAt: '2025-01-06T09:00:00.000Z',
			updatedAt: '2025-01-06T09:00:00.000Z',
			custom: { update_frequency: 'Monthly' },
		},
		{
			id: 'd9pvt',
			team: 'p9lan',
			title: 'Planning team working notes',
			description: '<p>Not published yet.</p>',
			masthead: 'gla-planning',
			sharing: 'private',
			...EMPTY,
			readusers: [102],
			tags: [],
			topics: [],
			resources: {
				q1n: {
					order: 0,
					title: 'Notes',
					origin: 'london/dataset/d9pvt/2023-01-10T12:00:00/notes.txt',
					timeframe: null,
					description: '',
					file: {
						fileName: 'notes.txt',
						hashForm: 'md5',
						content: 'Working notes of the planning team.\n',
					},
				},
			},
			licence: null,
			contact: null,
			createdAt: '2023-01-10T12:00:00.000Z',
			updatedAt: '2023-01-10T12:00:00.000Z',
			custom: {},
		},
		{
			id: 'e4tub',
			team: 't4fln',
			title: 'Tube station entries and exits',
			description: '<p>Annual entries and exits.</p>',
			masthead: 'tfl',
			sharing: 'public',
			...EMPTY,
			tags: ['transport'],
			topics: ['transport'],
			resources: {},
			licence: null,
			contact: { email: 'opendata@tfl.gov.uk', title: 'TfL Open Data' },
			createdAt: '2018-05-05T08:00:00.000Z',
			updatedAt: '2022-02-02T08:00:00.000Z',
			custom: {},
		},
	];
}

function lddCsv() {
	const rows = ['permission_id,borough,site_name,units_proposed,status'];
	const boroughs = ['Camden', 'Hackney', 'Islington', 'Westminster', 'Southwark', 'Lambeth'];
	for (let i = 1; i <= 400; i++)
		rows.push(
			`LDD${String(i).padStart(6, '0')},${boroughs[i % boroughs.length]},Site ${i},${(i * 7) % 120},${i % 3 === 0 ? 'Completed' : 'Not started'}`,
		);
	return `${rows.join('\n')}\n`;
}

const BLOCK_BYTES = 5 * 1024 * 1024;
let baseBlock;

/**
 * Deterministic CSV-looking bytes for block `index` of a generated seed file (blocks of 5 MiB): one base
 * block, built once, whose first line starts with the block number so that every block differs.
 */
function generatedBlock(index, length) {
	if (!baseBlock) {
		const lines = [];
		let size = 0;
		for (let row = 0; size < BLOCK_BYTES; row++) {
			const line = `${1993 + (row % 31)},E090000${String(row % 33).padStart(2, '0')},area ${row % 33},${15 + (row % 30)},${((row * 17) % 1000) / 10}\n`;
			lines.push(line);
			size += line.length;
		}
		baseBlock = Buffer.from(lines.join('')).subarray(0, BLOCK_BYTES);
	}
	const block = Buffer.from(baseBlock.subarray(0, length));
	block.write(String(index % 10000).padStart(4, '0'), 0, Math.min(4, length));
	return block;
}

module.exports = { SITE, USERS, TEAMS, seedDatasets, generatedBlock };
