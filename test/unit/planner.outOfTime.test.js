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
