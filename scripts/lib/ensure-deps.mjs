// Installs the project's own dependencies when node_modules is missing or older than the lock file.
// `npm install` rather than `npm ci`: the lock records only the native bindings this registry serves
// (linux-x64), and `npm ci` refuses a lock without every platform's optional binding, while `npm install`
// installs exactly the locked versions.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ensureDependencies(label) {
	const installedLock = path.join(repoRoot, 'node_modules', '.package-lock.json');
	const lock = path.join(repoRoot, 'package-lock.json');
	if (existsSync(installedLock) && statSync(installedLock).mtimeMs >= statSync(lock).mtimeMs) return;
	console.log(`${label}: installing dependencies (npm install, from package-lock.json)`);
	execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['install', '--no-audit', '--no-fund'], {
		cwd: repoRoot,
		stdio: 'inherit',
	});
}
