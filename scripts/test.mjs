// `npm test`: installs the project's own dependencies when missing, builds, lints, checks the formatting
// (prettier), runs n8n's scanner rules on the packed tarball (scripts/scan.mjs), then runs every test with jest. jest runs last so that
// the output ends with its summary.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { ensureDependencies, repoRoot } from './lib/ensure-deps.mjs';

const run = (cmd, args) => execFileSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

ensureDependencies('test');
try {
	run(npm, ['run', '--silent', 'build']);
	run(npm, ['run', '--silent', 'lint']);
	run(npm, ['run', '--silent', 'format:check']);
	run(npm, ['run', '--silent', 'scan']);
	run(path.join(repoRoot, 'node_modules', '.bin', 'jest'), process.argv.slice(2));
} catch (error) {
	process.exit(typeof error.status === 'number' ? error.status : 1);
}
