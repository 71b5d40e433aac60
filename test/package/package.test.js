// The published package: what `npm pack` puts in the tarball, and what n8n needs from it.
// `npm test` builds before jest runs, so dist/ is current here.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
/** Where the package's source lives; npm provenance and n8n's verification review both point here. */
const REPOSITORY = 'https://github.com/n8n-nodes-planning-datastore/n8n-nodes-planning-datastore';

function packedFiles() {
	const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: root,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'ignore'],
	});
	return JSON.parse(out)[0].files.map((f) => f.path);
}

function listFiles(dir, filter) {
	const found = [];
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		if (entry.name === 'node_modules' || entry.name === '.git' || entry.name === 'dist') continue;
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) found.push(...listFiles(full, filter));
		else if (filter(full)) found.push(full);
	}
	return found;
}

describe('documentation that npmjs.com and n8n show', () => {
	test('README links resolve outside the repository: absolute, to this repository or elsewhere', () => {
		const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
		const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]);
		expect(targets.length).toBeGreaterThan(10);
		for (const target of targets) expect(target).toMatch(/^(https:\/\/|#)/);
		// Every link into this repository names a file or folder that exists.
		for (const target of targets.filter(
			(link) => link.startsWith(REPOSITORY) || link.includes('raw.githubusercontent.com'),
		)) {
			const relative = target
				.replace(/^.*?\/(?:blob|tree)\/main\//, '')
				.replace(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/main\//, '')
				.split('#')[0];
			if (relative.startsWith('https://')) continue;
			expect(fs.existsSync(path.join(root, relative))).toBe(true);
		}
	});

	test("each node's codex and each credential point at the package's own documentation", () => {
		for (const node of ['LondonDatastore', 'UkPlanning', 'UkPlanningTrigger']) {
			const codex = JSON.parse(
				fs.readFileSync(path.join(root, 'nodes', node, `${node}.node.json`), 'utf8'),
			);
			expect(codex.resources.primaryDocumentation[0].url).toBe(
				`${REPOSITORY}/blob/main/nodes/${node}/README.md`,
			);
			expect(fs.existsSync(path.join(root, 'nodes', node, 'README.md'))).toBe(true);
			expect(codex.resources.credentialDocumentation[0].url.startsWith(REPOSITORY)).toBe(true);
		}
		for (const credential of ['LondonDatastoreApi', 'UkPlanningApi']) {
			const source = fs.readFileSync(
				path.join(root, 'credentials', `${credential}.credentials.ts`),
				'utf8',
			);
			// Compared without white space: the formatter may break the assignment over two lines.
			expect(source.replace(/\s+/g, '')).toContain(
				`documentationUrl='${REPOSITORY}#using-the-nodes-with-the-real-services'`,
			);
		}
	});
});

describe('published package', () => {
	const files = packedFiles();

	test('has no runtime dependencies and only n8n-workflow as peer', () => {
		expect(pkg.dependencies).toBeUndefined();
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		expect(pkg.files).toEqual(['dist']);
		expect(pkg.license).toBe('MIT');
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.n8n).toMatchObject({ n8nNodesApiVersion: 1, strict: true });
	});

	test('names its repository, homepage, issue tracker and author, as the verification guidelines ask', () => {
		// npm provenance requires repository.url to be the repository the publishing workflow runs in.
		expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git` });
		expect(pkg.homepage).toBe(`${REPOSITORY}#readme`);
		expect(pkg.bugs).toEqual({ url: `${REPOSITORY}/issues` });
		expect(pkg.author).toEqual({
			name: 'n8n-nodes-planning-datastore maintainers',
			email: expect.stringMatching(/^[^@\s]+@[^@\s]+\.[a-z]+$/),
			url: path.posix.dirname(REPOSITORY),
		});
	});

	test('the tarball holds the MIT LICENSE of the maintainers', () => {
		expect(files).toContain('LICENSE');
		const license = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
		expect(license.split('\n')[0]).toBe('MIT License');
		expect(license).toContain('Copyright (c) 2026 n8n-nodes-planning-datastore maintainers');
		expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
	});

	test('has no install-time scripts', () => {
		for (const hook of ['prepare', 'preinstall', 'install', 'postinstall', 'prepublish']) {
			expect(pkg.scripts[hook]).toBeUndefined();
		}
	});

	test('publishing goes through `npm run release`: a bare npm publish is refused before anything is built', () => {
		expect(pkg.scripts.release).toBe('n8n-node release');
		// The guard comes first; then what is packed is built, linted and scanned here, and tested offline.
		expect(pkg.scripts.prepublishOnly.split(' && ')).toEqual([
			'n8n-node prerelease',
			'npm run build',
			'npm run lint',
			'npm run scan',
			'jest --testPathIgnorePatterns /test/e2e/',
		]);
		// The project's .npmrc turns lifecycle scripts off; the publish workflow turns them on, as here.
		const env = { ...process.env, NPM_CONFIG_IGNORE_SCRIPTS: 'false' };
		delete env.RELEASE_MODE;
		const result = spawnSync('npm', ['publish', '--dry-run', '--offline'], {
			cwd: root,
			env,
			encoding: 'utf8',
		});
		expect(result.status).not.toBe(0);
		expect(result.stdout).toContain('Run `npm run release` to publish the package');
		expect(result.stdout).not.toContain('build: type-checking');
	});

	test('the tarball holds every file the n8n block names', () => {
		const named = [...pkg.n8n.nodes, ...pkg.n8n.credentials];
		expect(named.length).toBeGreaterThanOrEqual(5);
		for (const distPath of named) expect(files).toContain(distPath);
	});

	test('every node in the tarball brings its codex file and the icons it references', () => {
		for (const nodePath of pkg.n8n.nodes) {
			expect(files).toContain(nodePath.replace(/\.js$/, '.json'));
			const source = fs.readFileSync(path.join(root, nodePath), 'utf8');
			const icons = [...source.matchAll(/file:([^'"]+\.svg)/g)].map((m) => m[1]);
			expect(icons.length).toBeGreaterThan(0);
			for (const icon of icons) {
				const iconPath = path.posix.normalize(path.posix.join(path.posix.dirname(nodePath), icon));
				expect(files).toContain(iconPath);
			}
		}
	});

	test('bundles carry no require of anything but n8n-workflow and node built-ins', () => {
		const builtins = new Set(require('node:module').builtinModules);
		for (const distPath of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
			const source = fs.readFileSync(path.join(root, distPath), 'utf8');
			const required = [...source.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
			for (const name of required) {
				const bare = name.replace(/^node:/, '');
				expect([distPath, builtins.has(bare) || name === 'n8n-workflow']).toEqual([distPath, true]);
			}
		}
	});

	test('every node and credential class loads from dist', () => {
		for (const distPath of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
			const mod = require(path.join(root, distPath));
			const className = path.basename(distPath).split('.')[0];
			expect(typeof mod[className]).toBe('function');
			const instance = new mod[className]();
			expect(instance.description ?? instance.name).toBeTruthy();
		}
	});

	test('no source file disables a lint rule', () => {
		const sources = listFiles(root, (f) => /\.(ts|js|mjs|cjs)$/.test(f));
		// Built from parts so that a plain grep of the tree finds nothing, this file included.
		const phrase = ['eslint', 'disable'].join('-');
		const offenders = sources.filter((f) => fs.readFileSync(f, 'utf8').includes(phrase));
		expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
	});
});
