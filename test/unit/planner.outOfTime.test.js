/**
 * A poll whose budget runs out in the middle of a day's search must not leave a rejected promise
 * without a handler: in a plain Node process that ends the process, and n8n logs it as an uncaught
 * exception. The polls run in a child process with no `uncaughtException` or `unhandledRejection`
 * handler and Node's default `--unhandled-rejections=throw` (test/harness/outOfTimeChild.js).
 */
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

test('a poll out of time mid-search ends cleanly in a process without handlers', async () => {
	const bundle = path.join(os.tmpdir(), `planner-out-of-time-${process.pid}-${Date.now()}.js`);
	const env = { ...process.env };
	delete env.NODE_OPTIONS;
	const outcome = await new Promise((resolve) => {
		execFile(
			process.execPath,
			[path.join(__dirname, '../harness/outOfTimeChild.js'), bundle],
			{ env, timeout: 0 },
			(error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
		);
	});
	fs.rmSync(bundle, { force: true });
	expect(outcome.stderr).toBe('');
	expect(outcome.code).toBe(0);
	const summary = JSON.parse(outcome.stdout.trim());
	// The budget ran out inside the search in most polls, and the polls given enough of it delivered.
	expect(summary.deferred).toBeGreaterThan(100);
	expect(summary.delivered).toBeGreaterThan(0);
});

test('a day whose search is cut short resumes where it stopped in the next polls, and pays only narrow slices', async () => {
	const { searchModel } = require('../harness/searchModel');
	const { plannerConfig, pollOnce } = require('../harness/plannerRuns');
	const api = searchModel({ lpaIds: ['1', '2', '3', '4'] });
	for (const lpa of ['1', '2', '3', '4'])
		for (let i = 0; i < 20; i++)
			api.add([{ lpa_id: lpa, validated: api.today, postcode: `LS${i + 1} 1A${'BDEFG'[i % 5]}` }]);
	const cfg = plannerConfig({ reserveMs: 1000 });
	const activated = await pollOnce(api, undefined, cfg);
	api.add([
		{ lpa_id: '3', validated: api.today, postcode: 'LS4 1AZ' },
		{ lpa_id: '4', validated: api.today, postcode: 'LS9 1AZ' },
	]);
	// As the node's binding: a count does not start once the budget is down to the reserve, which
	// happens here after a few counts of each poll.
	let counts = 0;
	const count = api.count.bind(api);
	api.count = async (query) => {
		if (api.timeLeftMs() < cfg.reserveMs) throw new Error('not started: the reserve');
		counts++;
		return await count(query);
	};
	const budget = (allowed) => {
		counts = 0;
		api.timeLeftMs = () => (counts < allowed ? 60000 : 0);
	};
	budget(10);
	const first = await pollOnce(api, activated.state, cfg);
	expect(first.stats.deferredDays).toBe(1);
	expect(first.emitted).toEqual([]);
	expect(first.stats.failures).toBe(0);
	// Where it stopped waits in the day's pending slices, narrower than the day.
	const left = first.state.days[api.today].pending.slices.filter((pending) => pending.narrow);
	expect(left.length).toBeGreaterThan(0);
	for (const { slice } of left) expect(slice.lpas?.length ?? 0).toBeLessThan(4);
	// Ten counts a poll are too few to search the day from its top: resumed, or paid at the narrowest
	// slices reached once it has waited long enough.
	let state = first.state;
	const emitted = [];
	let credits = 0;
	let polls = 0;
	while (emitted.length < 2 && polls < 10) {
		budget(10);
		const next = await pollOnce(api, state, cfg);
		emitted.push(...next.emitted.map((app) => app.postcode));
		credits += next.credits;
		state = next.state;
		polls++;
	}
	expect(emitted.sort()).toEqual(['LS4 1AZ', 'LS9 1AZ']);
	// A day left over three polls in a row pays its slices that cannot finish whole: never the whole
	// day of 82, at most the two authorities' slices of 21.
	expect(polls).toBeLessThanOrEqual(4);
	expect(credits).toBeLessThanOrEqual(42);
	budget(10);
	const after = await pollOnce(api, state, cfg);
	expect(after.emitted).toEqual([]);
});
