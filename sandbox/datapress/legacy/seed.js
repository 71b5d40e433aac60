/**
 * Seed state of the legacy DataPress sandbox: teams, users with keys and editor rights, and datasets shaped
 * as the London Datastore served them on the legacy API (the LDD dataset of the API document among them).
 */
'use strict';

const TEAMS = [
	{
		id: '5b858cb2-5c92-4b2b-8c1d-141cfc330d9c',
		slug: 'gla-demo',
		title: 'Greater London Authority (demo)',
		description: 'Datasets published by the GLA demo team',
	},
	{
		id: '8f2c1a4e-6b7d-4c3e-9a1f-2d4e6f8a0b1c',
		slug: 'planning-team',
		title: 'GLA Planning',
		description: 'London Development Database and planning data',
	},
	{
		id: 'c3d5e7f9-1a2b-4c4d-8e6f-0a1b2c3d4e5f',
		slug: 'transport-team',
		title: 'Transport for London (demo)',
		description: 'Transport datasets',
	},
];

const USERS = [
	{
		key: 'demo-editor-key',
		id: '0b6d8f3a-2c4e-4f6a-8b0c-1d3e5f7a9b2c',
		title: 'Demo Editor',
		email: 'editor@example.org',
		admin: false,
		editorOf: ['gla-demo', 'planning-team'],
		memberOf: ['gla-demo', 'planning-team'],
	},
	{
		key: 'demo-viewer-key',
		id: '1c7e9a4b-3d5f-4a7b-9c1d-2e4f6a8b0c3d',
		title: 'Demo Viewer',
		email: 'viewer@example.org',
		admin: false,
		editorOf: [],
		memberOf: ['gla-demo', 'planning-team'],
	},
	{
		key: 'demo-admin-key',
		id: '2d8f0b5c-4e6a-4b8c-0d2e-3f5a7b9c1d4e',
		title: 'Demo Admin',
		email: 'admin@example.org',
		admin: true,
		editorOf: [],
		memberOf: [],
	},
];

const TOPICS = {
	'67b1cea4-806d-4b63-90d7-155cf3ac3c03': {
		title: 'Housing',
		img: '',
		slug: 'housing',
		description: '',
	},
	'b781eefa-ff44-44b8-be63-fc3acd37547c': {
		title: 'Planning',
		img: '',
		slug: 'planning',
		description: '',
	},
	'd2a6c1e0-5f3b-4e8a-9c7d-1b0a2e3f4c5d': {
		title: 'Environment',
		img: '',
		slug: 'environment',
		description: '',
	},
};

const LICENCES = {
	'ogl-v3': {
		title: 'UK Open Government Licence (OGL v3)',
		url: 'http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/',
		is_okd_compliant: true,
	},
	'cc-by': {
		title: 'Creative Commons Attribution',
		url: 'https://creativecommons.org/licenses/by/4.0/',
		is_okd_compliant: true,
	},
};

