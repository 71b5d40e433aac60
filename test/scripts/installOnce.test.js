/**
 * The cache installers (scripts/install-n8n.mjs builds Node.js 24 and each n8n through
 * scripts/lib/install-once.mjs) run as real, separate processes against an empty cache folder: two at once
 * build once, and what a killed install leaves is built again, never used. The installed thing is a small
 * stand-in package (test/fixtures/installOnceChild.mjs), because the locking is what is under test.
 */
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CHILD = path.join(__dirname, '..', 'fixtures', 'installOnceChild.mjs');

let workFolder;
let cacheFolder;
let tarball;

beforeEach(() => {
	workFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'install-once-test-'));
	cacheFolder = path.join(workFolder, 'cache');
	const standIn = path.join(workFolder, 'stand-in');
	fs.mkdirSync(standIn);
	fs.writeFileSync(
		path.join(standIn, 'package.json'),
		JSON.stringify({ name: 'stand-in', version: '1.0.0', main: 'index.js' }),
	);
	fs.writeFileSync(path.join(standIn, 'index.js'), "module.exports = 'stand-in';\n");
	const packed = execFileSync('npm', ['pack', '--silent', standIn], {
		cwd: workFolder,
		encoding: 'utf8',
	});
	tarball = path.join(workFolder, packed.trim().split('\n').pop());
});

afterEach(() => {
	fs.rmSync(workFolder, { recursive: true, force: true });
});

/** Starts one installer process; `done` resolves with its exit code, signal, stdout and stderr. */
function startInstaller(folder, mode) {
	const child = spawn(process.execPath, [CHILD, folder, workFolder, tarball, mode ?? ''], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const result = { pid: child.pid, stdout: '', stderr: '' };
	child.stdout.on('data', (chunk) => (result.stdout += chunk));
	child.stderr.on('data', (chunk) => (result.stderr += chunk));
	result.done = new Promise((resolve) =>
		child.on('close', (code, signal) => resolve({ ...result, code, signal })),
	);
	return result;
}

async function until(condition) {
	while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

function builds() {
	const log = path.join(workFolder, 'builds.log');
	return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** What the cache folder holds besides the installed folder: locks, drafts, staging folders. */
function leftovers(folderName) {
	return fs.readdirSync(cacheFolder).filter((entry) => entry !== folderName);
}

function expectInstalled(folder) {
	expect(fs.readFileSync(path.join(folder, '.complete'), 'utf8')).toBe('stand-in 1.0.0\n');
	expect(require(path.join(folder, 'node_modules', 'stand-in'))).toBe('stand-in');
}

test('two installers at once on an empty cache: both succeed, one builds, the other waits for it', async () => {
	const folder = path.join(cacheFolder, 'stand-in-1.0.0');
	const first = startInstaller(folder, 'hold');
	const second = startInstaller(folder, 'hold');
	// Whichever took the lock holds it until the other one says it is waiting for that process.
	await until(() => /waiting for process \d+/.test(first.stderr + second.stderr));
	const [builder, waiter] = /waiting/.test(second.stderr) ? [first, second] : [second, first];
	expect(waiter.stderr).toContain(`waiting for process ${builder.pid} on ${os.hostname()}`);
	expect(builds()).toEqual([String(builder.pid)]);
	expect(fs.existsSync(path.join(folder, '.complete'))).toBe(false);
	fs.writeFileSync(path.join(workFolder, 'release'), '');

	const results = await Promise.all([first.done, second.done]);
	for (const result of results) {
		expect(result).toMatchObject({ code: 0, stdout: 'installed\n' });
	}
	expect(builds()).toEqual([String(builder.pid)]);
	expectInstalled(folder);
	expect(leftovers('stand-in-1.0.0')).toEqual([]);
});

test('an install killed midway leaves its lock and staging folder; the next installer redoes it', async () => {
	const folder = path.join(cacheFolder, 'stand-in-1.0.0');
	const killed = await startInstaller(folder, 'die-midway').done;
	expect(killed.signal).toBe('SIGKILL');
	expect(fs.existsSync(folder)).toBe(false);
	expect(leftovers('stand-in-1.0.0').sort()).toEqual([
		'stand-in-1.0.0.lock',
		`stand-in-1.0.0.partial-${killed.pid}`,
	]);

	const next = await startInstaller(folder).done;
	expect(next).toMatchObject({ code: 0, stdout: 'installed\n' });
	expect(next.stderr).toContain(`(process ${killed.pid}) stopped midway: starting over`);
	expect(builds()).toEqual([String(killed.pid), String(next.pid)]);
	expectInstalled(folder);
	expect(leftovers('stand-in-1.0.0')).toEqual([]);
});

test('a folder without its marker (an install done in place and cut short) is removed and built again', async () => {
	const folder = path.join(cacheFolder, 'stand-in-1.0.0');
	fs.mkdirSync(path.join(folder, 'node_modules'), { recursive: true });
	fs.writeFileSync(path.join(folder, 'node_modules', 'half-written.js'), '');

	const result = await startInstaller(folder).done;
	expect(result).toMatchObject({ code: 0, stdout: 'installed\n' });
	expect(result.stderr).toContain('holds an unfinished install of the stand-in package');
	expect(builds()).toHaveLength(1);
	expectInstalled(folder);
	expect(fs.existsSync(path.join(folder, 'node_modules', 'half-written.js'))).toBe(false);
});

test('a complete folder is used as it is: no lock taken, nothing built', async () => {
	const folder = path.join(cacheFolder, 'stand-in-1.0.0');
	expect((await startInstaller(folder).done).code).toBe(0);
	const again = await startInstaller(folder).done;
	expect(again).toMatchObject({ code: 0, stderr: '' });
	expect(builds()).toHaveLength(1);
});
