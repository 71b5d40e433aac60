/**
 * What a failed DataPress or storage call means for a person. Pure: the HTTP core scrubs the result
 * of the key and raises it as a NodeApiError.
 */
import {
	attemptsNote,
	callName,
	describeFailure,
	explainWith,
	MAX_RETRY_AFTER_SECONDS,
	type Explained,
	type FailureReport,
} from '../../shared/http';
import { MAX_MULTIPART_BYTES } from './threshold';

export interface DatapressScope {
	/** Id of the dataset concerned, for messages. */
	dataset?: string;
	/** What a 403/404 is about when it is not a dataset, e.g. `the teams`. */
	subject?: string;
	/** The message of a 409 (the caller knows what conflicted). */
	conflictMessage?: string;
	/** The step of a multi-step operation, e.g. "Upload step 3 of 3 (attach by patch)". */
	step?: string;
	/** What the failure leaves behind, e.g. where the file already is. */
	leftBehind?: string;
	/** The presigned policy's expiry, for a storage that closes the connection on an expired policy. */
	policyExpiration?: string;
	/** The file's name and size, for storage messages. */
	file?: { name: string; size: number };
}

export const DATAPRESS_NAME = 'DataPress';
export const STORAGE_NAME = 'The storage host';

/** The messages a DataPress error body carries: `{error}` or, for validation, `{errors: [...]}`. */
export function apiErrorMessages(body: unknown): string[] {
	if (!body) return [];
	if (typeof body === 'string') return body.trim() ? [body.trim().slice(0, 500)] : [];
	if (typeof body !== 'object') return [];
	const record = body as Record<string, unknown>;
	const messages: string[] = [];
	if (Array.isArray(record.errors)) {
		for (const entry of record.errors)
			messages.push(typeof entry === 'string' ? entry : JSON.stringify(entry));
	}
	if (typeof record.error === 'string') messages.push(record.error);
	else if (record.error && typeof record.error === 'object') {
		const nested = (record.error as Record<string, unknown>).message;
		if (typeof nested === 'string') messages.push(nested);
	}
	if (!messages.length && typeof record.message === 'string') messages.push(record.message);
	return messages;
}

/** S3-style XML error: `<Error><Code>EntityTooLarge</Code><Message>...</Message></Error>`. */
export function parseStorageError(body: unknown): { code?: string; message?: string } {
	const text = typeof body === 'string' ? body : '';
	const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
	const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
	return { code, message };
}

/** The step's name before the message and what it left behind after the description. */
function inStep(explained: Explained, scope: DatapressScope): Explained {
	return {
		...explained,
		message: scope.step ? `${scope.step} failed: ${explained.message}` : explained.message,
		description: [explained.description, scope.leftBehind].filter(Boolean).join(' '),
	};
}

