/**
 * Reading the node's resource locators (dataset, file, team), pure. A locator is `{ __rl, mode, value }`;
 * a workflow saved before the locators existed holds a plain string (or an expression's result) instead,
 * and is read as an id.
 */

export type Generation = 'v4' | 'legacy';

export interface Locator {
	mode: string;
	value: string;
}

/** The URL mode's check in the editor: a dataset page on any DataPress site. */
export const DATASET_URL_REGEX = '^https?://[^/\\s]+/dataset/[^/?#\\s]+/?(?:[?#].*)?$';
/** A file's download address, as its dataset page links it. */
export const FILE_URL_REGEX =
	'^https?://[^/\\s]+/download/[^/?#\\s]+/[^/?#\\s]+(?:/[^?#\\s]*)?(?:[?#].*)?$';

/** Either form of a locator parameter, as mode and trimmed text; a plain value is an id. */
export function readLocator(raw: unknown): Locator {
	if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
		const record = raw as { mode?: unknown; value?: unknown };
		return {
			mode: typeof record.mode === 'string' && record.mode ? record.mode : 'id',
			value: textOf(record.value),
		};
	}
	return { mode: 'id', value: textOf(raw) };
}

function textOf(value: unknown): string {
	if (typeof value === 'string') return value.trim();
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return '';
}

/** The path segments of a URL, decoded; undefined when it is not an http(s) URL. */
function pathSegments(text: string): string[] | undefined {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return undefined;
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
	try {
		return url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
	} catch {
		return undefined;
	}
}

/**
 * The dataset a page URL names. DataPress 4 pages are `/dataset/<title slug>-<5-character id>` (the id is
 * what the API takes); legacy pages are `/dataset/<slug>`, and the API takes the slug.
 */
export function datasetIdFromUrl(
	text: string,
	generation: Generation,
): { id: string } | { problem: string } {
	const segments = pathSegments(text);
	if (!segments) return { problem: `"${text}" is not a web address` };
	const at = segments.indexOf('dataset');
	const page = at >= 0 ? segments[at + 1] : undefined;
	if (!page) return { problem: `"${text}" is not a dataset page (…/dataset/<name>)` };
	if (generation === 'legacy') return { id: page };
	// A bare id (`/dataset/vd4q4`) is taken too: it names the dataset as plainly.
	const id = /(?:^|-)([a-z0-9]{5})$/.exec(page)?.[1];
	if (!id)
		return {
			problem: `"${text}" does not end in a DataPress 4 dataset id (…/dataset/<title>-<5-character id>)`,
		};
	return { id };
}

/** The file a download address names: `/download/<dataset>/<file id>/<file name>`. */
export function fileIdFromUrl(text: string): { id: string } | { problem: string } {
	const segments = pathSegments(text);
	if (!segments) return { problem: `"${text}" is not a web address` };
	const at = segments.indexOf('download');
	const id = at >= 0 ? segments[at + 2] : undefined;
	if (!id)
		return {
			problem: `"${text}" is not a file's download address (…/download/<dataset>/<file>/<name>)`,
		};
	return { id };
}
