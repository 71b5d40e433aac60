/** Where a file is downloaded from, and what it is called and is, pure. */

type Json = Record<string, unknown>;

/**
 * The file's download address: its `url` (`/download/<dataset>/<file>/<name>` on the site itself on both
 * generations). One on another host is refused: the key goes to the Base URL's origin only.
 */
export function downloadTarget(
	resource: Json,
	baseUrl: string,
): { url: string } | { problem: string } {
	const given = typeof resource.url === 'string' ? resource.url.trim() : '';
	if (!given)
		return {
			problem: 'it has no download address (its url is empty): the site holds no file for it',
		};
	let url: URL;
	let base: URL;
	try {
		base = new URL(baseUrl);
		url = new URL(given, base);
	} catch {
		return { problem: `its download address "${given}" is not a web address` };
	}
	if (url.origin !== base.origin) {
		return {
			problem: `it links to another site (${url.origin}), not a file the site holds; the API key is not sent there`,
		};
	}
	return { url: url.toString() };
}

/** The file's name: the last segment of its download address (as uploaded), else its title, else its id. */
export function fileNameOf(resource: Json, resourceId: string): string {
	if (typeof resource.url === 'string') {
		try {
			const last = new URL(resource.url, 'http://x').pathname.split('/').filter(Boolean).pop();
			if (last && new URL(resource.url, 'http://x').pathname.startsWith('/download/'))
				return decodeURIComponent(last);
		} catch {
			// a malformed address falls back to the title
		}
	}
	const title = typeof resource.title === 'string' ? resource.title.trim() : '';
	return title || resourceId;
}

const GENERIC = [
	'',
	'application/octet-stream',
	'binary/octet-stream',
	'application/download',
	'application/force-download',
];

/**
 * The MIME type to store: the one legacy sites recorded (`check_mimetype`), else the one served, unless
 * generic (DataPress 4 serves every file as application/octet-stream, and a legacy upload may have been
 * recorded so). Undefined: n8n guesses from the file name.
 */
export function mimeTypeFor(resource: Json, served: string | undefined): string | undefined {
	for (const given of [resource.check_mimetype, served]) {
		const type = (typeof given === 'string' ? given : '').split(';')[0].trim().toLowerCase();
		if (!GENERIC.includes(type)) return type;
	}
	return undefined;
}

/**
 * n8n calls a stream it cannot type by name `text/plain`; a file whose name does not say text is then
 * stored as application/octet-stream instead.
 */
export function correctGuessedMimeType(guessed: string, fileName: string): string {
	if (guessed !== 'text/plain' || /\.(txt|text|log)$/i.test(fileName)) return guessed;
	return 'application/octet-stream';
}
