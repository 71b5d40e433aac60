/**
 * jest's globalSetup (globalTeardown.js is its other half): every test run keeps its temporary files in one folder of its own,
 * `<system temp>/pds-test-run-<pid>`, given to the workers (and to the n8n processes, sandboxes and
 * installers they start) as TMPDIR, and removed when the run ends. Folders of earlier runs whose jest was
 * killed before its teardown are removed at the next run's start.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PREFIX = 'pds-test-run-';

module.exports = async function setup() {
	const { isProcessAlive } = await import('../../scripts/lib/install-once.mjs');
	const systemTemp = os.tmpdir();
	for (const entry of fs.readdirSync(systemTemp)) {
		const pid = entry.startsWith(PREFIX) ? Number(entry.slice(PREFIX.length)) : NaN;
		if (Number.isInteger(pid) && !isProcessAlive(pid))
			fs.rmSync(path.join(systemTemp, entry), { recursive: true, force: true });
	}
	const runFolder = path.join(systemTemp, `${PREFIX}${process.pid}`);
	fs.mkdirSync(runFolder, { recursive: true });
	process.env.PDS_TEST_RUN_FOLDER = runFolder;
	process.env.TMPDIR = runFolder;
};
