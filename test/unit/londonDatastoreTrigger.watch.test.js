/**
 * The London Datastore Trigger's pure watch (nodes/LondonDatastoreTrigger/watch): records, field changes,
 * scope, one poll's diff (every event kind, first poll, last days, suspect exports, chosen datasets) and
 * the test event, on plain datasets in the shapes DataPress 4's GET and export and legacy serve.
 */
'use strict';

const {
	runWatchPoll,
	readWatchState,
	testEvent,
	historyEvents,
	CONFIRM_MISSING_POLLS,
} = require('../../nodes/LondonDatastoreTrigger/watch/diff');
const {
	recordOf,
	fieldChanges,
	metadataOf,
	storedForm,
	uploadedAtOf,
	MAX_KEPT_JSON,
} = require('../../nodes/LondonDatastoreTrigger/watch/records');
const { inScope, scopeFingerprint } = require('../../nodes/LondonDatastoreTrigger/watch/scope');
const { EVENT_KINDS } = require('../../nodes/LondonDatastoreTrigger/watch/types');

const NOW = Date.parse('2026-12-01T12:00:00Z');
const ALL = [...EVENT_KINDS];

/** A dataset as DataPress 4's export lists it. */
function exported(id, { files = {}, ...fields } = {}) {
	return {
		id,
		team: { id: 't1', title: 'Team 1' },
		title: `Dataset ${id}`,
		masthead: { id: 'gla', title: 'GLA' },
		tags: ['a'],
		topics: [{ id: 'housing', title: 'Housing' }],
		resources: Object.entries(files).map(([fileId, hash], order) => ({
			id: fileId,
			hash,
			size: 10,
			order,
			title: `${fileId}.csv`,
			format: 'csv',
			url: `https://site/download/${id}/${fileId}/${fileId}.csv`,
			timestamp: '2026-11-30T10:00:00.000Z',
		})),
		links: [],
		createdAt: '2026-01-01T00:00:00.000Z',
		updatedAt: '2026-11-30T10:00:00.000Z',
		custom: { geo: 'Borough' },
		...fields,
	};
}

const site = (datasets) => ({ kind: 'export', all: datasets, inScope: datasets });
const poll = (state, datasets, extra = {}) =>
	runWatchPoll({ state, scope: 's', fetched: site(datasets), events: ALL, nowMs: NOW, ...extra });
const kinds = (result) => result.events.map((event) => `${event.event}:${event.datasetId}`);

