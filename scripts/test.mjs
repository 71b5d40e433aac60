// `npm test`: installs the project's own dependencies when missing, builds, lints, then runs every
// test with jest. jest runs last so that the output ends with its summary.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// Install when node_modules is missing or older than the lock file. `npm install` rather than `npm ci`:
// the lock records only the native bindings this registry serves (linux-x64), and `npm ci` refuses a lock
// without every platform's optional binding, while `npm install` installs exactly the locked versions.
const installedLock = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
if (!existsSync(installedLock) || statSync(installedLock).mtimeMs < statSync(lock).mtimeMs) {
	console.log('test: installing dependencies (npm install, from package-lock.json)');
	run(npm, ['install', '--no-audit', '--no-fund']);
}
try {
	run(npm, ['run', '--silent', 'build']);
	run(npm, ['run', '--silent', 'lint']);
	run(path.join(root, 'node_modules', '.bin', 'jest'), process.argv.slice(2));
} catch (error) {
	process.exit(typeof error.status === 'number' ? error.status : 1);
}
