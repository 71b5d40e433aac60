/**
 * DataPress's dataset, team and site endpoints over the shared HTTP core, for both API generations:
 * DataPress 4 (the London Datastore today: `/api/v3/...`, 5-character ids, some answers wrapped in
 * `{"dataset"}`) and the legacy API. Which one a site speaks comes from the credential, or is asked once
 * per execution. Uploads are in `uploads.ts`. The credential sends the raw key in Authorization.
 *
 * Over 350 lines on purpose: one transport module per service, and both generations' endpoints are that
 * service's.
 */
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type ICredentialTestFunctions,
	type IDataObject,
	type IHttpRequestMethods,
} from 'n8n-workflow';

import {
	httpCall,
	jsonKind,
	pathSegment,
	type Download,
	type HttpContext,
	type RetryPolicy,
	type Service,
	type Validators,
	validatorsOf,
} from '../../shared/http';
import {
	DATAPRESS_NAME,
	explainDatapressFailure,
	STORAGE_NAME,
	explainStorageFailure,
	type DatapressScope,
} from '../helpers/errors';
import {
	WHOAMI_PATH,
	isNotDatapress4,
	type SiteGeneration,
	type WhoamiAnswer,
} from '../helpers/credentialCheck';

export const CREDENTIAL_TYPE = 'londonDatastoreApi';
export const DEFAULT_BASE_URL = 'https://data.london.gov.uk';

export type Generation = SiteGeneration;

const service = (
	name: string,
	explain: Service<DatapressScope>['explain'],
): Service<DatapressScope> => ({
	name,
	credentialType: CREDENTIAL_TYPE,
	credentialName: 'London Datastore API',
	defaultBaseUrl: DEFAULT_BASE_URL,
	explain,
});
export const DATAPRESS = service(DATAPRESS_NAME, explainDatapressFailure);
export const STORAGE = service(STORAGE_NAME, (report) => explainStorageFailure(report));

/** Per call: the item, the node's Timeout option, and how a failure reads within its operation. */
export interface CallOptions {
	itemIndex?: number;
	timeoutMs?: number;
	step?: string;
	leftBehind?: string;
	/** The message of a 409 (the caller knows what conflicted). */
	conflictMessage?: string;
}

/** An id from user input as a path segment: an empty or dot-only id would change the endpoint. */
export function segment(
	context: HttpContext,
	value: string,
	field: string,
	itemIndex?: number,
): string {
	const encoded = pathSegment(value);
	if (encoded === undefined) {
		throw new NodeOperationError(
			context.getNode(),
			`Invalid "${field}": ${value.trim() === '' ? 'it is empty' : `"${value}" is not an id`}`,
			{
				itemIndex,
				description: 'No request was sent.',
			},
		);
	}
	return encoded;
}

/** The site's generation: asked once per execution and Base URL (DataPress 4 answers /api/v3/whoami). */
const generations = new WeakMap<object, Map<string, Promise<Generation>>>();

export async function siteGeneration(
	context: HttpContext,
	options: CallOptions = {},
): Promise<Generation> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	if (credentials.apiVersion === 'v4' || credentials.apiVersion === 'legacy')
		return credentials.apiVersion;
	const baseUrl = String(credentials.baseUrl || DEFAULT_BASE_URL);
	let byBaseUrl = generations.get(context);
	if (!byBaseUrl) generations.set(context, (byBaseUrl = new Map()));
	let pending = byBaseUrl.get(baseUrl);
	if (!pending) {
		pending = askGeneration(context, options);
		byBaseUrl.set(baseUrl, pending);
		// A failed question is not remembered: the next item asks again.
		const cache = byBaseUrl;
		pending.catch(() => cache.delete(baseUrl));
	}
	return await pending;
}