describe('records', () => {
	test('the export and GET shapes of one dataset read alike', () => {
		const fromExport = exported('ab12c', { files: { x1: 'h1' } });
		const fromGet = {
			...fromExport,
			team: 't1',
			masthead: 'gla',
			topics: ['housing'],
			resources: { x1: { ...fromExport.resources[0], id: undefined } },
			links: {},
		};
		delete fromGet.resources.x1.id;
		expect(recordOf(fromGet)).toEqual(recordOf(fromExport));
	});

	test('long values keep a digest; changes name the field with old and new values', () => {
		const long = 'x'.repeat(MAX_KEPT_JSON + 1);
		expect(storedForm('short')).toBe('"short"');
		expect(storedForm(long)).toMatch(/^#[0-9a-f]{12}$/);
		const before = recordOf(exported('ab12c', { description: long }));
		const after = exported('ab12c', {
			description: `${long}!`,
			title: 'New title',
			custom: { geo: 'Ward', added: 'yes' },
		});
		expect(fieldChanges(before, after)).toEqual([
			{ field: 'custom.added', old: null, new: 'yes' },
			{ field: 'custom.geo', old: 'Borough', new: 'Ward' },
			{ field: 'description', new: `${long}!`, oldNotKept: true },
			{ field: 'title', old: 'Dataset ab12c', new: 'New title' },
		]);
	});

	test('link checks the export adds do not count as metadata', () => {
		const a = exported('ab12c', { links: [{ id: 'l', url: 'u', title: 't', httpStatus: 200 }] });
		const b = exported('ab12c', { links: [{ id: 'l', url: 'u', title: 't', httpStatus: 500 }] });
		expect(fieldChanges(recordOf(a), b)).toEqual([]);
		expect(metadataOf(a).links).toEqual([{ id: 'l', url: 'u', title: 't' }]);
	});

	test('upload time: the export timestamp, the storage key, legacy check_timestamp', () => {
		expect(uploadedAtOf({ timestamp: '2026-01-02T03:04:05.000Z' })).toBe(
			'2026-01-02T03:04:05.000Z',
		);
		expect(uploadedAtOf({ origin: 'london/dataset/ab12c/2026-05-20T15:35:36/f.csv' })).toBe(
			'2026-05-20T15:35:36.000Z',
		);
		expect(uploadedAtOf({ check_timestamp: '2026-02-01T00:00:00Z' })).toBe(
			'2026-02-01T00:00:00.000Z',
		);
		expect(uploadedAtOf({})).toBeNull();
	});

	test('legacy datasets: check_hash is the hash, parent the team', () => {
		const legacy = {
			id: 'uuid-1',
			slug: 'my-data',
			parent: 'team-uuid',
			title: 'T',
			resources: { r1: { check_hash: 'abc', order: 0 } },
			updatedAt: '2026-01-01T00:00:00Z',
		};
		expect(recordOf(legacy)).toMatchObject({ f: { r1: 'abc' }, m: { parent: '"team-uuid"' } });
	});
});

describe('a poll', () => {
	test('the first poll learns and emits nothing; the state is bounded to ids, dates, hashes and short fields', () => {
		const result = poll(undefined, [exported('aaaaa', { files: { f1: 'h1' } })]);
		expect(result.first).toBe(true);
		expect(result.events).toEqual([]);
		expect(result.state.datasets.aaaaa).toEqual({
			u: '2026-11-30T10:00:00.000Z',
			f: { f1: 'h1' },
			m: expect.any(Object),
		});
		expect(readWatchState(JSON.parse(JSON.stringify(result.state)))).toEqual(result.state);
	});

	test('every event kind, once; the same export again emits nothing', () => {
		const before = [
			exported('aaaaa', { files: { f1: 'h1', f2: 'h2', f3: 'h3' } }),
			exported('bbbbb'),
			exported('ccccc', { files: { g1: 'k1' } }),
		];
		const { state } = poll(undefined, before);
		const after = [
			exported('aaaaa', {
				files: { f1: 'h1-new', f2: 'h2', f4: 'h4' },
				updatedAt: '2026-12-01T11:00:00.000Z',
			}),
			exported('bbbbb', { tags: ['a', 'b'] }),
			exported('ddddd', { files: { n1: 'm1' }, createdAt: '2026-12-01T11:30:00.000Z' }),
		];
		const result = poll(state, after);
		expect(kinds(result).sort()).toEqual(
			[
				'datasetRemoved:ccccc',
				'datasetUpdated:bbbbb',
				'fileChanged:aaaaa',
				'fileRemoved:aaaaa',
				'fileRemoved:ccccc',
				'newDataset:ddddd',
				'newFile:aaaaa',
				'newFile:ddddd',
			].sort(),
		);
		const changed = result.events.find((event) => event.event === 'fileChanged');
		expect(changed.file).toMatchObject({ id: 'f1', hash: 'h1-new', previousHash: 'h1' });
		const updated = result.events.find((event) => event.event === 'datasetUpdated');
		expect(updated.changes).toEqual([{ field: 'tags', old: ['a'], new: ['a', 'b'] }]);
		const removed = result.events.find((event) => event.event === 'datasetRemoved');
		expect(removed.dataset).toEqual({
			id: 'ccccc',
			title: 'Dataset ccccc',
			updatedAt: '2026-11-30T10:00:00.000Z',
		});
		expect(poll(result.state, after).events).toEqual([]);
		// Run twice from the same state, the same events: the state given is not changed.
		expect(kinds(poll(state, after))).toEqual(kinds(result));
	});

	test('only the chosen events are emitted; the others still move the state', () => {
		const { state } = poll(undefined, [exported('aaaaa', { files: { f1: 'h1' } })]);
		const after = [exported('aaaaa', { files: { f1: 'h2' }, title: 'Renamed' })];
		const result = poll(state, after, { events: ['datasetUpdated'] });
		expect(kinds(result)).toEqual(['datasetUpdated:aaaaa']);
		expect(poll(result.state, after, { events: ALL }).events).toEqual([]);
	});

	test('the page date moved alone: Dataset Updated naming updatedAt', () => {
		const { state } = poll(undefined, [exported('aaaaa')]);
		const result = poll(state, [exported('aaaaa', { updatedAt: '2026-12-01T00:00:00.000Z' })]);
		expect(result.events[0].changes).toEqual([
			{ field: 'updatedAt', old: '2026-11-30T10:00:00.000Z', new: '2026-12-01T00:00:00.000Z' },
		]);
	});

	test('a dataset that left the scope but is still listed is forgotten without an event', () => {
		const a = exported('aaaaa');
		const { state } = poll(undefined, [a]);
		const retagged = { ...a, tags: ['other'] };
		const result = runWatchPoll({
			state,
			scope: 's',
			fetched: { kind: 'export', all: [retagged], inScope: [] },
			events: ALL,
			nowMs: NOW,
		});
		expect(result.events).toEqual([]);
		expect(result.state.datasets).toEqual({});
	});

	test('a partial export is suspect: nothing taken as removed until missing for several polls', () => {
		const many = Array.from({ length: 20 }, (_, index) =>
			exported(`d${String(index).padStart(4, '0')}`),
		);
		let { state } = poll(undefined, many);
		const partial = many.slice(0, 5);
		for (let round = 1; round < CONFIRM_MISSING_POLLS; round++) {
			const result = poll(state, partial);
			expect(result.suspect).toEqual({ missing: 15, known: 20 });
			expect(result.events).toEqual([]);
			expect(Object.keys(result.state.datasets)).toHaveLength(20);
			state = result.state;
		}
		// Back whole: nothing happened.
		const whole = poll(state, many);
		expect(whole.events).toEqual([]);
		expect(Object.values(whole.state.datasets).every((record) => record.x === undefined)).toBe(
			true,
		);
		// Missing poll after poll: then they are removed, once.
		for (let round = 1; round <= CONFIRM_MISSING_POLLS; round++) ({ state } = poll(state, partial));
		expect(Object.keys(state.datasets)).toHaveLength(5);
		// Two missing of twenty is no partial answer: removed at once.
		const small = poll(poll(undefined, many).state, many.slice(2));
		expect(small.suspect).toBeUndefined();
		expect(kinds(small)).toEqual(['datasetRemoved:d0000', 'datasetRemoved:d0001']);
	});

	test('a 304 is the export the state was learned from, read again: suspect counts go on as they would', () => {
		const many = Array.from({ length: 20 }, (_, index) =>
			exported(`d${String(index).padStart(4, '0')}`),
		);
		const withTag = (datasets, etag) => ({ ...site(datasets), validators: { etag } });
		const unchanged = (state) =>
			runWatchPoll({ state, scope: 's', fetched: { kind: 'unchanged' }, events: ALL, nowMs: NOW });
		const learned = poll(undefined, [], { fetched: withTag(many, '"whole"') }).state;
		expect(learned.c).toEqual({ e: '"whole"' });
		const same = unchanged(learned);
		expect(same.events).toEqual([]);
		expect(same.state).toEqual(learned);

		// After a partial export, each 304 is that partial export again, up to the removal.
		let state = poll(learned, [], { fetched: withTag(many.slice(0, 5), '"partial"') }).state;
		for (let round = 2; round <= CONFIRM_MISSING_POLLS; round++) {
			const again = poll(state, [], { fetched: withTag(many.slice(0, 5), '"partial"') });
			const notModified = unchanged(state);
			expect(notModified.state).toEqual(again.state);
			expect(kinds(notModified)).toEqual(kinds(again));
			expect(notModified.suspect).toEqual(again.suspect);
			state = notModified.state;
		}
		expect(Object.keys(state.datasets)).toHaveLength(5);
		expect(state.c).toEqual({ e: '"partial"' });

		// A 304 can only answer a read conditional on a state of this scope.
		expect(() => unchanged(undefined)).toThrow(/not conditional/);
		// An export without validators keeps none; a Last-Modified is kept as `l`.
		expect(poll(learned, many).state).not.toHaveProperty('c');
		const dated = poll(learned, [], {
			fetched: { ...site(many), validators: { lastModified: 'Mon, 07 Dec 2026 12:00:00 GMT' } },
		});
		expect(dated.state.c).toEqual({ l: 'Mon, 07 Dec 2026 12:00:00 GMT' });
	});

	test('chosen datasets: each record keeps its own validator; a 304 keeps the record as it was', () => {
		const chosen = (results) => ({ kind: 'chosen', results });
		const first = runWatchPoll({
			state: undefined,
			scope: 's',
			fetched: chosen([
				{ id: 'a', dataset: exported('a'), validators: { etag: '"a1"' } },
				{ id: 'b', dataset: exported('b') },
			]),
			events: ALL,
			nowMs: NOW,
		}).state;
		expect(first.datasets.a.c).toEqual({ e: '"a1"' });
		expect(first.datasets.b).not.toHaveProperty('c');
		const next = runWatchPoll({
			state: first,
			scope: 's',
			fetched: chosen([
				{ id: 'a', unchanged: true },
				{ id: 'b', dataset: exported('b', { title: 'B' }), validators: { etag: '"b1"' } },
			]),
			events: ALL,
			nowMs: NOW,
		});
		expect(kinds(next)).toEqual(['datasetUpdated:b']);
		expect(next.state.datasets.a).toEqual(first.datasets.a);
		expect(next.state.datasets.b.c).toEqual({ e: '"b1"' });
	});

	test('another scope starts again, silently', () => {
		const { state } = poll(undefined, [exported('aaaaa')]);
		const result = runWatchPoll({
			state,
			scope: 'other',
			fetched: site([exported('aaaaa'), exported('bbbbb')]),
			events: ALL,
			nowMs: NOW,
		});
		expect(result.first).toBe(true);
		expect(result.events).toEqual([]);
	});

	test('first poll with Last Days: what the datasets show changed in the window', () => {
		const datasets = [
			exported('old00', { files: { f: 'h' }, updatedAt: '2026-01-01T00:00:00.000Z' }),
			exported('new00', { files: { f: 'h' }, createdAt: '2026-11-30T09:00:00.000Z' }),
			exported('edit0', { updatedAt: '2026-11-29T00:00:00.000Z', resources: [] }),
		];
		datasets[0].resources[0].timestamp = '2026-01-01T00:00:00.000Z';
		const result = poll(undefined, datasets, { firstPollDays: 7 });
		expect(kinds(result)).toEqual(['datasetUpdated:edit0', 'newDataset:new00', 'newFile:new00']);
		expect(historyEvents(new Map(datasets.map((d) => [d.id, d])), NOW + 1)).toEqual([]);
	});

	test('chosen datasets: 404 is a removal, a failure keeps the dataset as it was', () => {
		const chosen = (results) => ({ kind: 'chosen', results });
		const first = runWatchPoll({
			state: undefined,
			scope: 'c',
			fetched: chosen([
				{ id: 'my-slug', dataset: exported('uuid-1', { files: { f: 'h' } }) },
				{ id: 'bbbbb', dataset: exported('bbbbb') },
			]),
			events: ALL,
			nowMs: NOW,
		});
		expect(Object.keys(first.state.datasets).sort()).toEqual(['bbbbb', 'my-slug']);
		const failure = new Error('503');
		const next = runWatchPoll({
			state: first.state,
			scope: 'c',
			fetched: chosen([
				{ id: 'my-slug', failure },
				{ id: 'bbbbb', gone: true },
			]),
			events: ALL,
			nowMs: NOW,
		});
		expect(kinds(next)).toEqual(['datasetRemoved:bbbbb']);
		expect(next.failures).toEqual([{ id: 'my-slug', failure }]);
		expect(next.state.datasets['my-slug']).toEqual(first.state.datasets['my-slug']);
	});

	test('the test event: the newest change against the state, else the newest the datasets show', () => {
		const datasets = [
			exported('aaaaa', { files: { f1: 'h1' }, updatedAt: '2026-11-18T00:00:00.000Z' }),
			exported('bbbbb', { updatedAt: '2026-11-20T00:00:00.000Z' }),
		];
		datasets[0].resources[0].timestamp = '2026-11-18T00:00:00.000Z';
		const input = {
			state: undefined,
			scope: 's',
			fetched: site(datasets),
			events: ALL,
			nowMs: NOW,
		};
		expect(testEvent(input)).toMatchObject({ event: 'datasetUpdated', datasetId: 'bbbbb' });
		expect(testEvent({ ...input, events: ['fileChanged'] })).toMatchObject({
			event: 'fileChanged',
			datasetId: 'aaaaa',
		});
		const { state } = poll(undefined, datasets);
		const changed = [exported('aaaaa', { files: { f1: 'h9' } }), datasets[1]];
		expect(testEvent({ ...input, state, fetched: site(changed) })).toMatchObject({
			event: 'fileChanged',
			file: { previousHash: 'h1', hash: 'h9' },
		});
		expect(testEvent({ ...input, events: ['datasetRemoved'] })).toBeUndefined();
	});
});

describe('scope', () => {
	const dataset = exported('ab12c', {
		title: 'Age specific fertility rates',
		tags: ['Births'],
		description: '<p>By borough</p>',
	});
	test.each([
		[{ kind: 'site' }, true],
		[{ kind: 'team', team: 't1' }, true],
		[{ kind: 'team', team: 't2' }, false],
		[{ kind: 'topic', topic: 'HOUSING' }, true],
		[{ kind: 'topic', topic: 'Housing' }, true],
		[{ kind: 'topic', topic: 'transport' }, false],
		[{ kind: 'tag', tag: 'births' }, true],
		[{ kind: 'tag', tag: 'birth' }, false],
		[{ kind: 'text', text: 'fertility borough' }, true],
		[{ kind: 'text', text: 'fertility housing' }, false],
	])('%j matches: %s', (scope, expected) => {
		expect(inScope(scope, dataset)).toBe(expected);
	});

	test('the fingerprint names the site and ignores the order of chosen datasets', () => {
		expect(scopeFingerprint({ kind: 'datasets', ids: ['b', 'a'] }, 'https://x')).toBe(
			scopeFingerprint({ kind: 'datasets', ids: ['a', 'b', 'a'] }, 'https://x'),
		);
		expect(scopeFingerprint({ kind: 'site' }, 'https://x')).not.toBe(
			scopeFingerprint({ kind: 'site' }, 'https://y'),
		);
	});
});
