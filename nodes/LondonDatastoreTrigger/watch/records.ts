/**
 * A dataset reduced to what the trigger keeps and compares, pure: its metadata fields normalised so that
 * DataPress 4's GET and export shapes and the legacy shape read alike, each file's hash, and when files
 * were uploaded.
 */
import { createHash } from 'crypto';

import { filesOf, teamIdOf } from '../../LondonDatastore/helpers/simplify';
import type { DatasetRecord, FieldChange, FileFacts, Json } from './types';

/** Longer stored values keep only a digest: the state stays bounded whatever the descriptions hold. */
export const MAX_KEPT_JSON = 64;

/** Server-owned or derived fields: not metadata an editor changes (files are compared by hash). */
const NOT_METADATA = new Set([
	'id',
	'site',
	'resources',
	'readonly',
	'createdAt',
	'updatedAt',
	'canonical',
	'descriptionText',
]);

const isRecord = (value: unknown): value is Json =>
	Boolean(value) && typeof value === 'object' && !Array.isArray(value);

/** `{id, title}` (the export's enrichment) read as its id, so that GET and export compare equal. */
function idOf(value: unknown): unknown {
	return isRecord(value) && typeof value.id === 'string' ? value.id : value;
}

function linksOf(value: unknown): unknown {
	const entries: Array<[string, unknown]> = Array.isArray(value)
		? value.map((link, index) => [String(isRecord(link) ? (link.id ?? index) : index), link])
		: isRecord(value)
			? Object.entries(value)
			: [];
	// Only what an editor sets: the export adds link checks (`httpStatus`, `qaTimestamp`) that change alone.
	return entries
		.map(([id, link]) => ({
			id,
			url: isRecord(link) ? (link.url ?? null) : null,
			title: isRecord(link) ? (link.title ?? null) : null,
		}))
		.sort((a, b) => a.id.localeCompare(b.id));
}

/** The dataset's metadata, field by field (`custom.<name>` for each site-defined field). */
export function metadataOf(dataset: Json): Record<string, unknown> {
	const fields: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(dataset)) {
		if (NOT_METADATA.has(name) || value === null || value === undefined) continue;
		if (name === 'team') fields.team = teamIdOf(dataset);
		else if (name === 'masthead') fields.masthead = idOf(value);
		else if (name === 'topics' && Array.isArray(value)) fields.topics = value.map(idOf);
		else if (name === 'links') fields.links = linksOf(value);
		else if (name === 'custom' && isRecord(value)) {
			for (const [custom, entry] of Object.entries(value))
				if (entry !== null && entry !== undefined) fields[`custom.${custom}`] = entry;
		} else fields[name] = value;
	}
	return fields;
}

function digest(text: string): string {
	return createHash('sha1').update(text).digest('hex').slice(0, 12);
}

/** A value as kept: its JSON when short, else `#` and a digest of the JSON. */
export function storedForm(value: unknown): string {
	const json = JSON.stringify(value);
	return json.length <= MAX_KEPT_JSON ? json : `#${digest(json)}`;
}

function keptValue(stored: string | undefined): { value: unknown } | undefined {
	if (stored === undefined) return { value: null };
	if (stored.startsWith('#')) return undefined;
	return { value: JSON.parse(stored) as unknown };
}

/** A file's hash: DataPress 4's `hash`, legacy's `check_hash`; a link without one by its address. */
export function fileHashOf(resource: Json): string {
	const hash = resource.hash ?? resource.check_hash;
	if (typeof hash === 'string' && hash) return hash;
	return `url:${String(resource.url ?? '')}`;
}

/** When the file's bytes were uploaded: the export's `timestamp`, the storage key's time, legacy's `check_timestamp`. */
export function uploadedAtOf(resource: Json): string | null {
	for (const candidate of [resource.timestamp, resource.check_timestamp]) {
		if (typeof candidate === 'string' && Number.isFinite(Date.parse(candidate)))
			return new Date(Date.parse(candidate)).toISOString();
	}
	const stamp = /\/(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\//.exec(String(resource.origin ?? ''));
	return stamp ? `${stamp[1]}.000Z` : null;
}

export function recordOf(dataset: Json): DatasetRecord {
	const m: Record<string, string> = {};
	for (const [field, value] of Object.entries(metadataOf(dataset))) m[field] = storedForm(value);
	const f: Record<string, string> = {};
	for (const { id, resource } of filesOf(dataset)) f[id] = fileHashOf(resource);
	return { u: typeof dataset.updatedAt === 'string' ? dataset.updatedAt : null, f, m };
}

/** The metadata fields that differ between the kept record and the dataset now, with old and new values. */
export function fieldChanges(kept: DatasetRecord, dataset: Json): FieldChange[] {
	const now = metadataOf(dataset);
	const names = [...new Set([...Object.keys(kept.m), ...Object.keys(now)])].sort();
	const changes: FieldChange[] = [];
	for (const name of names) {
		const value = name in now ? now[name] : null;
		const stored = name in now ? storedForm(value) : undefined;
		if (stored === kept.m[name]) continue;
		const old = keptValue(kept.m[name]);
		changes.push(
			old
				? { field: name, old: old.value, new: value }
				: { field: name, new: value, oldNotKept: true },
		);
	}
	return changes;
}

/** The title kept for a dataset (shown when it is removed), when it was short enough to keep. */
export function keptTitle(record: DatasetRecord): string | null {
	const kept = keptValue(record.m.title);
	return kept && typeof kept.value === 'string' ? kept.value : null;
}

export function fileFacts(
	id: string,
	resource: Json | undefined,
	previousHash: string | null,
): FileFacts {
	const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
	const size = resource ? Number(resource.size ?? resource.check_size) : NaN;
	return {
		id,
		title: resource ? text(resource.title) : null,
		format: resource ? text(resource.format) : null,
		size: Number.isFinite(size) ? size : null,
		hash: resource ? fileHashOf(resource) : null,
		previousHash,
		url: resource ? text(resource.url) : null,
		uploadedAt: resource ? uploadedAtOf(resource) : null,
	};
}
