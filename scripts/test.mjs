// `npm test`: installs the project's own dependencies when missing, builds, lints, then runs every
// test with jest. jest runs last so that the output ends with its summary.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (!existsSync(path.join(root, 'node_modules', '.bin', 'jest'))) {
	console.log('test: installing dependencies (npm ci)');
	run(npm, ['ci']);
}
try {
	run(npm, ['run', '--silent', 'build']);
	run(npm, ['run', '--silent', 'lint']);
	run(path.join(root, 'node_modules', '.bin', 'jest'), process.argv.slice(2));
} catch (error) {
	process.exit(typeof error.status === 'number' ? error.status : 1);
}
