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

test('a day left over once is paid at the narrowest slice reached when its counts are refused again', async () => {
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
	budget(10);
	const second = await pollOnce(api, first.state, cfg);
	expect(second.stats.deferredDays).toBe(0);
	expect(second.emitted.map((app) => app.postcode).sort()).toEqual(['LS4 1AZ', 'LS9 1AZ']);
	// Paid at the slices the counts reached, not the whole day of 82.
	expect(second.credits).toBeLessThan(82);
});
