/**
 * One poll of the London Datastore Trigger, pure: what was fetched compared with what the state kept,
 * giving the events and the next state. The state given is never changed: a poll that fails later
 * (or is run twice) leaves it as it was. The validators of the answers read are kept in the same state,
 * so that they never move without it.
 */
import { filesOf } from '../../LondonDatastore/helpers/simplify';
import type { Validators } from '../../shared/http';
import { fieldChanges, fileFacts, keptTitle, recordOf, uploadedAtOf } from './records';
import type {
	ChosenResult,
	DatasetRecord,
	EventKind,
	Json,
	KeptValidator,
	WatchEvent,
	WatchState,
} from './types';
import { EVENT_KINDS } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * An export that lacks at least this many of the datasets known, and more than this share of them, is
 * suspect (a partial answer): its missing datasets are kept, not removed, until they stay missing for
 * `CONFIRM_MISSING_POLLS` polls in a row.
 */
export const SUSPECT_MIN_MISSING = 3;
export const SUSPECT_SHARE = 0.2;
export const CONFIRM_MISSING_POLLS = 3;
/** The test event's look back when there is no state, before the newest update in scope. */
const TEST_WINDOW_DAYS = 7;

export type Fetched =
	| { kind: 'export'; all: Json[]; inScope: Json[]; validators?: Validators }
	/** A conditional read of the export answered 304: the export the state was learned from, again. */
	| { kind: 'unchanged' }
	| { kind: 'chosen'; results: ChosenResult[] };

/** A validator as the state keeps it (the ETag when there is one: it is the one sent). */
export function keptValidator(validators: Validators | undefined): KeptValidator | undefined {
	if (validators?.etag) return { e: validators.etag };
	if (validators?.lastModified) return { l: validators.lastModified };
	return undefined;
}

/** The validator a kept record or state holds, to send in a conditional read; anything malformed is none. */
export function sentValidator(kept: unknown): Validators | undefined {
	const { e, l } = (kept && typeof kept === 'object' ? kept : {}) as KeptValidator;
	if (typeof e === 'string' && e) return { etag: e };
	if (typeof l === 'string' && l) return { lastModified: l };
	return undefined;
}

export interface PollInput {
	/** The stored state; undefined (or another scope's) makes this a first poll. */
	state: WatchState | undefined;
	scope: string;
	fetched: Fetched;
	events: EventKind[];
	nowMs: number;
	/** On a first poll, emit what changed in this many last days instead of nothing. */
	firstPollDays?: number;
}

export interface PollResult {
	state: WatchState;
	events: WatchEvent[];
	first: boolean;
	/** A suspect export: how many known datasets it lacked, of how many. */
	suspect?: { missing: number; known: number };
	/** Chosen datasets that could not be read (kept as they were). */
	failures: Array<{ id: string; failure: unknown }>;
}

const ms = (value: unknown): number | null => {
	const parsed = typeof value === 'string' ? Date.parse(value) : NaN;
	return Number.isFinite(parsed) ? parsed : null;
};

/**
 * The datasets in scope by the id the state keeps them under: their own id in the export, the id they
 * were chosen by otherwise (a legacy site takes a slug for a dataset whose id is a UUID).
 */
function presentDatasets(fetched: Fetched): Map<string, Json> {
	const present = new Map<string, Json>();
	if (fetched.kind === 'unchanged') return present;
	if (fetched.kind === 'chosen') {
		for (const result of fetched.results)
			if ('dataset' in result) present.set(result.id, result.dataset);
		return present;
	}
	for (const dataset of fetched.inScope)
		if (typeof dataset.id === 'string' && dataset.id) present.set(dataset.id, dataset);
	return present;
}

/** A new dataset's file: its upload time (to the second) is never taken as earlier than the dataset. */
function notBefore(file: { uploadedAt: string | null }, dataset: Json): number | null {
	const created = ms(dataset.createdAt);
	const uploaded = ms(file.uploadedAt);
	if (uploaded === null || created === null) return uploaded ?? created;
	return Math.max(uploaded, created);
}

function fileEvents(id: string, dataset: Json, kind: 'newFile'): WatchEvent[] {
	return filesOf(dataset).map(({ id: fileId, resource }) => {
		const file = fileFacts(fileId, resource, null);
		return { event: kind, datasetId: id, dataset, file, atMs: notBefore(file, dataset) };
	});
}

