/**
 * Large files in parts, as DataPress 4's chunked upload and S3's multipart ETags count them: 5 MiB parts,
 * the last one shorter. Pure: plain streams in, buffers and digests out.
 */
import { createHash } from 'crypto';

import type { FileBytes } from './multipart';

/** DataPress 4 uploads large files in parts of 5 MiB (5 × 1024 × 1024 bytes), as its own client does. */
export const PART_BYTES = 5 * 1024 * 1024;

/** How many parts a file of `size` bytes takes (at least one, for an empty file). */
export function partCount(size: number, partBytes = PART_BYTES): number {
	return Math.max(1, Math.ceil(size / partBytes));
}

/**
 * The file's parts in order, each `partBytes` long but the last, read from the stream as they are
 * needed: one part is in memory at a time. Each read piece is copied into the part at once, so the
 * pieces die young.
 *
 * With `reuse`, every part is a view of one buffer that the next part overwrites: for a consumer that is
 * done with a part before it asks for the next and keeps none (an upload that sends it, a hash that reads
 * it). A fresh 5 MiB buffer per part lives through its request, so only full garbage collections free it:
 * at hundreds of parts they took most of the upload's CPU time.
 */
export async function* partsOf(
	bytes: FileBytes,
	partBytes = PART_BYTES,
	reuse = false,
): AsyncGenerator<Buffer> {
	if (Buffer.isBuffer(bytes)) {
		if (bytes.length === 0) yield bytes;
		for (let offset = 0; offset < bytes.length; offset += partBytes)
			yield bytes.subarray(offset, offset + partBytes);
		return;
	}
	let part: Buffer | undefined;
	let filled = 0;
	let yielded = false;
	for await (const chunk of bytes) {
		let piece =
			typeof chunk === 'string'
				? Buffer.from(chunk)
				: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		while (piece.length > 0) {
			part ??= Buffer.allocUnsafe(partBytes);
			const take = Math.min(partBytes - filled, piece.length);
			piece.copy(part, filled, 0, take);
			filled += take;
			piece = piece.subarray(take);
			if (filled === partBytes) {
				yield part;
				yielded = true;
				filled = 0;
				if (!reuse) part = undefined;
			}
		}
	}
	if (filled > 0 || !yielded) yield part ? part.subarray(0, filled) : Buffer.alloc(0);
}

/** A server's file hash read: a plain MD5, or an S3 multipart ETag (MD5 of the part MD5s, `-<parts>`). */
export type ServerHash =
	| { kind: 'md5'; hex: string }
	| { kind: 'etag'; hex: string; parts: number };

export function readServerHash(value: unknown): ServerHash | undefined {
	if (typeof value !== 'string') return undefined;
	const text = value.trim().toLowerCase().replace(/^"|"$/g, '');
	if (/^[0-9a-f]{32}$/.test(text)) return { kind: 'md5', hex: text };
	const etag = /^([0-9a-f]{32})-(\d+)$/.exec(text);
	if (etag) return { kind: 'etag', hex: etag[1], parts: Number(etag[2]) };
	return undefined;
}

/** The file's plain MD5 and its S3 multipart ETag with `partBytes` parts, in one pass over the stream. */
export async function fileHashes(
	bytes: FileBytes,
	partBytes = PART_BYTES,
): Promise<{ md5: string; etag: string }> {
	const whole = createHash('md5');
	const partDigests: Buffer[] = [];
	for await (const part of partsOf(bytes, partBytes, true)) {
		whole.update(part);
		partDigests.push(createHash('md5').update(part).digest());
	}
	const etag = `${createHash('md5').update(Buffer.concat(partDigests)).digest('hex')}-${partDigests.length}`;
	return { md5: whole.digest('hex'), etag };
}

/**
 * Whether the server's hash says the file is unchanged. An ETag made with another part size cannot
 * be compared: the parts it counts must be the ones a 5 MiB split gives.
 */
export function sameFile(
	server: ServerHash,
	local: { md5: string; etag: string },
	size: number,
	partBytes = PART_BYTES,
): boolean {
	if (server.kind === 'md5') return server.hex === local.md5;
	return (
		server.parts === partCount(size, partBytes) && `${server.hex}-${server.parts}` === local.etag
	);
}
