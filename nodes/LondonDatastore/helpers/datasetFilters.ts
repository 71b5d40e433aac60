/** Dataset → Get Many's filters and the dataset list search, applied to a list of datasets, pure. */
import { teamIdOf } from './simplify';

type Json = Record<string, unknown>;

export interface DatasetFilters {
	/** A team id: the dataset's `team` (DataPress 4) or `parent` (legacy). */
	team?: string;
	/** Words that must all appear in the title, id, slug or page path, or a tag (any case). */
	search?: string;
	/** Epoch ms: only datasets updated at or after it. */
	updatedSinceMs?: number;
}

/** A date filter's text as epoch ms, or why it is not a date. */
export function parseSince(value: unknown): { ms?: number } | { problem: string } {
	if (value === undefined || value === null || value === '') return {};
	const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
	if (!Number.isFinite(ms))
		return {
			problem: `must be a date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z (got ${JSON.stringify(value)})`,
		};
	return { ms };
}

function searchableText(dataset: Json): string {
	const tags = Array.isArray(dataset.tags)
		? dataset.tags.filter((tag) => typeof tag === 'string')
		: [];
	return [dataset.title, dataset.id, dataset.slug, dataset.canonical, ...tags]
		.filter((part) => typeof part === 'string')
		.join(' ')
		.toLowerCase();
}

export function matchesFilters(dataset: Json, filters: DatasetFilters): boolean {
	if (filters.team && teamIdOf(dataset) !== filters.team) return false;
	const words = (filters.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
	if (words.length) {
		const haystack = searchableText(dataset);
		if (!words.every((word) => haystack.includes(word))) return false;
	}
	if (filters.updatedSinceMs !== undefined) {
		const updated = Date.parse(String(dataset.updatedAt ?? ''));
		if (!Number.isFinite(updated) || updated < filters.updatedSinceMs) return false;
	}
	return true;
}

/** The datasets that pass the filters, most recently updated first (the order people look for). */
export function filterDatasets(datasets: Json[], filters: DatasetFilters): Json[] {
	const updated = (dataset: Json) => {
		const ms = Date.parse(String(dataset.updatedAt ?? ''));
		return Number.isFinite(ms) ? ms : 0;
	};
	return datasets
		.filter((dataset) => matchesFilters(dataset, filters))
		.sort((a, b) => updated(b) - updated(a));
}
