import { randomBytes } from 'crypto';

export interface MultipartFile {
	fieldName: string;
	fileName: string;
	contentType: string;
	size: number;
}

export interface MultipartFraming {
	boundary: string;
	contentType: string;
	/** Every text field, then the file part's headers: sent before the file's bytes. */
	preamble: Buffer;
	/** Closes the file part and the form: sent after the file's bytes. */
	epilogue: Buffer;
	contentLength: number;
}

const CRLF = '\r\n';

/** Quotes a header parameter value; CR, LF and quotes would break the part headers. */
function quoteParameter(value: string): string {
	return value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

export function newBoundary(): string {
	return `----n8nLondonDatastore${randomBytes(12).toString('hex')}`;
}

/**
 * Frames a multipart/form-data body around a file whose size is known, so that the file can be
 * streamed between the two buffers with an exact Content-Length. Fields keep the given order and
 * all come before the file (S3 ignores fields after the file).
 */
export function frameMultipart(
	fields: Array<[string, string]>,
	file: MultipartFile,
	boundary: string = newBoundary(),
): MultipartFraming {
	let head = '';
	for (const [name, value] of fields) {
		head += `--${boundary}${CRLF}`;
		head += `Content-Disposition: form-data; name="${quoteParameter(name)}"${CRLF}${CRLF}`;
		head += `${value}${CRLF}`;
	}
	head += `--${boundary}${CRLF}`;
	head += `Content-Disposition: form-data; name="${quoteParameter(file.fieldName)}"; filename="${quoteParameter(file.fileName)}"${CRLF}`;
	head += `Content-Type: ${file.contentType.replace(/[\r\n]/g, '')}${CRLF}${CRLF}`;
	const preamble = Buffer.from(head, 'utf8');
	const epilogue = Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'utf8');
	return {
		boundary,
		contentType: `multipart/form-data; boundary=${boundary}`,
		preamble,
		epilogue,
		contentLength: preamble.length + file.size + epilogue.length,
	};
}

export type FileBytes = AsyncIterable<Uint8Array | Buffer | string> | Buffer;

/**
 * A request body that axios sends as it sends a Blob: Content-Type and Content-Length from `type` and
 * `size`, the bytes pulled from `stream()` with backpressure. (The shipped code may not import the
 * `stream` module, and a real Blob cannot read lazily from n8n's binary data store.)
 */
export interface StreamedBody {
	readonly [Symbol.toStringTag]: 'Blob';
	readonly size: number;
	readonly type: string;
	stream(): AsyncIterable<Uint8Array>;
}

/**
 * The whole multipart body: preamble, the file's chunks as they are read, epilogue. The file is
 * opened only when the body is read, and it fails when the file does not have the announced size
 * instead of sending a body that lies about its length.
 */
export function multipartBody(
	framing: MultipartFraming,
	open: () => Promise<FileBytes>,
	expectedSize: number,
): StreamedBody {
	async function* parts(): AsyncGenerator<Uint8Array> {
		yield framing.preamble;
		const file = await open();
		let sent = 0;
		if (Buffer.isBuffer(file)) {
			sent = file.length;
			yield file;
		} else {
			for await (const chunk of file) {
				const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
				sent += bytes.length;
				yield bytes;
			}
		}
		if (sent !== expectedSize) {
			throw new RangeError(`The file has ${sent} bytes, not the ${expectedSize} its metadata announced`);
		}
		yield framing.epilogue;
	}
	return {
		[Symbol.toStringTag]: 'Blob',
		size: framing.contentLength,
		type: framing.contentType,
		stream: parts,
	};
}
