import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { readLocator } from '../../helpers/locator';
import { slugify } from '../../helpers/slugify';
import { createDataset, listMastheads, siteGeneration } from '../../transport';
import { callOptions, readJsonObjectParameter } from '../common';

const show = { resource: ['dataset'], operation: ['create'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		required: true,
		default: '',
		displayOptions: { show },
	},
	{
		displayName: 'Slug',
		name: 'slug',
		type: 'string',
		default: '',
		placeholder: 'e.g. my-new-dataset',
		description:
			'Legacy DataPress sites only: URL slug of the new dataset, derived from the title when left empty. DataPress 4 makes the address from the title and its own ID.',
		displayOptions: { show },
	},
	{
		displayName: 'Team',
		name: 'team',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The team (organisation) that owns the dataset: from the list, or by its ID',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a team...',
				typeOptions: { searchListMethod: 'searchTeams', searchable: true },
			},
			{ displayName: 'ID', name: 'id', type: 'string', placeholder: 'e.g. p9lan' },
		],
		displayOptions: { show },
	},
	{
		displayName: 'Masthead Name or ID',
		name: 'masthead',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getMastheads' },
		default: '',
		description:
			'DataPress 4 sites (the London Datastore) only: the masthead the dataset page shows, one of the site\'s. Left empty, a site with a single masthead uses it. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show },
	},
	{
		displayName: 'Sharing',
		name: 'sharing',
		type: 'options',
		options: [
			{ name: 'Private', value: 'private', description: 'Only members of the team see it' },
			{ name: 'Public', value: 'public', description: 'Everyone sees it' },
		],
		default: 'private',
		description:
			'Who sees the new dataset. Private by default, and always sent: DataPress 4 would publish a dataset created without it.',
		displayOptions: { show },
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'Description of the dataset (HTML allowed)',
		displayOptions: { show },
	},
	{
		displayName: 'Additional Fields (JSON)',
		name: 'additionalFieldsJson',
		type: 'json',
		default: '{}',
		description: 'Any other dataset fields, e.g. {"tags": ["planning"], "licence": "ogl-v3"}',
		displayOptions: { show },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const title = (this.getNodeParameter('title', itemIndex) as string).trim();
	const givenSlug = (this.getNodeParameter('slug', itemIndex, '') as string).trim();
	// A plain string is a team id from a workflow saved before the locator.
	const team = readLocator(this.getNodeParameter('team', itemIndex)).value;
	const sharing = this.getNodeParameter('sharing', itemIndex, 'private') as string;
	const text = this.getNodeParameter('description', itemIndex, '') as string;
	if (!title) {
		throw new NodeOperationError(this.getNode(), 'Title must not be empty', { itemIndex });
	}
	if (!team) {
		throw new NodeOperationError(this.getNode(), "Team must be chosen (the dataset's parent)", {
			itemIndex,
		});
	}
	const extra = readJsonObjectParameter.call(
		this,
		'additionalFieldsJson',
		'Additional Fields (JSON)',
		itemIndex,
	);
	const calls = callOptions(this, itemIndex);
	let body: IDataObject;
	if ((await siteGeneration(this, calls)) === 'v4') {
		const masthead = await chooseMasthead.call(this, itemIndex);
		body = { ...extra, title, team, masthead, sharing };
	} else {
		const slug = givenSlug || slugify(title);
		if (!slug) {
			throw new NodeOperationError(
				this.getNode(),
				'Slug is empty: the title has no letters or digits to derive one from; give a slug',
				{ itemIndex },
			);
		}
		body = { ...extra, title, slug, parent: team, sharing };
	}
	if (text) body.description = text;
	const dataset = await createDataset(this, body, calls);
	return [{ json: dataset, pairedItem: { item: itemIndex } }];
}

/** The Masthead parameter, or the site's only masthead when it is left empty. */
async function chooseMasthead(this: IExecuteFunctions, itemIndex: number): Promise<string> {
	const given = String(this.getNodeParameter('masthead', itemIndex, '') ?? '').trim();
	if (given) return given;
	const mastheads = await listMastheads(this, callOptions(this, itemIndex));
	if (mastheads.length === 1) return mastheads[0].id;
	throw new NodeOperationError(
		this.getNode(),
		'Invalid "Masthead": DataPress 4 needs one for a new dataset',
		{
			itemIndex,
			description: mastheads.length
				? `The site's mastheads are: ${mastheads.map((masthead) => masthead.id).join(', ')}. Nothing was created.`
				: 'The site lists no masthead. Nothing was created.',
		},
	);
}