async function askGeneration(context: HttpContext, options: CallOptions): Promise<Generation> {
	const answer = await httpCall(context, DATAPRESS, {
		method: 'GET',
		path: WHOAMI_PATH.v4,
		retry: 'safe',
		expect: 'json',
		// whoami is a user object, or null for a key the site does not know.
		check: (value) =>
			value === null || (typeof value === 'object' && !Array.isArray(value))
				? undefined
				: jsonKind(value),
		accept: [404],
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		itemIndex: options.itemIndex,
		scope: { subject: "the site's API version (GET /api/v3/whoami)" },
	});
	return isNotDatapress4({ statusCode: answer.status, body: answer.body }) ? 'legacy' : 'v4';
}

export async function datasetPath(
	context: HttpContext,
	datasetId: string,
	options: CallOptions = {},
): Promise<string> {
	const id = segment(context, datasetId, 'Dataset', options.itemIndex);
	return (await siteGeneration(context, options)) === 'v4'
		? `/api/v3/dataset/${id}`
		: `/api/dataset/${id}`;
}

/** Undefined when the value is a dataset (bare, or wrapped in `{"dataset"}` as DataPress 4 does), else what it was. */
export function checkDataset(value: unknown): string | undefined {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return jsonKind(value);
	const dataset = datasetOf(value);
	return typeof dataset.id === 'string' && dataset.id !== ''
		? undefined
		: 'a JSON object that is not a dataset (no id)';
}

/** The dataset of an answer checked by `checkDataset`. */
export function datasetOf(body: unknown): IDataObject {
	const record = body as IDataObject;
	const wrapped = record.dataset;
	return (
		wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped) ? wrapped : record
	) as IDataObject;
}

/** Teams come as a list (legacy) or as a map keyed by id (DataPress 4), whose entries carry their id. */
export function teamList(value: unknown): IDataObject[] | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const entries = Array.isArray(value)
		? value.map((team) => [undefined, team] as const)
		: Object.entries(value);
	const teams: IDataObject[] = [];
	for (const [id, team] of entries) {
		if (!team || typeof team !== 'object' || Array.isArray(team)) return undefined;
		teams.push(
			id === undefined || (team as IDataObject).id !== undefined
				? (team as IDataObject)
				: { id, ...(team as IDataObject) },
		);
	}
	return teams;
}

export async function datapressJson(
	context: HttpContext,
	method: IHttpRequestMethods,
	path: string,
	retry: RetryPolicy,
	check: (value: unknown) => string | undefined,
	scope: DatapressScope,
	options: CallOptions,
	json?: IDataObject | IDataObject[],
): Promise<unknown> {
	const answer = await httpCall(context, DATAPRESS, {
		method,
		path,
		json,
		retry,
		expect: 'json',
		check,
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		itemIndex: options.itemIndex,
		scope: {
			...scope,
			step: options.step,
			leftBehind: options.leftBehind,
			conflictMessage: options.conflictMessage,
		},
	});
	return answer.body;
}

/**
 * One call on a dataset's own address, answered by the dataset: a read (retried on transient failures)
 * or a patch (never repeated once it may have reached DataPress: a patch may not be idempotent).
 */
async function datasetCall(
	context: HttpContext,
	method: 'GET' | 'PATCH',
	rawId: string,
	options: CallOptions,
	patch?: IDataObject[],
): Promise<IDataObject> {
	const datasetId = rawId.trim();
	const path = await datasetPath(context, datasetId, options);
	const retry: RetryPolicy = method === 'GET' ? 'safe' : 'never';
	return datasetOf(
		await datapressJson(
			context,
			method,
			path,
			retry,
			checkDataset,
			{ dataset: datasetId },
			options,
			patch,
		),
	);
}

export async function getDataset(
	context: HttpContext,
	rawId: string,
	options: CallOptions = {},
): Promise<IDataObject> {
	return await datasetCall(context, 'GET', rawId, options);
}

/** Applies a JSON Patch. Not repeated once it may have reached DataPress: a patch may not be idempotent. */
export async function patchDataset(
	context: HttpContext,
	rawId: string,
	patch: IDataObject[],
	options: CallOptions = {},
): Promise<IDataObject> {
	return await datasetCall(context, 'PATCH', rawId, options, patch);
}

