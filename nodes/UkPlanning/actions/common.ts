/** Pieces every operation uses: input validation as n8n errors and the known-authority check. */
import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { nodeVersion, readSearchFilters } from '../descriptions/filters';
import {
	FILTER_FIELD_NAMES,
	FilterValidationError,
	validateSearchFilters,
	type SearchQuery,
} from '../helpers/filters';
import { readTimeoutMs } from '../../shared/requestOptions';
import { toolArgumentNote } from '../../shared/toolMode';
import { listAuthorities } from '../transport';

type Authorities = Awaited<ReturnType<typeof listAuthorities>>;

/** /lpas once per execution, not once per item. */
const authorityCache = new WeakMap<object, Promise<Authorities>>();

export async function authoritiesOnce(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<Authorities> {
	let cached = authorityCache.get(this);
	if (!cached) {
		cached = listAuthorities.call(this, { itemIndex, timeoutMs: readTimeoutMs(this, itemIndex) });
		authorityCache.set(this, cached);
		// A failed lookup is not remembered: the next item may try again.
		cached.catch(() => authorityCache.delete(this));
	}
	return await cached;
}

/** Where a filter's value is among the node's parameters: in Filters from version 2, at the top before. */
function filterPath(this: IExecuteFunctions, field: string): string {
	const name =
		Object.entries(FILTER_FIELD_NAMES).find(([, label]) => label === field)?.[0] ?? field;
	return nodeVersion(this) >= 2 ? `filters.${name}` : name;
}

/** The item's filters as query parameters; a bad value fails the item before any search is sent. */
export async function searchQueryFor(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<SearchQuery> {
	let query: SearchQuery;
	try {
		query = validateSearchFilters(readSearchFilters(this, itemIndex));
	} catch (error) {
		if (error instanceof FilterValidationError) {
			throw new NodeOperationError(
				this.getNode(),
				`Invalid filter "${error.field}"${toolArgumentNote(this.getNode(), filterPath.call(this, error.field))}: ${error.message}`,
				{
					itemIndex,
					description: 'Fix this filter; no request was sent to the Planning API.',
				},
			);
		}
		throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
	}
	if (query.lpa_id) {
		// Unknown ids would only be refused by a search; /lpas is free and says which ones are wrong.
		const known = new Set((await authoritiesOnce.call(this, itemIndex)).map((lpa) => lpa.id));
		const unknown = query.lpa_id.split(',').filter((id) => !known.has(id));
		if (unknown.length) {
			throw new NodeOperationError(
				this.getNode(),
				`Invalid filter "${FILTER_FIELD_NAMES.lpaIds}"${toolArgumentNote(this.getNode(), filterPath.call(this, FILTER_FIELD_NAMES.lpaIds))}: unknown authority id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
				{
					itemIndex,
					description:
						'Pick authorities from the list, or look the ids up with Authority → Get Many. No search was sent.',
				},
			);
		}
	}
	return query;
}
