import { createHash } from 'crypto';

/** MD5 hex digest of a stream, read chunk by chunk (never held whole in memory). */
export async function md5OfStream(
	stream: AsyncIterable<Uint8Array | Buffer | string>,
): Promise<string> {
	const hash = createHash('md5');
	for await (const chunk of stream) hash.update(chunk);
	return hash.digest('hex');
}

export function md5OfBuffer(buffer: Buffer): string {
	return createHash('md5').update(buffer).digest('hex');
}
