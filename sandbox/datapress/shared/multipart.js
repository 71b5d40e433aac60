/**
 * multipart/form-data as DataPress takes it: one file in the field `file`, streamed to disk with its MD5
 * and size computed on the way (never whole in memory), and the other fields collected. Both generations'
 * uploads (and DataPress 4's chunks) come through here.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const busboy = require('busboy');

/** A refusal of the form itself; `code` lets each generation word its own answer. */
function formError(status, code) {
	return Object.assign(new Error(code), { status, code });
}

/**
 * Resolves `{ fields, file }` once the whole form is read; `file` is `{ path, directory, fileName, size,
 * md5, mimeType }`, or undefined when the form has no field `file`. The file lands in `directory` (made
 * here, only once a file arrives). Rejects with `status`/`code`: 400 `not-multipart`, 400 `malformed`,
 * 413 `too-large` (answered while the client still sends: the rest is drained), `dropped` (the client
 * went away). A refused or dropped upload leaves nothing on disk.
 */
function receiveFile(request, { directory, maxBytes = Infinity }) {
	return new Promise((resolve, reject) => {
		let parser;
		try {
			parser = busboy({ headers: request.headers });
		} catch {
			request.resume();
			reject(formError(400, 'not-multipart'));
			return;
		}
		const fields = {};
		let upload;
		let settled = false;
		// At once, so that no answer goes out before the partial file is gone.
		const discard = () => {
			if (upload) fs.rmSync(upload.directory, { recursive: true, force: true });
		};
		const fail = (error) => {
			if (settled) return;
			settled = true;
			// Keep reading (and discarding) what the client still sends, so that it reads the answer.
			request.unpipe(parser);
			request.resume();
			reject(error);
		};
		parser.on('field', (name, value) => {
			fields[name] = value;
		});
		parser.on('file', (name, stream, info) => {
			if (name !== 'file' || upload || settled) {
				stream.resume();
				return;
			}
			const fileName = path.basename(info.filename || 'upload.bin');
			fs.mkdirSync(directory, { recursive: true });
			const filePath = path.join(directory, fileName);
			const out = fs.createWriteStream(filePath);
			out.on('error', () => {});
			const hash = crypto.createHash('md5');
			upload = {
				path: filePath,
				directory,
				fileName,
				size: 0,
				mimeType: info.mimeType,
				md5: undefined,
				refused: false,
				done: false,
			};
			stream.on('data', (chunk) => {
				if (upload.refused) return;
				upload.size += chunk.length;
				if (upload.size > maxBytes) {
					upload.refused = true;
					stream.unpipe(out);
					out.destroy();
					discard();
					stream.resume();
					fail(formError(413, 'too-large'));
					return;
				}
				hash.update(chunk);
			});
			stream.pipe(out);
			// A client gone mid-file (dropped connection) leaves nothing behind.
			request.once('close', () => {
				if (!request.complete && !upload.done) {
					upload.refused = true;
					out.destroy();
					discard();
					fail(formError(400, 'dropped'));
				}
			});
			upload.finished = new Promise((done) => {
				stream.on('end', () => {
					if (upload.refused) return done();
					out.end(() => {
						upload.md5 = hash.digest('hex');
						upload.done = true;
						done();
					});
				});
			});
		});
		parser.on('close', async () => {
			if (settled) return;
			if (upload) await upload.finished;
			if (settled || (upload && upload.refused)) return;
			settled = true;
			const file = upload && {
				path: upload.path,
				directory: upload.directory,
				fileName: upload.fileName,
				size: upload.size,
				md5: upload.md5,
				mimeType: upload.mimeType,
			};
			resolve({ fields, file });
		});
		parser.on('error', () => {
			discard();
			fail(formError(400, 'malformed'));
		});
		request.pipe(parser);
	});
}

module.exports = { receiveFile };
