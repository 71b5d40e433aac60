/** Reading an answer's body before use: JSON where JSON is due, and a short, readable excerpt otherwise. */
import type { AnswerProblem } from './failure';

const EXCERPT_LENGTH = 200;

/** A short plain-text view of a body for messages: the page title of an HTML page, else the text without tags. */
export function excerpt(text: string): string {
	const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
	const plain = (title || text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
	return plain.length > EXCERPT_LENGTH ? `${plain.slice(0, EXCERPT_LENGTH)}…` : plain;
}

export type ParsedJson =
	| { ok: true; value: unknown }
	| { ok: false; problem: AnswerProblem; detail: string };

/** Parses a body that should be JSON, saying what it was instead when it is not. */
export function parseJson(text: string): ParsedJson {
	const trimmed = text.trim();
	if (trimmed === '') return { ok: false, problem: 'empty', detail: 'an empty body' };
	try {
		return { ok: true, value: JSON.parse(trimmed) };
	} catch {
		if (trimmed.startsWith('<'))
			return { ok: false, problem: 'html', detail: `an HTML page ("${excerpt(trimmed)}")` };
		if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
			return {
				ok: false,
				problem: 'truncated',
				detail: `incomplete JSON (${trimmed.length} characters, cut off)`,
			};
		}
		return {
			ok: false,
			problem: 'notJson',
			detail: `text that is not JSON ("${excerpt(trimmed)}")`,
		};
	}
}

/** The parsed JSON of an error answer, or its text: services read their error fields from either. */
export function errorBody(text: string): unknown {
	const parsed = parseJson(text);
	return parsed.ok ? parsed.value : text;
}

/** Names a JSON value's type for messages: "a JSON string", "a JSON array", "null". */
export function jsonKind(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a JSON array';
	return `a JSON ${typeof value}`;
}

/** A path segment made from user input: encoded, and refused when it would change the endpoint. */
export function pathSegment(value: string): string | undefined {
	const trimmed = value.trim();
	if (trimmed === '' || /^\.+$/.test(trimmed)) return undefined;
	return encodeURIComponent(trimmed);
}

/** What identifies an answer's version: its ETag, or its Last-Modified date. */
export interface Validators {
	etag?: string;
	lastModified?: string;
}

/** Validators are kept in a trigger's state: longer ones are not kept (no ETag seen in use comes near). */
export const MAX_VALIDATOR_LENGTH = 128;

const first = (value: unknown): string | undefined => {
	const text = Array.isArray(value) ? value[0] : value;
	return typeof text === 'string' ? text.trim() : undefined;
};

/**
 * The validator of an answer worth sending back in a conditional request, or undefined. The ETag when the
 * answer carries a well-formed one (RFC 9110 8.8.3); else its Last-Modified, only when it is strong: the
 * answer's Date at least a second later (RFC 9110 8.8.2.2), since a change within the same second as the
 * last would carry the same date and go unseen.
 */
export function validatorsOf(headers: Record<string, unknown>): Validators | undefined {
	const etag = first(headers.etag);
	if (etag && etag.length <= MAX_VALIDATOR_LENGTH && /^(W\/)?"[\x21\x23-\x7e]*"$/.test(etag))
		return { etag };
	const lastModified = first(headers['last-modified']);
	const modifiedMs = lastModified ? Date.parse(lastModified) : NaN;
	const dateText = first(headers.date);
	const dateMs = dateText ? Date.parse(dateText) : NaN;
	if (
		lastModified &&
		lastModified.length <= MAX_VALIDATOR_LENGTH &&
		Number.isFinite(modifiedMs) &&
		Number.isFinite(dateMs) &&
		dateMs - modifiedMs >= 1000
	)
		return { lastModified: new Date(modifiedMs).toUTCString() };
	return undefined;
}

/** The headers of a conditional GET: If-None-Match for an ETag (it takes precedence), else If-Modified-Since. */
export function conditionalHeaders(validators: Validators | undefined): Record<string, string> {
	if (validators?.etag) return { 'If-None-Match': validators.etag };
	if (validators?.lastModified) return { 'If-Modified-Since': validators.lastModified };
	return {};
}
