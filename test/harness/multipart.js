/**
 * multipart/form-data bodies for the contract tests, built by hand (so that a test decides the order of
 * the parts, as the S3 and DataPress rules about field order need) and streamed (so that a file larger
 * than memory is never held whole), and the file sources they carry.
 */
'use strict';

const crypto = require('node:crypto');

const MIB = 1024 * 1024;

/** A file body from a Buffer: its size, its bytes as chunks and their MD5. */
function bufferSource(buffer) {
	return {
		size: buffer.length,
		md5: crypto.createHash('md5').update(buffer).digest('hex'),
		*chunks() {
			yield buffer;
		},
	};
}

/**
 * A file of `size` generated in 1 MiB chunks, never whole in memory; every chunk differs, so that a lost
 * or repeated chunk changes the hash. Its MD5 is computed up front, or, with `hashWhileSending`, from the
 * chunks as they are sent (so that no extra pass disturbs a memory measurement).
 */
function generatedSource(size, { hashWhileSending = false } = {}) {
	const block = crypto.randomBytes(MIB);
	const source = { size, md5: undefined, chunks };
	function* chunks() {
		const hash = hashWhileSending ? crypto.createHash('md5') : undefined;
		let left = size;
		for (let counter = 0; left > 0; counter += 1) {
			const length = Math.min(left, MIB);
			const chunk = Buffer.from(block.subarray(0, length));
			if (length >= 4) chunk.writeUInt32BE(counter, 0);
			left -= length;
			if (hash) hash.update(chunk);
			yield chunk;
		}
		if (hash) source.md5 = hash.digest('hex');
	}
	if (!hashWhileSending) {
		const hash = crypto.createHash('md5');
		for (const chunk of chunks()) hash.update(chunk);
		source.md5 = hash.digest('hex');
	}
	return source;
}

/**
 * multipart/form-data in exactly the order given: `{ name, value }` fields and `{ name, filename, source,
 * contentType }` files, `source` a Buffer or `{ size, chunks() }` (as bufferSource and generatedSource
 * give). Gives `{ headers, body }`: the content type with its random boundary and the exact
 * content-length, and the body as an async iterable that undici streams.
 */
function multipart(parts) {
	const boundary = `----harness${crypto.randomBytes(8).toString('hex')}`;
	const pieces = [];
	for (const part of parts) {
		if (part.source) {
			pieces.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
						`Content-Type: ${part.contentType || 'application/octet-stream'}\r\n\r\n`,
				),
			);
			pieces.push(part.source);
			pieces.push(Buffer.from('\r\n'));
		} else {
			pieces.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
				),
			);
		}
	}
	pieces.push(Buffer.from(`--${boundary}--\r\n`));
	const length = pieces.reduce(
		(total, piece) => total + (Buffer.isBuffer(piece) ? piece.length : piece.size),
		0,
	);
	async function* body() {
		for (const piece of pieces) {
			if (Buffer.isBuffer(piece)) yield piece;
			else yield* piece.chunks();
		}
	}
	return {
		headers: {
			'content-type': `multipart/form-data; boundary=${boundary}`,
			'content-length': String(length),
		},
		body: body(),
	};
}

/** `{ name: value }` as field parts, in the object's order. */
function fieldParts(fields) {
	return Object.entries(fields).map(([name, value]) => ({ name, value }));
}

module.exports = { multipart, fieldParts, bufferSource, generatedSource, MIB };
