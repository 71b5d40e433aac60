// Installs the project's own dependencies, exactly as locked (`npm ci`), when node_modules is missing or
// older than the lock file. (unrs-resolver, a lint dependency, is pinned to 1.12.2 in devDependencies: the
// newest version for which the registry serves every platform's native binding, so that the lock
// lists them all and `npm ci` accepts it.)
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ensureDependencies(label) {
	const installedLock = path.join(repoRoot, 'node_modules', '.package-lock.json');
	const lock = path.join(repoRoot, 'package-lock.json');
	if (existsSync(installedLock) && statSync(installedLock).mtimeMs >= statSync(lock).mtimeMs)
		return;
	console.log(`${label}: installing dependencies (npm ci, from package-lock.json)`);
	execFileSync(
		process.platform === 'win32' ? 'npm.cmd' : 'npm',
		['ci', '--no-audit', '--no-fund'],
		{
			cwd: repoRoot,
			stdio: 'inherit',
		},
	);
}
