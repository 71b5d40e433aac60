/**
 * Calendar days as the Planning API counts them: 'yyyy-mm-dd' strings, in UTC so that no local time zone
 * shifts a day, and the server's day read from its answers. Used by the search, its credit guard, the
 * trigger's planner and its test event.
 */

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written yyyy-mm-dd. */
export function isValidIsoDate(value: unknown): boolean {
	if (typeof value !== 'string') return false;
	const match = ISO_DATE.exec(value);
	if (!match) return false;
	const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
	const date = new Date(Date.UTC(year, month - 1, day));
	return (
		date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
	);
}

function checkedMs(day: string): number {
	if (!isValidIsoDate(day)) throw new RangeError(`"${day}" is not a yyyy-mm-dd date`);
	return Date.parse(`${day}T00:00:00Z`);
}

export function dayIndex(day: string): number {
	return Math.floor(checkedMs(day) / DAY_MS);
}

export function dayFromIndex(index: number): string {
	return new Date(index * DAY_MS).toISOString().slice(0, 10);
}

/** The day `days` days after `day` (negative: before). */
export function shiftDay(day: string, days: number): string {
	return dayFromIndex(dayIndex(day) + Math.round(days));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
	return dayIndex(to) - dayIndex(from);
}

/** The API's envelope says `request.datetime: "YYYY-MM-DD HH:MM:SS"`; the server's day is its date part. */
export function serverDay(datetime: string | undefined, fallback: string): string {
	const match = /^(\d{4}-\d{2}-\d{2})/.exec(datetime ?? '');
	return match ? match[1] : fallback;
}
