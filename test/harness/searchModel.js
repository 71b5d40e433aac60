/**
 * An in-memory model of the Planning API's /search for the planner's unit tests: the same filter
 * semantics as the API facts (dates inclusive, authority lists, postcode start and exact, address
 * contains), one credit per application fetched, answers in ascending validated date then keyval. It is
 * the planner's plain `PlannerApi` interface, not a mock of HTTP. Applications are hidden until they are
 * published: `published: false`, or a `pub` time still ahead of `clock.now` when a clock is given.
 */
'use strict';

const { apiOrder } = require('../../sandbox/planning');

/** Whether an application matches a /search query, by the API's filter semantics. */
function matchesQuery(app, q, { stripSpaces = false } = {}) {
	const squash = (value) => (stripSpaces ? value.replace(/ /g, '') : value);
	if (q.date_from && app.validated < q.date_from) return false;
	if (q.date_to && app.validated > q.date_to) return false;
	if (q.lpa_id && !q.lpa_id.split(',').includes(app.lpa_id)) return false;
	const postcode = (app.postcode || '').toUpperCase();
	if (q.postcode_start && !squash(postcode).startsWith(squash(q.postcode_start.toUpperCase())))
		return false;
	if (q.postcode_exact && postcode !== q.postcode_exact.toUpperCase()) return false;
	if (q.address && !(app.address || '').toLowerCase().includes(q.address.toLowerCase()))
		return false;
	return true;
}

function searchModel({
	apps = [],
	lpaIds = ['1', '2', '3', '4'],
	today = '2026-11-20',
	clock,
	stripSpaces = false,
} = {}) {
	const log = [];
	let failNext = null;
	let seq = 0;
	const visible = (app) =>
		app.published !== false && (!clock || app.pub === undefined || app.pub <= clock.now);
	const matches = (app, q) => visible(app) && matchesQuery(app, q, { stripSpaces });
	// By validated day, so that a national feed's counts read only the days they ask for; rebuilt when
	// applications were added.
	let index = { size: -1, days: [], byDay: new Map() };
	const candidates = (q) => {
		if (index.size !== apps.length) {
			const byDay = new Map();
			for (const app of apps) {
				if (!byDay.has(app.validated)) byDay.set(app.validated, []);
				byDay.get(app.validated).push(app);
			}
			index = { size: apps.length, days: [...byDay.keys()].sort(), byDay };
		}
		// The query's filters read once (matchesQuery's semantics), not once per application.
		const lpas = q.lpa_id ? new Set(q.lpa_id.split(',')) : undefined;
		const others = q.postcode_start || q.postcode_exact || q.address;
		const out = [];
		for (const day of index.days) {
			if ((q.date_from && day < q.date_from) || (q.date_to && day > q.date_to)) continue;
			for (const app of index.byDay.get(day)) {
				if (lpas && !lpas.has(app.lpa_id)) continue;
				if (!visible(app)) continue;
				if (others && !matchesQuery(app, q, { stripSpaces })) continue;
				out.push(app);
			}
		}
		return out;
	};
	const serverDateTime = () =>
		clock
			? new Date(clock.now).toISOString().replace('T', ' ').slice(0, 19)
			: `${api.today} 12:00:00`;
	const failing = (kind) => failNext && failNext.kind === kind && failNext.times-- > 0;
	const api = {
		today,
		log,
		apps,
		credits: 0,
		/** Adds applications, published unless they say otherwise, with keyvals K1, K2, ... */
		add(list) {
			for (const app of list)
				apps.push({ keyval: `K${++seq}`, published: true, lpa_id: '1', postcode: null, ...app });
		},
		/** The next `times` requests of `kind` ('count' or 'fetch') fail as an HTTP 503 would. */
		failOn(kind, times = 1) {
			failNext = { kind, times };
		},
		async count(q) {
			log.push({ kind: 'count', q });
			if (failing('count')) throw new Error('HTTP 503');
			return {
				count: candidates(q).length,
				serverDateTime: serverDateTime(),
			};
		},
		async fetch(q) {
			log.push({ kind: 'fetch', q });
			if (failing('fetch')) throw new Error('HTTP 503');
			const found = candidates(q).sort(apiOrder);
			api.credits += found.length;
			return {
				applications: found.map((app) => ({ ...app })),
				consumed: found.length,
				serverDateTime: serverDateTime(),
			};
		},
		async lpaIds() {
			return lpaIds;
		},
		timeLeftMs: () => 60000,
	};
	return api;
}

module.exports = { searchModel, matchesQuery };