function explainStatus(
	report: FailureReport<DatapressScope>,
	status: number,
	body: unknown,
	retryAfterSeconds?: number,
): Explained {
	const { scope, method } = report;
	const serverSays = apiErrorMessages(body);
	const detail = serverSays.length ? serverSays.join('; ') : undefined;
	const dataset = scope.dataset ? `"${scope.dataset}"` : undefined;
	const subject = scope.subject ?? (dataset ? `dataset ${dataset}` : report.path);
	const call = callName(report);
	const tried = attemptsNote(report);
	const httpCode = String(status);
	switch (status) {
		case 400:
			return {
				message: `DataPress refused the request: ${detail ?? 'bad request'}`,
				description:
					serverSays.length > 1
						? `The server listed these errors:\n- ${serverSays.join('\n- ')}`
						: `${call} answered 400.`,
				httpCode,
			};
		case 401:
			return {
				message: 'DataPress did not accept the API key',
				description: 'Check the API key of the London Datastore API credential.',
				httpCode,
			};
		case 403:
			return method === 'GET'
				? {
						message: `The API key may not read ${subject}`,
						description:
							"DataPress answered 403 Forbidden: the dataset is private and the key's user is not a member of its team.",
						httpCode,
					}
				: {
						message: `The API key has no editor rights on ${subject}`,
						description:
							"DataPress answered 403 Forbidden: only editors of the dataset's team (or site admins) may change it or upload files. Ask a team admin to make the key's user an editor.",
						httpCode,
					};
		case 404:
			return {
				message: dataset
					? `Dataset ${dataset} not found`
					: `Not found: ${scope.subject ?? report.path}`,
				description: `${call} answered 404${detail ? ` (${detail})` : ''}. Check the dataset's id.`,
				httpCode,
			};
		case 409:
			return {
				message: scope.conflictMessage ?? `Conflict on ${subject}`,
				description: `DataPress answered 409${detail ? `: ${detail}` : ''}. Nothing was changed.`,
				httpCode,
			};
		case 413:
			return {
				message: 'DataPress refused the file as too large for a direct upload',
				description: `Files over ${MAX_MULTIPART_BYTES} bytes must use the large-file upload (Upload Method: Automatic or Presigned).`,
				httpCode,
			};
		case 429: {
			const wait = retryAfterSeconds === undefined ? 'a while' : `${retryAfterSeconds} seconds`;
			return {
				message: `DataPress is rate limiting this key (429 Too Many Requests): try again after ${wait}`,
				description:
					report.stopped === 'retryAfter'
						? `${call} was asked to wait ${wait}, longer than the ${MAX_RETRY_AFTER_SECONDS} s the node waits by itself. Nothing was changed.`
						: `${call} was refused${tried}. Nothing was changed.`,
				httpCode,
			};
		}
		case 431:
			return {
				message: 'DataPress refused the request as too large (HTTP 431)',
				description: `${call}: the request's headers or address were too long; a text field may be too long.`,
				httpCode,
			};
		default:
			return {
				message: `DataPress failed with HTTP ${status}${detail ? `: ${detail}` : ''}`,
				description: `${call}${tried}.`,
				httpCode,
			};
	}
}

const CHECK_DATASET =
	'read the dataset (Dataset → Get) to see whether it was, before running this again.';

export function explainDatapressFailure(report: FailureReport<DatapressScope>): Explained {
	return inStep(explainWith(report, DATAPRESS_NAME, explainStatus, CHECK_DATASET), report.scope);
}

/** The storage host of presigned uploads answers S3's XML errors. */
export function explainStorageFailure(
	report: FailureReport<DatapressScope>,
	nowMs = Date.now(),
): Explained {
	const { failure, scope } = report;
	const fileName = scope.file ? `"${scope.file.name}"` : 'The file';
	let reason: string;
	let storageSaid: string | undefined;
	let httpCode: string | undefined;
	if (failure.kind === 'status') {
		const { code, message } = parseStorageError(failure.body);
		httpCode = String(failure.status);
		storageSaid = code && message ? `${code}: ${message}` : undefined;
		if (code === 'EntityTooLarge')
			reason = `the storage refused the file as too large (${scope.file?.size ?? '?'} bytes)`;
		else if (code === 'AccessDenied' && /expired/i.test(message ?? ''))
			reason = 'the presigned policy had expired';
		else
			reason = `the storage answered HTTP ${failure.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
	} else if (
		failure.kind === 'network' &&
		scope.policyExpiration !== undefined &&
		Date.parse(scope.policyExpiration) <= nowMs
	) {
		// A storage that refuses early (as S3 does) may close the connection before its answer is read.
		reason = `the presigned policy had expired (at ${scope.policyExpiration}) and the storage closed the connection`;
	} else {
		reason = describeFailure(report, STORAGE_NAME).message;
	}
	const explained: Explained = {
		message: reason,
		description: `${fileName} did not reach the storage host completely, so the dataset was not patched and is unchanged.${storageSaid ? ` Storage said: ${storageSaid}` : ''}`,
		httpCode,
	};
	return inStep(explained, scope);
}