/** Creates a dataset from a body already shaped for the site's generation. */
export async function createDataset(
	context: HttpContext,
	body: IDataObject,
	options: CallOptions = {},
): Promise<IDataObject> {
	const scope = {
		subject: `team "${String(body.team ?? body.parent ?? '')}" (creating dataset "${String(body.slug ?? body.title ?? '')}")`,
	};
	return datasetOf(
		await datapressJson(
			context,
			'POST',
			'/api/dataset',
			'never',
			checkDataset,
			scope,
			options,
			body,
		),
	);
}

export async function listTeams(
	context: HttpContext,
	options: CallOptions = {},
): Promise<IDataObject[]> {
	const path = (await siteGeneration(context, options)) === 'v4' ? '/api/v3/teams' : '/api/orgs';
	const check = (value: unknown) =>
		teamList(value) ? undefined : `${jsonKind(value)} that is not a list of teams`;
	const body = await datapressJson(
		context,
		'GET',
		path,
		'safe',
		check,
		{ subject: 'the teams' },
		options,
	);
	return teamList(body) ?? [];
}

/** DataPress 4's mastheads (the site JSON's `mastheads`, keyed by slug); a legacy site has none. */
export async function listMastheads(
	context: HttpContext,
	options: CallOptions = {},
): Promise<Array<{ id: string; title: string }>> {
	if ((await siteGeneration(context, options)) !== 'v4') return [];
	const check = (value: unknown) => {
		const mastheads = (value as IDataObject | null)?.mastheads;
		return mastheads && typeof mastheads === 'object' && !Array.isArray(mastheads)
			? undefined
			: `${jsonKind(value)} without mastheads`;
	};
	const site = (await datapressJson(
		context,
		'GET',
		'/api/v3/site',
		'safe',
		check,
		{ subject: 'the site' },
		options,
	)) as IDataObject;
	return Object.entries(site.mastheads as IDataObject).map(([id, masthead]) => ({
		id,
		title: String((masthead as IDataObject | null)?.title ?? id),
	}));
}

/** The credential's Base URL without a trailing slash (for page addresses and the download's origin). */
export async function siteBaseUrl(context: HttpContext): Promise<string> {
	return baseUrlOf(await context.getCredentials(CREDENTIAL_TYPE));
}

function baseUrlOf(credentials: ICredentialDataDecryptedObject): string {
	return String(credentials.baseUrl || DEFAULT_BASE_URL)
		.trim()
		.replace(/\/+$/, '');
}

/** How long the credential test waits for each whoami answer. */
const CREDENTIAL_TEST_TIMEOUT_MS = 30_000;

/**
 * whoami for the credential test. n8n gives a credential test function only its legacy `request` helper,
 * not the HTTP core's: so the key goes in Authorization by hand, as the credential's `authenticate` does,
 * redirects are not followed (the key must not reach another address) and the answer comes back whatever
 * its status.
 */
export async function whoamiForCredentialTest(
	context: ICredentialTestFunctions,
	credentials: ICredentialDataDecryptedObject,
	generation: Generation,
): Promise<WhoamiAnswer> {
	const response = (await context.helpers.request({
		method: 'GET',
		uri: `${baseUrlOf(credentials)}${WHOAMI_PATH[generation]}`,
		headers: { Authorization: String(credentials.apiKey ?? ''), Accept: 'application/json' },
		json: false,
		simple: false,
		resolveWithFullResponse: true,
		followRedirect: false,
		timeout: CREDENTIAL_TEST_TIMEOUT_MS,
	})) as { statusCode: number; body: unknown; headers?: Record<string, unknown> };
	const location = response.headers?.location;
	return {
		statusCode: response.statusCode,
		body: response.body,
		location: typeof location === 'string' ? location : undefined,
	};
}

/** Why a site has no dataset list, for the list search and Get Many. */
export const NO_DATASET_LIST =
	'The legacy DataPress API lists no datasets (it has no export or search endpoint), so there is nothing to list or search';

