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
