/** Calendar-day arithmetic on 'yyyy-mm-dd' strings, in UTC so that no local time zone shifts a day. */

const DAY_MS = 86_400_000;

export function dayIndex(day: string): number {
	return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

export function dayFromIndex(index: number): string {
	return new Date(index * DAY_MS).toISOString().slice(0, 10);
}

export function shiftDay(day: string, days: number): string {
	return dayFromIndex(dayIndex(day) + days);
}

/** The API's envelope says `request.datetime: "YYYY-MM-DD HH:MM:SS"`; the server's day is its date part. */
export function serverDay(datetime: string | undefined, fallback: string): string {
	const match = /^(\d{4}-\d{2}-\d{2})/.exec(datetime ?? '');
	return match ? match[1] : fallback;
}
