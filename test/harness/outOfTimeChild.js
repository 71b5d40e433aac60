/**
 * Runs in a child process with no `uncaughtException` or `unhandledRejection` handler (the test that
 * spawns it checks that it exits cleanly): polls whose budget runs out in the middle of a day's search,
 * at every point of it. Each count answers on a later turn of the event loop, as a real request does, so
 * that a rejected promise left without a handler while the search awaits other counts is seen by Node.
 * The planner is bundled to a file of its own (argv[2]) so that parallel test runs do not share it.
 */
'use strict';

const path = require('node:path');
const esbuild = require('esbuild');

const outfile = process.argv[2];
esbuild.buildSync({
	entryPoints: [path.join(__dirname, '../../nodes/UkPlanningTrigger/planner/poll.ts')],
	bundle: true,
	platform: 'node',
	format: 'cjs',
	target: 'node20',
	outfile,
	logLevel: 'silent',
});
const { planPoll } = require(outfile);
const { searchModel } = require('./searchModel');

const TODAY = '2026-11-20';
/** One authority's day spread over many postcode areas, districts and sectors. */
function seeded() {
	const api = searchModel({ today: TODAY, lpaIds: ['1'] });
	const areas = ['AB', 'BA', 'CB', 'DA', 'EC', 'FY', 'GL', 'HA', 'IG', 'KT', 'LS', 'ME'];
	let n = 0;
	for (const area of areas)
		for (let district = 1; district <= 3; district++)
			for (let unit = 0; unit < 3; unit++)
				api.add([
					{
						validated: TODAY,
						postcode: `${area}${district} ${unit}A${'BDEFG'[n++ % 5]}`,
						address: `${n} High Street`,
					},
				]);
	return api;
}

const later = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
	const cfg = {
		base: { lpa_id: '1' },
		lookbackDays: 5,
		backfillDays: 0,
		maxCredits: 1000,
		backlogOrder: 'newestFirst',
		fingerprint: 'child',
		reserveMs: 1000,
	};
	let deferred = 0;
	let delivered = 0;
	for (let countsAllowed = 1; countsAllowed <= 240; countsAllowed++) {
		const api = seeded();
		const activated = await planPoll(undefined, cfg, api);
		// New applications beside seen ones in several areas: the search narrows into each.
		for (const area of ['AB', 'GL', 'LS', 'ME', 'KT'])
			api.add([{ validated: TODAY, postcode: `${area}2 1AZ`, address: '1 New Road' }]);
		let counts = 0;
		const count = api.count.bind(api);
		api.count = async (query) => {
			await later();
			counts++;
			return await count(query);
		};
		// The budget runs out after `countsAllowed` counts: somewhere inside the search.
		api.timeLeftMs = () => (counts < countsAllowed ? 60000 : 0);
		const result = await planPoll(activated.state, cfg, api);
		deferred += result.stats.deferredDays;
		delivered += result.emitted.length;
		await later();
	}
	process.stdout.write(`${JSON.stringify({ polls: 240, deferred, delivered })}\n`);
}

main().then(
	() => undefined,
	(error) => {
		process.stdout.write(`failed: ${error.stack}\n`);
		process.exitCode = 1;
	},
);