/**
 * Every dataset the key may read: DataPress 4's export (public datasets, and private ones the key's user
 * may read). Legacy sites have no such list: undefined.
 */
export async function listDatasets(
	context: HttpContext,
	options: CallOptions = {},
): Promise<IDataObject[] | undefined> {
	if ((await siteGeneration(context, options)) !== 'v4') return undefined;
	return (await datapressJson(
		context,
		'GET',
		EXPORT_PATH,
		'safe',
		checkDatasetList,
		{ subject: 'the list of datasets' },
		options,
	)) as IDataObject[];
}

const EXPORT_PATH = '/api/v3/datasets/export.json';

function checkDatasetList(value: unknown): string | undefined {
	return Array.isArray(value) &&
		value.every((entry) => entry && typeof entry === 'object' && !Array.isArray(entry))
		? undefined
		: `${jsonKind(value)} that is not a list of datasets`;
}

/** What a watcher's read gave: the answer with its validators, or 304 (the one it holds is current). */
export type WatchedRead<T> = { value: T; validators?: Validators } | { unchanged: true };

/**
 * The export for a watcher (the trigger): as `listDatasets`, within an outer deadline, and conditional on
 * the validators of the export the watcher holds, when given. Undefined on a legacy site.
 */
export async function readExport(
	context: HttpContext,
	options: CallOptions & { deadlineMs?: number } = {},
	conditional?: Validators,
): Promise<WatchedRead<IDataObject[]> | undefined> {
	if ((await siteGeneration(context, options)) !== 'v4') return undefined;
	const answer = await httpCall(context, DATAPRESS, {
		method: 'GET',
		path: EXPORT_PATH,
		conditional,
		retry: 'safe',
		expect: 'json',
		check: checkDatasetList,
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		deadlineMs: options.deadlineMs,
		itemIndex: options.itemIndex,
		scope: { subject: 'the list of datasets' },
	});
	if (answer.status === 304) return { unchanged: true };
	return { value: answer.body as IDataObject[], validators: validatorsOf(answer.headers) };
}

/**
 * A file's bytes, streamed (`/download/<dataset>/<file>/<name>` on the site's own host, with the key, so
 * that private files come too). A read: retried until the body starts; a body cut off is not resumed.
 */
export async function downloadFile(
	context: HttpContext,
	absoluteUrl: string,
	subject: string,
	options: CallOptions = {},
): Promise<Download> {
	const answer = await httpCall(context, DATAPRESS, {
		method: 'GET',
		path: new URL(absoluteUrl).pathname,
		absoluteUrl,
		retry: 'safe',
		expect: 'stream',
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		itemIndex: options.itemIndex,
		scope: { subject },
	});
	return answer.download as Download;
}

/**
 * A dataset for the trigger's Chosen Datasets: the dataset with its validators, `unchanged` when a
 * conditional read is answered 304, or undefined when the site answers 404 (it was removed). Any other
 * failure is thrown, as every read's.
 */
export async function getDatasetIfExists(
	context: HttpContext,
	rawId: string,
	options: CallOptions & { deadlineMs?: number } = {},
	conditional?: Validators,
): Promise<WatchedRead<IDataObject> | undefined> {
	const datasetId = rawId.trim();
	const answer = await httpCall(context, DATAPRESS, {
		method: 'GET',
		path: await datasetPath(context, datasetId, options),
		conditional,
		retry: 'safe',
		expect: 'json',
		check: checkDataset,
		accept: [404],
		redirects: 'sameOrigin',
		timeoutMs: options.timeoutMs,
		deadlineMs: options.deadlineMs,
		itemIndex: options.itemIndex,
		scope: { dataset: datasetId },
	});
	if (answer.status === 404) return undefined;
	if (answer.status === 304) return { unchanged: true };
	return { value: datasetOf(answer.body), validators: validatorsOf(answer.headers) };
}
