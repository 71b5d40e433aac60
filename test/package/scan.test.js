// scripts/scan.mjs (`npm run scan`, a step of `npm test`) runs n8n's scanner rules on the packed tarball.
// These tests keep that check able to fail: the built package passes it, and the same package with a
// timer in a bundle (what fast-json-patch's observe() put there) does not. `npm test` builds first.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const bundle = path.join('dist', 'nodes', 'LondonDatastore', 'LondonDatastore.node.js');

function scanFolder(folder) {
	return spawnSync(
		process.execPath,
		[path.join(root, 'scripts', 'scan.mjs'), '--package', folder],
		{
			cwd: root,
			encoding: 'utf8',
		},
	);
}

describe("n8n's scanner rules on the package folder", () => {
	let folder;

	beforeEach(() => {
		folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pds-scan-test-'));
		fs.copyFileSync(path.join(root, 'package.json'), path.join(folder, 'package.json'));
		fs.cpSync(path.join(root, 'dist'), path.join(folder, 'dist'), { recursive: true });
	});

	afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

	test('the built bundles pass', () => {
		const result = scanFolder(folder);
		expect([result.status, result.stdout + result.stderr]).toEqual([
			0,
			expect.stringMatching(/0 problems/),
		]);
	});

	test('a bundle that calls setTimeout fails, naming the rule and the file', () => {
		const target = path.join(folder, bundle);
		fs.appendFileSync(
			target,
			'\nfunction later(check) {\n\treturn setTimeout(check);\n}\nexports.later = later;\n',
		);
		const result = scanFolder(folder);
		const output = result.stdout + result.stderr;
		expect(result.status).toBe(1);
		expect(output).toContain(bundle);
		expect(output).toMatch(
			/error\s+Use of restricted global 'setTimeout'.*@n8n\/community-nodes\/no-restricted-globals/,
		);
	});
});
