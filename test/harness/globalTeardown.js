/** jest's globalTeardown: removes the run's temporary folder that globalSetup.js made. */
'use strict';

const fs = require('node:fs');

module.exports = async function teardown() {
	const runFolder = process.env.PDS_TEST_RUN_FOLDER;
	if (runFolder) fs.rmSync(runFolder, { recursive: true, force: true });
};
