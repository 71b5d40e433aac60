/**
 * The trigger's stored state: what it is, and reading a stored copy of any earlier format, so that an
 * active workflow keeps its state across an upgrade of the package. Pure.
 */
import type { DayState, TriggerState } from './types';

export const STATE_VERSION = 3;

/** Version 1 stored one-letter keys: `v`, `fp`, `fut` and per day `n`, `s`, `f`, `x`, `l`. */
interface DayStateV1 {
	n: number;
	s: Record<string, string>;
	f?: 1;
	x?: 1;
	l?: Record<string, number>;
}

interface TriggerStateV1 {
	v: 1;
	fp: string;
	from: string;
	today: string;
	fut: number;
	days: Record<string, DayStateV1>;
	unresolved?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

function hasWindow(value: Record<string, unknown>): boolean {
	return typeof value.from === 'string' && typeof value.today === 'string' && isRecord(value.days);
}

function dayFromV1(day: DayStateV1): DayState {
	const migrated: DayState = {
		count: Number(day.n) || 0,
		seen: isRecord(day.s) ? (day.s as Record<string, string>) : {},
	};
	if (day.f) migrated.complete = 1;
	if (day.x) migrated.stale = 1;
	if (isRecord(day.l)) migrated.partCounts = day.l as Record<string, number>;
	return migrated;
}

function fromV1(stored: TriggerStateV1): TriggerState {
	const days: Record<string, DayState> = {};
	for (const [day, state] of Object.entries(stored.days))
		if (isRecord(state)) days[day] = dayFromV1(state as DayStateV1);
	return {
		version: STATE_VERSION,
		fingerprint: stored.fp,
		from: stored.from,
		today: stored.today,
		futureCount: Number(stored.fut) || 0,
		days,
		unresolved: Number(stored.unresolved) || 0,
	};
}

/**
 * Version 2 named a day's parts `countsByAuthority` and `learnedAuthorities`: whole authorities only,
 * keyed by id, which is how version 3 keys an authority's part too.
 */
interface DayStateV2 extends Omit<DayState, 'partCounts' | 'learnedParts'> {
	countsByAuthority?: Record<string, number>;
	learnedAuthorities?: string[];
}

interface TriggerStateV2 extends Omit<TriggerState, 'version' | 'days'> {
	version: 2;
	days: Record<string, DayStateV2>;
}

function fromV2(stored: TriggerStateV2): TriggerState {
	const days: Record<string, DayState> = {};
	for (const [day, state] of Object.entries(stored.days)) {
		if (!isRecord(state)) continue;
		const { countsByAuthority, learnedAuthorities, ...rest } = state;
		const migrated: DayState = { ...rest };
		if (isRecord(countsByAuthority)) migrated.partCounts = countsByAuthority;
		if (Array.isArray(learnedAuthorities)) migrated.learnedParts = learnedAuthorities;
		days[day] = migrated;
	}
	return { ...stored, version: STATE_VERSION, days };
}

/**
 * The stored state in the current format, migrated from an earlier one where needed; undefined when
 * there is none or it cannot be read (the trigger then activates afresh).
 */
export function readState(stored: unknown): TriggerState | undefined {
	if (!isRecord(stored) || !hasWindow(stored)) return undefined;
	if (stored.version === STATE_VERSION && typeof stored.fingerprint === 'string')
		return stored as unknown as TriggerState;
	if (stored.version === 2 && typeof stored.fingerprint === 'string')
		return fromV2(stored as unknown as TriggerStateV2);
	if (stored.v === 1 && typeof stored.fp === 'string')
		return fromV1(stored as unknown as TriggerStateV1);
	return undefined;
}
