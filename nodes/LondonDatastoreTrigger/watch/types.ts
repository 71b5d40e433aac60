/** The plain types of the London Datastore Trigger's watch: events, state, one poll's input and result. */
import type { Validators } from '../../shared/http';

export type Json = Record<string, unknown>;

export const EVENT_KINDS = [
	'newDataset',
	'datasetUpdated',
	'newFile',
	'fileChanged',
	'fileRemoved',
	'datasetRemoved',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** A metadata field that changed: its name (`custom.<name>` for site-defined fields), old and new value. */
export interface FieldChange {
	field: string;
	old?: unknown;
	new: unknown;
	/** The old value was too long to keep in the state (only its digest was kept). */
	oldNotKept?: true;
}

export interface FileFacts {
	id: string;
	title: string | null;
	format: string | null;
	size: number | null;
	hash: string | null;
	previousHash: string | null;
	url: string | null;
	/** When the file's current bytes were uploaded, when the site says (export `timestamp`, storage key). */
	uploadedAt: string | null;
}

export interface WatchEvent {
	event: EventKind;
	datasetId: string;
	/** The dataset as the site served it in this poll; for a removed dataset what the state kept. */
	dataset: Json;
	changes?: FieldChange[];
	file?: FileFacts;
	/** Epoch ms the change happened, when known (used to order events and pick the test event). */
	atMs: number | null;
}

/** The validator of the answer a state was learned from, sent back in a conditional read: `e` an ETag, `l` a Last-Modified date. */
export interface KeptValidator {
	e?: string;
	l?: string;
}

/**
 * What is kept per dataset: `u` its `updatedAt`, `f` each file's hash by file id, `m` each metadata field
 * in stored form (its JSON when short, else `#` and a digest; null fields left out), `x` the polls in a
 * row it was missing from a suspect export, `c` (Chosen Datasets) the validator of its last read.
 */
export interface DatasetRecord {
	u: string | null;
	f: Record<string, string>;
	m: Record<string, string>;
	x?: number;
	c?: KeptValidator;
}

export interface WatchState {
	v: 1;
	/** The scope the records were learned for: another scope starts again. */
	scope: string;
	datasets: Record<string, DatasetRecord>;
	/** The validator of the export the records were learned from, when it carried one. */
	c?: KeptValidator;
}

/** One dataset's fetch in Chosen Datasets mode; `unchanged`: a conditional read answered 304. */
export type ChosenResult =
	| { id: string; dataset: Json; validators?: Validators }
	| { id: string; gone: true }
	| { id: string; unchanged: true }
	| { id: string; failure: unknown };
