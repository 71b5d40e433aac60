/** What the trigger watches, pure: the scope's filters applied to a dataset, and its fingerprint. */
import { teamIdOf } from '../../LondonDatastore/helpers/simplify';
import type { Json } from './types';

export type Scope =
	| { kind: 'site' }
	| { kind: 'team'; team: string }
	| { kind: 'topic'; topic: string }
	| { kind: 'tag'; tag: string }
	| { kind: 'text'; text: string }
	| { kind: 'datasets'; ids: string[] };

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : '');

/** A topic matches by its id (slug) or its title, any case (the export gives both, GET the id). */
function topicsOf(dataset: Json): string[] {
	if (!Array.isArray(dataset.topics)) return [];
	return dataset.topics.flatMap((topic) =>
		topic && typeof topic === 'object'
			? [lower((topic as Json).id), lower((topic as Json).title)]
			: [lower(topic)],
	);
}

function searchableText(dataset: Json): string {
	const tags = Array.isArray(dataset.tags) ? dataset.tags : [];
	return [dataset.id, dataset.title, dataset.slug, dataset.description, ...tags]
		.filter((part) => typeof part === 'string')
		.join(' ')
		.toLowerCase();
}

/** Whether a dataset of the export is in scope (Chosen Datasets are fetched one by one, all in scope). */
export function inScope(scope: Scope, dataset: Json): boolean {
	switch (scope.kind) {
		case 'site':
		case 'datasets':
			return true;
		case 'team':
			return teamIdOf(dataset) === scope.team;
		case 'topic':
			return topicsOf(dataset).includes(lower(scope.topic));
		case 'tag':
			return (
				Array.isArray(dataset.tags) && dataset.tags.some((tag) => lower(tag) === lower(scope.tag))
			);
		case 'text': {
			const haystack = searchableText(dataset);
			return lower(scope.text)
				.split(/\s+/)
				.filter(Boolean)
				.every((word) => haystack.includes(word));
		}
	}
}

/** The scope as a string: the state learned for one scope is not used for another. */
export function scopeFingerprint(scope: Scope, baseUrl: string): string {
	const normalised =
		scope.kind === 'datasets' ? { ...scope, ids: [...new Set(scope.ids)].sort() } : scope;
	return JSON.stringify({ site: baseUrl, ...normalised });
}
