// `npm run scan`: n8n's community-package scanner, run on this package without publishing it.
//
// @n8n/scan-community-package 0.32.0 (scanner/scanner.mjs) lints two things with one ESLint configuration:
// the source the npm provenance points at (SOURCE_FILE_PATTERNS below) and the published tarball's
// JavaScript and package.json. The tarball leg matters because it sees what esbuild bundled into dist;
// `n8n-node lint` reads only the .ts sources. buildScanConfig() and the ESLint options are the scanner's,
// copied; the plugins are the versions the scanner depends on, pinned in devDependencies
// (@n8n/eslint-plugin-community-nodes 0.29.0, eslint-plugin-n8n-nodes-base 1.16.7,
// @typescript-eslint/parser 8.74.0, eslint 9.29.0, fast-glob 3.3.3).
//
// The scanner fails on errors only; this check fails on warnings too, because the verification review
// reads them. `--package <dir>` lints an unpacked package folder (the tarball leg only) instead of packing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ESLint } = require('eslint');
const { defineConfig } = require('eslint/config');
const glob = require('fast-glob');

const SOURCE_FILE_PATTERNS = ['package.json', '{nodes,credentials}/**/*.{js,ts,json}'];
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

// As in the scanner, whose comments say why each part is there.
async function buildScanConfig() {
	const { n8nCommunityNodesPlugin } = await import('@n8n/eslint-plugin-community-nodes');
	const tsParser = await import('@typescript-eslint/parser');
	const n8nNodesPlugin = (await import('eslint-plugin-n8n-nodes-base')).default;
	const parser = tsParser.default ?? tsParser;
	return defineConfig(
		n8nCommunityNodesPlugin.configs.recommended,
		{ rules: { 'no-console': 'error' } },
		{ plugins: { 'n8n-nodes-base': n8nNodesPlugin } },
		{ files: ['package.json'], rules: { ...n8nNodesPlugin.configs.community.rules } },
		{
			files: ['**/credentials/**/*.ts'],
			rules: {
				...n8nNodesPlugin.configs.credentials.rules,
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
				'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
			},
		},
		{
			files: ['**/nodes/**/*.ts'],
			rules: {
				...n8nNodesPlugin.configs.nodes.rules,
				'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
				'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
				'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
			},
		},
		{ files: ['**/*.json'], languageOptions: { parser } },
		{ files: ['**/*.ts'], languageOptions: { parser } },
	);
}

/** Lints one folder as the scanner's analyzePackage() does; returns the files linted and ESLint's results. */
async function analyze(dir, patterns) {
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await buildScanConfig(),
	});
	const files = glob.sync(patterns, {
		cwd: dir,
		absolute: true,
		ignore: ['node_modules/**', '**/package-lock.json'],
	});
	// The scanner passes a folder with nothing to lint; here that would mean the check looked in the wrong place.
	if (!files.some((file) => file.endsWith('.js') || file.endsWith('.ts'))) {
		throw new Error(`scan: no JavaScript or TypeScript files to lint in ${dir}`);
	}
	const results = await eslint.lintFiles(files);
	return { eslint, files, results };
}

function packTarball() {
	const destination = mkdtempSync(path.join(os.tmpdir(), 'pds-scan-'));
	const output = execFileSync(
		'npm',
		['pack', '--silent', '--ignore-scripts', '--pack-destination', destination],
		{
			cwd: root,
			encoding: 'utf8',
		},
	);
	const tarball = path.join(destination, output.trim().split('\n').pop());
	const unpacked = path.join(destination, 'package');
	execFileSync('tar', ['-xzf', tarball, '-C', destination]);
	if (!readdirSync(unpacked).includes('package.json'))
		throw new Error(`scan: ${tarball} holds no package.json`);
	return { destination, unpacked };
}

async function main() {
	const packageFlag = process.argv.indexOf('--package');
	const legs = [];
	let cleanup = () => {};
	if (packageFlag !== -1) {
		legs.push({
			name: 'package folder',
			dir: path.resolve(process.argv[packageFlag + 1]),
			patterns: TARBALL_FILE_PATTERNS,
		});
	} else {
		const { destination, unpacked } = packTarball();
		cleanup = () => rmSync(destination, { recursive: true, force: true });
		legs.push({ name: 'sources', dir: root, patterns: SOURCE_FILE_PATTERNS });
		legs.push({ name: 'npm pack tarball', dir: unpacked, patterns: TARBALL_FILE_PATTERNS });
	}
	let problems = 0;
	try {
		for (const leg of legs) {
			const { eslint, files, results } = await analyze(leg.dir, leg.patterns);
			const count = results.reduce((sum, r) => sum + r.errorCount + r.warningCount, 0);
			problems += count;
			console.log(`scan: ${leg.name}: ${files.length} files, ${count} problems`);
			if (count > 0) {
				const formatter = await eslint.loadFormatter('stylish');
				console.log(await formatter.format(results));
			}
		}
	} finally {
		cleanup();
	}
	if (problems > 0) {
		console.error("scan: n8n's community-package scanner rules found problems (see above)");
		process.exit(1);
	}
}

await main();
