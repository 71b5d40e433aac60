/** The files a sandbox left on disk, for the tests that check nothing half-done is kept. */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** Every file below `folder` (none when it does not exist). */
function filesUnder(folder) {
	if (!fs.existsSync(folder)) return [];
	return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(folder, entry.name);
		return entry.isDirectory() ? filesUnder(full) : [full];
	});
}

/** The total size of the files below `folder`. */
function bytesUnder(folder) {
	return filesUnder(folder).reduce((total, file) => total + fs.statSync(file).size, 0);
}

module.exports = { filesUnder, bytesUnder };
