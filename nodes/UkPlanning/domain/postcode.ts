/**
 * UK postcodes as the Planning API matches them: the full form it expects ("GU16 7HF"), the starts it
 * accepts ("GU", "GU16", "GU16 7", "GU16 7H"), and the grammar the trigger and its test event narrow by,
 * one step at a time, never with a trailing space (a server may trim it). One set of rules for all.
 */

const FULL_POSTCODE = /^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$/;
/** A start of a postcode: area ("GU"), district ("GU16"), sector ("GU16 7") or more ("GU16 7H"). */
const POSTCODE_START = /^[A-Z]{1,2}([0-9][A-Z0-9]?( [0-9]([A-Z]{1,2})?)?)?$/;

function text(value: unknown): string {
	if (value === undefined || value === null) return '';
	return String(value).trim();
}

/**
 * A full UK postcode in the form the API expects ("GU16 7HF"), from any spacing and case, or
 * undefined when the value is not a full postcode.
 */
export function normalisePostcode(value: unknown): string | undefined {
	const compact = text(value).replace(/\s+/g, '').toUpperCase();
	if (compact.length < 5 || compact.length > 7) return undefined;
	const spaced = `${compact.slice(0, -3)} ${compact.slice(-3)}`;
	return FULL_POSTCODE.test(spaced) ? spaced : undefined;
}

/** The start of a postcode, upper case with single spaces; a complete postcode is spaced as one. */
export function normalisePostcodeStart(value: unknown): string | undefined {
	const raw = text(value).toUpperCase().replace(/\s+/g, ' ');
	if (!raw) return undefined;
	const full = normalisePostcode(raw);
	if (full) return full;
	return POSTCODE_START.test(raw) ? raw : undefined;
}

export function normalisePostcodeKey(postcode: unknown): string {
	return typeof postcode === 'string' ? postcode.trim().toUpperCase().replace(/\s+/g, ' ') : '';
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** A complete UK postcode: outward code, space, digit and two letters. */
export function isFullPostcode(prefix: string): boolean {
	return /^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$/.test(prefix);
}

/**
 * The prefixes one step below `prefix`, following the postcode grammar so that siblings never overlap
 * and no prefix ends in a space (a server may trim it): area letters, district, then "district sector"
 * in one step, then the unit letters.
 */
export function childPrefixes(prefix: string): string[] {
	const add = (alphabet: string) => [...alphabet].map((c) => prefix + c);
	const sectors = () => [...DIGITS].map((d) => `${prefix} ${d}`);
	if (prefix === '') return add(LETTERS);
	if (/^[A-Z]$/.test(prefix)) return [...add(LETTERS), ...add(DIGITS)];
	if (/^[A-Z]{2}$/.test(prefix)) return add(DIGITS);
	if (/^[A-Z]{1,2}[0-9]$/.test(prefix)) return [...add(DIGITS), ...add(LETTERS), ...sectors()];
	if (/^[A-Z]{1,2}[0-9][A-Z0-9]$/.test(prefix)) return sectors();
	if (/ [0-9][A-Z]?$/.test(prefix)) return add(LETTERS);
	return [];
}

/** The child prefix of `prefix` that leads to `postcode`, in the same steps as childPrefixes. */
export function childPrefixOf(prefix: string, postcode: string): string | undefined {
	if (!postcode || postcode.length <= prefix.length || !postcode.startsWith(prefix))
		return undefined;
	const next = postcode[prefix.length];
	if (next === ' ') return postcode.slice(0, prefix.length + 2);
	return postcode.slice(0, prefix.length + 1);
}
