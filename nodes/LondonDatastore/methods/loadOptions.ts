/** The editor's dropdowns: teams for Create, a dataset's files for the file operations. */
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { getDataset, listMastheads, listTeams } from '../transport';

export async function getTeams(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const teams = await listTeams(this);
	return teams
		.map((team) => ({
			name: String(team.title ?? team.slug ?? team.id),
			value: String(team.id),
			description: team.slug ? String(team.slug) : undefined,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}

export async function getResources(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const datasetId = String(this.getCurrentNodeParameter('datasetId') ?? '').trim();
	if (!datasetId) return [];
	const dataset = await getDataset(this, datasetId);
	const resources = (dataset.resources ?? {}) as Record<string, Record<string, unknown>>;
	return Object.entries(resources)
		.sort(([, a], [, b]) => Number(a.order ?? 0) - Number(b.order ?? 0))
		.map(([id, resource]) => ({
			name: String(resource.title || id),
			value: id,
			description: resource.format ? String(resource.format) : undefined,
		}));
}

/** DataPress 4's mastheads; a legacy site has none, and the list says so. */
export async function getMastheads(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const mastheads = await listMastheads(this);
	if (!mastheads.length) return [{ name: '(None: Not Used on This Site)', value: '' }];
	return mastheads.map((masthead) => ({ name: masthead.title, value: masthead.id })).sort((a, b) => a.name.localeCompare(b.name));
}
