/**
 * Slices of one validated day (by authority, postcode and address word) as /search queries, and what
 * the state has seen inside one. Pure.
 */
import { isFullPostcode, normalisePostcodeKey } from '../../UkPlanning/domain/postcode';
import type { DayState, PlannerApplication, Query, SeenEntry, Slice } from './types';

const ADDRESS_KEEP = 120;

/**
 * What is kept of a seen application: "lpa|postcode|address" (address lower-cased, shortened, without
 * the postcode it usually ends with, which the state keeps once already).
 */
export function seenInfo(app: PlannerApplication): string {
	const postcode = normalisePostcodeKey(app.postcode);
	let address = typeof app.address === 'string' ? app.address : '';
	if (/^[A-Z0-9 ]+$/.test(postcode)) {
		const ending = new RegExp(
			`[\\s,]*${postcode.replace(/ /g, '').split('').join('\\s*')}\\s*$`,
			'i',
		);
		address = address.replace(ending, '');
	}
	address = address.trim().toLowerCase().replace(/\|/g, ' ').slice(0, ADDRESS_KEEP);
	return `${app.lpa_id ?? ''}|${postcode}|${address}`;
}

export function splitInfo(info: string): SeenEntry {
	const [lpa = '', postcode = '', ...rest] = info.split('|');
	return { lpa, postcode, address: rest.join('|') };
}

/** The user's filters over the days `from` to `to` (open-ended without `to`). */
export function rangeQuery(base: Query, from: string, to?: string): Query {
	const query: Query = { ...base, date_from: from };
	if (to) query.date_to = to;
	return query;
}

export function sliceQuery(base: Query, slice: Slice): Query {
	const query: Query = { ...base, date_from: slice.day, date_to: slice.day };
	if (slice.lpas) query.lpa_id = slice.lpas.join(',');
	if (slice.prefix) query.postcode_start = slice.prefix;
	if (slice.exact) {
		query.postcode_exact = slice.exact;
		delete query.postcode_start;
	}
	if (slice.address) query.address = slice.address;
	return query;
}

/** Whether every application of `inner` lies in `outer` (both of one day). */
export function sliceWithin(inner: Slice, outer: Slice): boolean {
	if (inner.day !== outer.day) return false;
	if (outer.lpas && !(inner.lpas ?? []).every((id) => outer.lpas?.includes(id))) return false;
	if (outer.lpas && !inner.lpas) return false;
	const innerPostcode = inner.exact ?? inner.prefix ?? '';
	if (outer.exact !== undefined && inner.exact !== outer.exact) return false;
	if (outer.prefix !== undefined && !innerPostcode.startsWith(outer.prefix)) return false;
	if (outer.address !== undefined && !(inner.address ?? '').includes(outer.address)) return false;
	return true;
}

/** Whether a seen application lies inside the slice (by what the state keeps of it). */
export function inSlice(entry: SeenEntry, slice: Slice): boolean {
	if (slice.lpas && !slice.lpas.includes(entry.lpa)) return false;
	if (slice.exact !== undefined && entry.postcode !== slice.exact) return false;
	if (slice.prefix !== undefined && !entry.postcode.startsWith(slice.prefix)) return false;
	if (slice.address !== undefined && !entry.address.includes(slice.address)) return false;
	return true;
}

export function seenIn(ds: DayState, slice: Slice): SeenEntry[] {
	const out: SeenEntry[] = [];
	for (const info of Object.values(ds.seen)) {
		const entry = splitInfo(info);
		if (inSlice(entry, slice)) out.push(entry);
	}
	return out;
}

/**
 * The part of an authority's day that no postcode query reaches (applications without a postcode), in a
 * part key: "205|without postcode".
 */
export const WITHOUT_POSTCODE = 'without postcode';

/**
 * A part of a day not learned yet, as the state keys it: an authority id, optionally with a postcode
 * start or full postcode after a `|` ("205|LS1 4"), or `WITHOUT_POSTCODE`. The authority is empty when
 * the filters' authorities are taken together (a single one is watched). Version 2 states keyed whole
 * authorities the same way.
 */
export function partKey(lpa: string | undefined, postcode: string): string {
	return postcode ? `${lpa ?? ''}|${postcode}` : (lpa ?? '');
}

function splitPartKey(key: string): { lpa: string; postcode: string } {
	const bar = key.indexOf('|');
	return bar === -1
		? { lpa: key, postcode: '' }
		: { lpa: key.slice(0, bar), postcode: key.slice(bar + 1) };
}

/** The authority of a part key ('' when the filters' authorities are taken together). */
export function partAuthority(key: string): string {
	return splitPartKey(key).lpa;
}

/** A part that is one authority's whole day (the filters' authorities taken one by one). */
export function isWholeAuthority(key: string): boolean {
	const { lpa, postcode } = splitPartKey(key);
	return lpa !== '' && postcode === '';
}

export function isWithoutPostcode(key: string): boolean {
	return splitPartKey(key).postcode === WITHOUT_POSTCODE;
}

/**
 * The slice of `day` a part key stands for: for the part without a postcode, which no query isolates,
 * its authority's day, the narrowest query that holds it.
 */
export function partSlice(day: string, key: string): Slice {
	const { lpa, postcode } = splitPartKey(key);
	const slice: Slice = { day };
	if (lpa) slice.lpas = [lpa];
	if (postcode === WITHOUT_POSTCODE) return slice;
	if (isFullPostcode(postcode)) slice.exact = postcode;
	else if (postcode) slice.prefix = postcode;
	return slice;
}

/**
 * Whether a seen application lies in a part. The part without a postcode holds its authority's
 * applications whose postcode starts with no letter (none, or not a UK postcode): no postcode start
 * reaches them, and they never lie in a postcode part.
 */
function inPart(entry: SeenEntry, day: string, key: string): boolean {
	if (!inSlice(entry, partSlice(day, key))) return false;
	return !isWithoutPostcode(key) || !/^[A-Z]/.test(entry.postcode);
}

/** The part of `keys` a seen application lies in, if any (parts never overlap). */
export function partOfEntry(keys: string[], day: string, entry: SeenEntry): string | undefined {
	return keys.find((key) => inPart(entry, day, key));
}

/** The part of `keys` an application lies in, if any. */
export function partOf(keys: string[], day: string, app: PlannerApplication): string | undefined {
	return partOfEntry(keys, day, splitInfo(seenInfo(app)));
}
