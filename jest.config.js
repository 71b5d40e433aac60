/** Unit, contract, node and end-to-end tests. Test files are plain JavaScript (the community-node
 * lint applies its shipped-code rules to every .ts file); the TypeScript they import goes through ts-jest. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.js'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
	},
	moduleFileExtensions: ['ts', 'js', 'json'],
	// The node imports fast-json-patch's ES module files so that the bundle can leave out observe() (see
	// scripts/build.mjs); jest runs CommonJS, so it gets the same functions from the library's CommonJS build.
	moduleNameMapper: { '^fast-json-patch/module/([a-z]+)$': 'fast-json-patch/commonjs/$1' },
	// Sandboxes and n8n processes need a moment on a 2-core machine; this is a hang guard, not a perf check.
	testTimeout: 120000,
	// One temporary folder per run, removed at its end (test/harness/globalSetup.js).
	globalSetup: '<rootDir>/test/harness/globalSetup.js',
	globalTeardown: '<rootDir>/test/harness/globalTeardown.js',
	maxWorkers: 2,
};
