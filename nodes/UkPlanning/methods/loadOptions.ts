import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { listAuthorities } from '../transport';

function titleCase(name: string): string {
	return name.replace(
		/(^|[\s\-(])([a-z])/g,
		(_match, before: string, letter: string) => before + letter.toUpperCase(),
	);
}

/** The authorities for the multi-select, by name, with their application counts. */
export async function getAuthorities(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const authorities = await listAuthorities.call(this);
	return authorities
		.map((lpa) => ({
			name: titleCase(lpa.name || `Authority ${lpa.id}`),
			value: lpa.id,
			description:
				lpa.applicationCount === undefined
					? `ID ${lpa.id}`
					: `ID ${lpa.id}, ${lpa.applicationCount} applications`,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}