/** The events of a dataset seen before: metadata edits, files added, changed (new bytes) or removed. */
function changesOf(id: string, kept: DatasetRecord, dataset: Json, nowMs: number): WatchEvent[] {
	const events: WatchEvent[] = [];
	const updatedMs = ms(dataset.updatedAt);
	const files = filesOf(dataset);
	for (const { id: fileId, resource } of files) {
		const previous = kept.f[fileId];
		const file = fileFacts(fileId, resource, previous ?? null);
		if (previous === file.hash) continue;
		events.push({
			event: previous === undefined ? 'newFile' : 'fileChanged',
			datasetId: id,
			dataset,
			file,
			atMs: ms(file.uploadedAt) ?? updatedMs,
		});
	}
	const now = new Set(files.map((file) => file.id));
	for (const [fileId, hash] of Object.entries(kept.f)) {
		if (now.has(fileId)) continue;
		events.push({
			event: 'fileRemoved',
			datasetId: id,
			dataset,
			file: { ...fileFacts(fileId, undefined, hash) },
			atMs: updatedMs ?? nowMs,
		});
	}
	const changes = fieldChanges(kept, dataset);
	const updatedAt = typeof dataset.updatedAt === 'string' ? dataset.updatedAt : null;
	if (changes.length) {
		events.push({ event: 'datasetUpdated', datasetId: id, dataset, changes, atMs: updatedMs });
	} else if (updatedAt !== kept.u && !events.length) {
		// The page's date moved with nothing else changed: the publisher marked the dataset as updated.
		events.push({
			event: 'datasetUpdated',
			datasetId: id,
			dataset,
			changes: [{ field: 'updatedAt', old: kept.u, new: updatedAt }],
			atMs: updatedMs,
		});
	}
	return events;
}

function removalEvents(id: string, kept: DatasetRecord, nowMs: number): WatchEvent[] {
	const dataset: Json = { id, title: keptTitle(kept), updatedAt: kept.u };
	return [
		{ event: 'datasetRemoved', datasetId: id, dataset, atMs: nowMs },
		...Object.entries(kept.f).map(([fileId, hash]) => ({
			event: 'fileRemoved' as const,
			datasetId: id,
			dataset,
			file: fileFacts(fileId, undefined, hash),
			atMs: nowMs,
		})),
	];
}

/** Events oldest first; within one time, in the order of EVENT_KINDS (a dataset before its files). */
function ordered(events: WatchEvent[], selected: EventKind[]): WatchEvent[] {
	const rank = (kind: EventKind) => EVENT_KINDS.indexOf(kind);
	return events
		.filter((event) => selected.includes(event.event))
		.sort(
			(a, b) =>
				(a.atMs ?? Number.MAX_SAFE_INTEGER) - (b.atMs ?? Number.MAX_SAFE_INTEGER) ||
				rank(a.event) - rank(b.event),
		);
}

/**
 * What changed since `sinceMs` as far as the datasets themselves tell, without a state: datasets created
 * since then (New Dataset, and their files New File), files uploaded since then in older datasets (File
 * Changed: new bytes, or a file new to its dataset; the site does not say which, and the previous hash is
 * unknown), datasets updated since then with no such file (Dataset Updated; which fields is unknown).
 */
export function historyEvents(datasets: Map<string, Json>, sinceMs: number): WatchEvent[] {
	const events: WatchEvent[] = [];
	for (const [id, dataset] of datasets) {
		if (!id) continue;
		const created = ms(dataset.createdAt);
		const isNew = created !== null && created >= sinceMs;
		if (isNew) events.push({ event: 'newDataset', datasetId: id, dataset, atMs: created });
		let fileEvent = false;
		for (const { id: fileId, resource } of filesOf(dataset)) {
			const uploaded = ms(uploadedAtOf(resource));
			if (uploaded === null || uploaded < sinceMs) continue;
			fileEvent = true;
			const file = fileFacts(fileId, resource, null);
			events.push({
				event: isNew ? 'newFile' : 'fileChanged',
				datasetId: id,
				dataset,
				file,
				atMs: isNew ? notBefore(file, dataset) : uploaded,
			});
		}
		const updated = ms(dataset.updatedAt);
		if (!isNew && !fileEvent && updated !== null && updated >= sinceMs)
			events.push({ event: 'datasetUpdated', datasetId: id, dataset, changes: [], atMs: updated });
	}
	return events;
}