/** Seed datasets; `files` are generated on disk at start (content → resource check_* fields). */
function seedDatasets() {
	return [
		{
			dataset: {
				id: '3f741e00-111f-4134-b04f-8b103f78bbe7',
				slug: 'london-development-database',
				title: 'Planning permissions on the London Development Database (LDD)',
				parent: TEAMS[1].id,
				state: 'active',
				sharing: 'public',
				tags: ['planning', 'planning-application'],
				author: 'Greater London Authority',
				topics: ['67b1cea4-806d-4b63-90d7-155cf3ac3c03', 'b781eefa-ff44-44b8-be63-fc3acd37547c'],
				licence: 'ogl-v3',
				createdAt: '2017-05-02T13:10:08',
				updatedAt: '2019-01-11T15:14:11.944Z',
				maintainer: 'London Development Database',
				description:
					'<p>The London Development Database (LDD) records significant planning permissions in London.</p>',
				author_email: '',
				licence_notes: '',
				'odi-certificate': '',
				maintainer_email: '',
				update_frequency: 'Monthly',
				london_bounding_box: '',
				london_smallest_geography: 'Point Location',
				shares: { users: {}, orgs: {} },
				resources: {},
			},
			files: [
				{
					id: 'eb050c40-3e94-4384-8e59-1b8c49dbdf36',
					fileName: 'ldd-planning-permissions.csv',
					title: 'LDD planning permissions',
					format: 'csv',
					mimeType: 'text/csv',
					description: 'Live and completed permissions',
					order: 0,
					content: ldCsv(),
					timestamp: '2019-01-11T15:13:42.556Z',
				},
			],
		},
		{
			dataset: {
				id: '9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
				slug: 'borough-population-estimates',
				title: 'Borough population estimates',
				parent: TEAMS[0].id,
				state: 'active',
				sharing: 'public',
				tags: ['population', 'demography'],
				author: 'GLA Intelligence',
				topics: [],
				licence: 'ogl-v3',
				createdAt: '2020-03-01T09:00:00',
				updatedAt: '2024-06-30T10:00:00.000Z',
				maintainer: 'GLA Demography',
				description: '<p>Mid-year population estimates by borough.</p>',
				update_frequency: 'Annually',
				shares: { users: {}, orgs: {} },
				resources: {},
			},
			files: [
				{
					id: '4b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d',
					fileName: 'population.csv',
					title: 'Population by borough',
					format: 'csv',
					mimeType: 'text/csv',
					description: '',
					order: 0,
					content: 'borough,population\nCamden,210100\nHackney,259200\nIslington,216600\n',
					timestamp: '2024-06-30T09:59:00.000Z',
				},
			],
		},
		{
			dataset: {
				id: '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d',
				slug: 'planning-applications-monthly-extract',
				title: 'Planning applications: monthly extract',
				parent: TEAMS[1].id,
				state: 'active',
				sharing: 'public',
				tags: ['planning', 'planning-application'],
				author: 'GLA Planning',
				topics: ['b781eefa-ff44-44b8-be63-fc3acd37547c'],
				licence: 'ogl-v3',
				createdAt: '2025-01-06T09:00:00',
				updatedAt: '2025-01-06T09:00:00.000Z',
				maintainer: 'GLA Planning',
				description:
					'<p>Planning applications validated last month in Camden, Hackney and Islington.</p>',
				update_frequency: 'Monthly',
				shares: { users: {}, orgs: {} },
				resources: {},
			},
			files: [
				{
					id: '2f3e4d5c-6b7a-4980-9a1b-2c3d4e5f6a7b',
					fileName: 'planning-applications.csv',
					title: 'Planning applications, last month (CSV)',
					format: 'csv',
					mimeType: 'text/csv',
					description: 'Replaced each month by the extract workflow',
					order: 0,
					content: 'lpa_name,keyval,title,address,postcode,validated\n',
					timestamp: '2025-01-06T09:00:00.000Z',
				},
			],
		},
		{
			dataset: {
				id: '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b',
				slug: 'planning-team-working-notes',
				title: 'Planning team working notes',
				parent: TEAMS[1].id,
				state: 'active',
				sharing: 'private',
				tags: [],
				author: 'GLA Planning',
				topics: [],
				licence: 'ogl-v3',
				createdAt: '2023-01-10T12:00:00',
				updatedAt: '2023-01-10T12:00:00.000Z',
				maintainer: 'GLA Planning',
				description: '<p>Not published yet.</p>',
				shares: { users: {}, orgs: {} },
				resources: {},
			},
			files: [],
		},
		{
			dataset: {
				id: '1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b',
				slug: 'tube-station-entries',
				title: 'Tube station entries and exits',
				parent: TEAMS[2].id,
				state: 'active',
				sharing: 'public',
				tags: ['transport'],
				author: 'TfL',
				topics: [],
				licence: 'ogl-v3',
				createdAt: '2018-05-05T08:00:00',
				updatedAt: '2022-02-02T08:00:00.000Z',
				maintainer: 'TfL Open Data',
				description: '<p>Annual entries and exits.</p>',
				shares: { users: {}, orgs: {} },
				resources: {},
			},
			files: [],
		},
	];
}

function ldCsv() {
	const rows = ['permission_id,borough,site_name,units_proposed,status'];
	const boroughs = ['Camden', 'Hackney', 'Islington', 'Westminster', 'Southwark', 'Lambeth'];
	for (let i = 1; i <= 400; i++)
		rows.push(
			`LDD${String(i).padStart(6, '0')},${boroughs[i % boroughs.length]},Site ${i},${(i * 7) % 120},${i % 3 === 0 ? 'Completed' : 'Not started'}`,
		);
	return `${rows.join('\n')}\n`;
}

module.exports = { TEAMS, USERS, TOPICS, LICENCES, seedDatasets };
