/**
 * The compact dataset of Dataset → Get and Get Many when Simplify is on (n8n's guideline for outputs of
 * more than ten fields), pure. Reads both generations and both DataPress 4 shapes: the dataset as GET
 * serves it (`team` an id, `resources` a map) and as the export lists it (`team` as `{id, title}`,
 * `resources` an array of entries with their id); legacy keeps `slug`, `parent` and `check_size`.
 */

type Json = Record<string, unknown>;

export interface SimpleFile {
	id: string;
	title: string;
	format: string | null;
	size: number | null;
	url: string | null;
}

export interface SimpleDataset {
	id: string;
	title: string;
	team: string | null;
	sharing: string | null;
	updatedAt: string | null;
	url: string | null;
	files: SimpleFile[];
}

const isRecord = (value: unknown): value is Json =>
	Boolean(value) && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | null =>
	typeof value === 'string' && value !== '' ? value : null;

function sizeOf(resource: Json): number | null {
	const size = resource.size ?? resource.check_size;
	const number = typeof size === 'string' && size.trim() !== '' ? Number(size) : size;
	return typeof number === 'number' && Number.isFinite(number) ? number : null;
}

/** The team's id: DataPress 4's `team` (an id, or `{id}` in the export), legacy's `parent`. */
export function teamIdOf(dataset: Json): string | null {
	const team = dataset.team ?? dataset.parent;
	if (isRecord(team)) return text(team.id);
	return text(team);
}

/** The dataset's page: DataPress 4's `canonical` path, legacy's `/dataset/<slug>`, on the site's origin. */
export function pageUrlOf(dataset: Json, baseUrl: string): string | null {
	const canonical = text(dataset.canonical);
	const path =
		canonical ??
		(text(dataset.slug) ? `/dataset/${encodeURIComponent(String(dataset.slug))}` : null);
	if (!path) return null;
	if (/^https?:\/\//.test(path)) return path;
	return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** The dataset's files in their order on the page, with their ids, from a map or an array. */
export function filesOf(dataset: Json): Array<{ id: string; resource: Json }> {
	const resources = dataset.resources;
	const entries: Array<{ id: string; resource: Json }> = [];
	if (Array.isArray(resources)) {
		for (const resource of resources)
			if (isRecord(resource) && text(resource.id))
				entries.push({ id: String(resource.id), resource });
	} else if (isRecord(resources)) {
		for (const [id, resource] of Object.entries(resources))
			if (isRecord(resource)) entries.push({ id, resource });
	}
	const order = (resource: Json) =>
		typeof resource.order === 'number' ? resource.order : Number.MAX_SAFE_INTEGER;
	// A stable sort keeps the given order among files without one.
	return entries.sort((a, b) => order(a.resource) - order(b.resource));
}

export function simplifyDataset(dataset: Json, baseUrl: string): SimpleDataset {
	return {
		id: String(dataset.id ?? ''),
		title: String(dataset.title ?? ''),
		team: teamIdOf(dataset),
		sharing: text(dataset.sharing),
		updatedAt: text(dataset.updatedAt),
		url: pageUrlOf(dataset, baseUrl),
		files: filesOf(dataset).map(({ id, resource }) => ({
			id,
			title: String(resource.title ?? id),
			format: text(resource.format),
			size: sizeOf(resource),
			url: text(resource.url),
		})),
	};
}
