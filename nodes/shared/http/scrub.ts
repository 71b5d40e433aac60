/**
 * Keeping keys out of what a failure produces: error messages, descriptions, request echoes and URLs.
 * Answers that succeeded are never scrubbed: output data is what the API returned.
 */
const REDACTED = '***';
const KEY_PARAMETER = /([?&]key=)[^&\s"'#]+/gi;

/** Secrets shorter than this are not searched for: replacing "a" everywhere would garble the text. */
const MIN_SECRET_LENGTH = 4;

function secretForms(secrets: Array<string | undefined>): string[] {
	const forms = new Set<string>();
	for (const secret of secrets) {
		if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
		forms.add(secret);
		forms.add(encodeURIComponent(secret));
	}
	// Longest first, so that a secret's encoded form is not half-replaced by a shorter one.
	return [...forms].sort((a, b) => b.length - a.length);
}

/** The text with every secret (plain and URL-encoded) and every `key=` query value replaced by ***. */
export function scrubText(value: string, secrets: Array<string | undefined>): string {
	let clean = value;
	for (const form of secretForms(secrets))
		if (clean.includes(form)) clean = clean.split(form).join(REDACTED);
	return clean.replace(KEY_PARAMETER, `$1${REDACTED}`);
}

/** A deep copy of a JSON-like value (a request echo) with every string scrubbed and `key` fields removed. */
export function scrubDeep<T>(value: T, secrets: Array<string | undefined>): T {
	const scrub = (entry: unknown): unknown => {
		if (typeof entry === 'string') return scrubText(entry, secrets);
		if (Array.isArray(entry)) return entry.map(scrub);
		if (entry && typeof entry === 'object') {
			const copy: Record<string, unknown> = {};
			for (const [field, child] of Object.entries(entry as Record<string, unknown>)) {
				if (field === 'key') continue;
				copy[field] = scrub(child);
			}
			return copy;
		}
		return entry;
	};
	return scrub(value) as T;
}
