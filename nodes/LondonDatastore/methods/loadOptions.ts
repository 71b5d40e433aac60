/** The editor's dropdowns: teams and mastheads (the resource locators' lists are in listSearch.ts). */
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { listMastheads, listTeams } from '../transport';

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

/** DataPress 4's mastheads; a legacy site has none, and the list says so. */
export async function getMastheads(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const mastheads = await listMastheads(this);
	if (!mastheads.length) return [{ name: '(None: Not Used on This Site)', value: '' }];
	return mastheads
		.map((masthead) => ({ name: masthead.title, value: masthead.id }))
		.sort((a, b) => a.name.localeCompare(b.name));
}
