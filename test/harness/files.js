/**
 * The files a sandbox left on disk (for the tests that check nothing half-done is kept), and the MD5 of
 * bytes as they stream (downloads, stored files), never holding them whole.
 */
'use strict';

const crypto = require('node:crypto');
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

/** The MD5 (hex) and the length of everything `stream` (any async iterable of Buffers) gives. */
async function md5OfStream(stream) {
	const hash = crypto.createHash('md5');
	let length = 0;
	for await (const chunk of stream) {
		hash.update(chunk);
		length += chunk.length;
	}
	return { md5: hash.digest('hex'), length };
}

module.exports = { filesUnder, bytesUnder, md5OfStream };