export function runWatchPoll(input: PollInput): PollResult {
	const { fetched, nowMs } = input;
	const present = presentDatasets(fetched);
	const failures =
		fetched.kind === 'chosen'
			? fetched.results.flatMap((result) =>
					'failure' in result ? [{ id: result.id, failure: result.failure }] : [],
				)
			: [];
	const previous = input.state && input.state.scope === input.scope ? input.state : undefined;
	if (fetched.kind === 'unchanged' && !previous)
		throw new Error('A 304 answered a read that was not conditional on this state');
	// Chosen Datasets: each dataset's record keeps the validator of its own read.
	const chosenValidators = new Map<string, KeptValidator>();
	if (fetched.kind === 'chosen') {
		for (const result of fetched.results) {
			const kept = 'dataset' in result ? keptValidator(result.validators) : undefined;
			if (kept) chosenValidators.set(result.id, kept);
		}
	}
	const recordFor = (id: string, dataset: Json): DatasetRecord => {
		const kept = chosenValidators.get(id);
		return kept ? { ...recordOf(dataset), c: kept } : recordOf(dataset);
	};
	const exportValidator =
		fetched.kind === 'export'
			? keptValidator(fetched.validators)
			: fetched.kind === 'unchanged'
				? previous?.c
				: undefined;
	const stateOf = (datasets: Record<string, DatasetRecord>): WatchState =>
		exportValidator
			? { v: 1, scope: input.scope, datasets, c: exportValidator }
			: { v: 1, scope: input.scope, datasets };

	if (!previous) {
		const datasets: Record<string, DatasetRecord> = {};
		for (const [id, dataset] of present) datasets[id] = recordFor(id, dataset);
		const events =
			input.firstPollDays && input.firstPollDays > 0
				? historyEvents(present, nowMs - input.firstPollDays * DAY_MS)
				: [];
		return {
			state: stateOf(datasets),
			events: ordered(events, input.events),
			first: true,
			failures,
		};
	}

	const datasets: Record<string, DatasetRecord> = {};
	const events: WatchEvent[] = [];
	for (const [id, dataset] of present) {
		const kept = previous.datasets[id];
		if (!kept) {
			events.push({ event: 'newDataset', datasetId: id, dataset, atMs: ms(dataset.createdAt) });
			events.push(...fileEvents(id, dataset, 'newFile'));
		} else events.push(...changesOf(id, kept, dataset, nowMs));
		datasets[id] = recordFor(id, dataset);
	}
	// Answered 304: what was read last time, unchanged. The export's datasets counted missing from a
	// suspect export are missing from this one too, and are counted again below.
	if (fetched.kind === 'unchanged') {
		for (const [id, kept] of Object.entries(previous.datasets))
			if (kept.x === undefined) datasets[id] = kept;
	} else if (fetched.kind === 'chosen') {
		for (const result of fetched.results)
			if ('unchanged' in result && previous.datasets[result.id])
				datasets[result.id] = previous.datasets[result.id];
	}

	const absent = Object.keys(previous.datasets).filter(
		(id) => !present.has(id) && !(id in datasets),
	);
	let removed: string[] = [];
	let suspect: PollResult['suspect'];
	if (fetched.kind === 'chosen') {
		const gone = new Set(
			fetched.results.flatMap((result) => ('gone' in result ? [result.id] : [])),
		);
		for (const id of absent) {
			if (gone.has(id)) removed.push(id);
			// A dataset that could not be read is kept as it was; one no longer chosen is not watched.
			else if (failures.some((failure) => failure.id === id)) datasets[id] = previous.datasets[id];
		}
	} else {
		const listed = new Set(
			fetched.kind === 'export' ? fetched.all.map((dataset) => String(dataset.id)) : [],
		);
		// Still on the site but out of scope now (retagged, moved to another team): forgotten, no event.
		const missing = absent.filter((id) => !listed.has(id));
		const known = Object.keys(previous.datasets).length;
		if (missing.length >= SUSPECT_MIN_MISSING && missing.length > known * SUSPECT_SHARE) {
			suspect = { missing: missing.length, known };
			for (const id of missing) {
				const misses = (previous.datasets[id].x ?? 0) + 1;
				if (misses >= CONFIRM_MISSING_POLLS) removed.push(id);
				else datasets[id] = { ...previous.datasets[id], x: misses };
			}
		} else removed = missing;
	}
	for (const id of removed) events.push(...removalEvents(id, previous.datasets[id], nowMs));

	return {
		state: stateOf(datasets),
		events: ordered(events, input.events),
		first: false,
		suspect,
		failures,
	};
}

/** The state as stored, if it is this trigger's; anything else reads as no state (a first poll). */
export function readWatchState(stored: unknown): WatchState | undefined {
	if (!stored || typeof stored !== 'object') return undefined;
	const state = stored as Partial<WatchState>;
	if (state.v !== 1 || typeof state.scope !== 'string' || !state.datasets) return undefined;
	if (typeof state.datasets !== 'object' || Array.isArray(state.datasets)) return undefined;
	return state as WatchState;
}

/**
 * The test event: the most recent change the poll would emit against the state; without one, the most
 * recent change the datasets show, read as a first poll with Last Days would read the week before the
 * newest update in scope.
 */
export function testEvent(input: PollInput): WatchEvent | undefined {
	const result = runWatchPoll({ ...input, firstPollDays: undefined });
	const fromState = result.first ? undefined : latestEvent(result.events);
	if (fromState) return fromState;
	const present = presentDatasets(input.fetched);
	const newest = Math.max(...[...present.values()].map((dataset) => ms(dataset.updatedAt) ?? 0));
	if (!Number.isFinite(newest)) return undefined;
	return latestEvent(
		ordered(historyEvents(present, newest - TEST_WINDOW_DAYS * DAY_MS), input.events),
	);
}

/** The most recent of these events (the test event), or undefined. */
export function latestEvent(events: WatchEvent[]): WatchEvent | undefined {
	let latest: WatchEvent | undefined;
	for (const event of events)
		if (!latest || (event.atMs ?? -Infinity) >= (latest.atMs ?? -Infinity)) latest = event;
	return latest;
}
