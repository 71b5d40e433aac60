import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { resourcesOf } from '../common';

export function requireResource(
	this: IExecuteFunctions,
	dataset: IDataObject,
	datasetId: string,
	resourceId: string,
	itemIndex: number,
): IDataObject {
	const resources = resourcesOf(dataset);
	const resource = resources[resourceId];
	if (!resource) {
		const known = Object.keys(resources);
		throw new NodeOperationError(
			this.getNode(),
			`File (resource) "${resourceId}" not found in dataset "${datasetId}"`,
			{
				itemIndex,
				description: known.length
					? `The dataset's resources are: ${known.join(', ')}`
					: 'The dataset has no resources.',
			},
		);
	}
	return resource;
}

/** The resource a change added: present after, absent before (the server picks its id). */
export function addedResourceId(before: IDataObject, after: IDataObject): string | undefined {
	const known = new Set(Object.keys(resourcesOf(before)));
	const added = Object.keys(resourcesOf(after)).filter((id) => !known.has(id));
	if (added.length === 1) return added[0];
	const updates =
		((after.readonly as IDataObject | undefined)?.updates as IDataObject[] | undefined) ?? [];
	for (const update of updates) {
		const match = /^\/resources\/([^/]+)/.exec(String(update.path ?? ''));
		if (match && !known.has(match[1])) return match[1];
	}
	return added[0];
}
