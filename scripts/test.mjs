// `npm test`: installs the project's own dependencies when missing, builds, lints, checks the formatting
// (prettier), runs n8n's scanner rules on the packed tarball (scripts/scan.mjs), installs what the
// end-to-end suites of this run need (each n8n line, Node.js 24, PostgreSQL and Redis), one after the other
// before jest starts its workers, then runs every test with jest. jest runs last so that the output ends with
// its summary.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

import { ensureDependencies, repoRoot } from './lib/ensure-deps.mjs';

const require = createRequire(import.meta.url);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const jest = path.join(repoRoot, 'node_modules', '.bin', 'jest');
const jestArgs = process.argv.slice(2);

/**
 * Installs before the workers start what the e2e suites would otherwise install from inside them: two suites
 * starting at once on an empty cache would both wait minutes there (the installer lets one build at a time).
 */
async function installForEndToEnd() {
	const e2eFolder = `${path.sep}test${path.sep}e2e${path.sep}`;
	const suites = execFileSync(jest, ['--listTests', ...jestArgs], {
		cwd: repoRoot,
		encoding: 'utf8',
	})
		.split('\n')
		.filter((file) => file.includes(e2eFolder));
	if (!suites.length) return;
	const { singleProcessLines, QUEUE_LINE } = require('../test/e2e/lines.js');
	const queueSuites = suites.filter((file) => path.basename(file).startsWith('queue.'));
	const lines = new Set(suites.length > queueSuites.length ? singleProcessLines() : []);
	if (queueSuites.length) lines.add(QUEUE_LINE);
	const { ensureN8n } = await import('./install-n8n.mjs');
	for (const line of lines) {
		const installed = ensureN8n({ line });
		console.log(`test: n8n ${installed.version} ready (${installed.folder})`);
	}
	if (queueSuites.length) {
		const { ensureServices } = require('./lib/queue-mode.cjs');
		const { versions } = ensureServices({ say: (message) => console.log(`test: ${message}`) });
		console.log(`test: ${versions.postgres}; ${versions.redis}`);
	}
}

ensureDependencies('test');
try {
	run(npm, ['run', '--silent', 'build']);
	run(npm, ['run', '--silent', 'lint']);
	run(npm, ['run', '--silent', 'format:check']);
	run(npm, ['run', '--silent', 'scan']);
	await installForEndToEnd();
	run(jest, jestArgs);
} catch (error) {
	if (typeof error.status !== 'number') console.error(error.message);
	process.exit(typeof error.status === 'number' ? error.status : 1);
}
