/** The resource locators' lists: datasets (searchable), a dataset's files, and teams. */
import {
	NodeOperationError,
	type ILoadOptionsFunctions,
	type INodeListSearchResult,
} from 'n8n-workflow';

import { filterDatasets } from '../helpers/datasetFilters';
import { datasetIdFromUrl, readLocator } from '../helpers/locator';
import { filesOf, pageUrlOf } from '../helpers/simplify';
import {
	getDataset,
	listDatasets,
	listTeams,
	NO_DATASET_LIST,
	siteBaseUrl,
	siteGeneration,
} from '../transport';

const contains = (text: string, filter?: string) =>
	!filter || text.toLowerCase().includes(filter.trim().toLowerCase());

/** The datasets the key may read whose title, id or tags hold the search text, most recently updated first. */
export async function searchDatasets(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const datasets = await listDatasets(this);
	if (!datasets) {
		throw new NodeOperationError(this.getNode(), `Dataset (From List): ${NO_DATASET_LIST}`, {
			description: "Choose By URL (the dataset page's address) or ID instead.",
		});
	}
	const baseUrl = await siteBaseUrl(this);
	return {
		results: filterDatasets(datasets, { search: filter }).map((dataset) => ({
			name: String(dataset.title || dataset.id),
			value: String(dataset.id),
			url: pageUrlOf(dataset, baseUrl) ?? undefined,
		})),
	};
}

/** The files of the dataset chosen in the Dataset field, in their order on the page. */
export async function searchFiles(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	// No dataset chosen yet, or an address that names none: nothing to list (a failed request is shown).
	const locator = readLocator(this.getCurrentNodeParameter('datasetId'));
	if (!locator.value) return { results: [] };
	let datasetId = locator.value;
	if (locator.mode === 'url') {
		const parsed = datasetIdFromUrl(locator.value, await siteGeneration(this));
		if ('problem' in parsed) return { results: [] };
		datasetId = parsed.id;
	}
	const dataset = await getDataset(this, datasetId);
	return {
		results: filesOf(dataset)
			.map(({ id, resource }) => ({
				name: String(resource.title || id),
				value: id,
				url: typeof resource.url === 'string' && resource.url ? resource.url : undefined,
			}))
			.filter((option) => contains(`${option.name} ${option.value}`, filter)),
	};
}

export async function searchTeams(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const teams = await listTeams(this);
	return {
		results: teams
			.map((team) => ({
				name: String(team.title ?? team.slug ?? team.id),
				value: String(team.id),
				slug: String(team.slug ?? ''),
			}))
			.filter((team) => contains(`${team.name} ${team.value} ${team.slug}`, filter))
			.sort((a, b) => a.name.localeCompare(b.name))
			.map(({ name, value }) => ({ name, value })),
	};
}
