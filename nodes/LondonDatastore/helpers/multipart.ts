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

/**
 * The file name parameters of a part. ASCII names go as `filename="..."`. Others also get RFC 5987's
 * `filename*=UTF-8''...`, which servers such as busboy prefer; a raw UTF-8 `filename` is read as Latin-1
 * by many of them. The plain parameter keeps an ASCII fallback for servers that know only that.
 */
export function fileNameParameters(fileName: string): string {
	const name = fileName.replace(/[\r\n]/g, ' ');
	if (/^[\x20-\x7e]*$/.test(name)) return `filename="${quoteParameter(name)}"`;
	const fallback = name
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[^\x20-\x7e]/g, '_');
	const encoded = encodeURIComponent(name).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
	);
	return `filename="${quoteParameter(fallback)}"; filename*=UTF-8''${encoded}`;
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
	head += `Content-Disposition: form-data; name="${quoteParameter(file.fieldName)}"; ${fileNameParameters(file.fileName)}${CRLF}`;
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
			throw new RangeError(
				`The file has ${sent} bytes, not the ${expectedSize} its metadata announced`,
			);
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

/**
 * The name a file is uploaded under, the same on every upload path: a slash or backslash would become
 * a folder in a storage key, and quotes or line breaks do not survive a multipart header, so each is
 * replaced by "_". An empty name becomes "file".
 */
export function uploadFileName(name: string): string {
	const clean = name.replace(/[/\\"\r\n]/g, '_').trim();
	return clean === '' || /^\.+$/.test(clean) ? 'file' : clean;
}
