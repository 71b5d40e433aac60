/**
 * S3's ETag of a multipart upload, which DataPress 4 stores as a file's `hash` after a chunked upload:
 * the MD5 of the concatenated binary MD5s of the parts, in hex, then `-<part count>`.
 */
'use strict';

const crypto = require('node:crypto');

/** 5 MiB: the chunk size of DataPress's client, and S3's minimum for every part but the last. */
const PART_SIZE = 5 * 1024 * 1024;

/** `partMd5s`: the parts' MD5 digests as Buffers, in part order. */
function etagOfParts(partMd5s) {
	return `${crypto.createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-${partMd5s.length}`;
}

module.exports = { PART_SIZE, etagOfParts };
