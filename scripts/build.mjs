// Builds what ships: type-checks the TypeScript, bundles every node and credential named in
// package.json's n8n block into dist (fast-json-patch and other helpers go inside the bundle, so the
// published package has no runtime dependencies), then lets gulp copy icons and codex files.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

// The node imports fast-json-patch's ES module files (module/core, module/duplex; their .d.ts files lie
// beside them) so that esbuild can leave out what it does not use: the CommonJS build is one object,
// bundled whole, and its observe() calls setTimeout/clearTimeout, which n8n's scanner rejects in dist.
const fastJsonPatchModules = {
	name: 'fast-json-patch-modules',
	setup(build) {
		build.onResolve({ filter: /^fast-json-patch\/module\/[a-z]+$/ }, ({ path: specifier }) => ({
			path: require.resolve(`${specifier}.mjs`),
		}));
	},
};

const entries = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((distPath) => {
	const source = distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts');
	if (!existsSync(path.join(root, source))) {
		throw new Error(`package.json names ${distPath}, but its source ${source} does not exist`);
	}
	return { source, distPath };
});

rmSync(path.join(root, 'dist'), { recursive: true, force: true });

console.log('build: type-checking');
execFileSync(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });

console.log(`build: bundling ${entries.length} entries`);
const esbuild = require('esbuild');
await Promise.all(
	entries.map(({ source, distPath }) =>
		esbuild.build({
			entryPoints: [path.join(root, source)],
			outfile: path.join(root, distPath),
			bundle: true,
			platform: 'node',
			format: 'cjs',
			target: 'node20',
			// n8n-workflow is provided by n8n itself (peer dependency); everything else is bundled.
			external: ['n8n-workflow'],
			plugins: [fastJsonPatchModules],
			sourcemap: false,
			logLevel: 'warning',
		}),
	),
);

console.log('build: copying icons and codex files');
execFileSync(bin('gulp'), ['build:assets'], { cwd: root, stdio: 'inherit' });
console.log('build: done');
