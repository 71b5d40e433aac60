/**
 * Legacy DataPress sandbox (the API of the seed and api-facts.md, served by data.london.gov.uk before DataPress 4)
 * with the storage sandbox it presigns uploads for.
 * Datasets are JSON documents changed by RFC 6902 patches applied atomically (fast-json-patch, on a copy
 * committed only when every operation succeeded); files arrive as multipart/form-data streamed to disk with
 * their MD5 computed on the way, or through the storage host and a patch that adds them by `origin`.
 * state.js holds the data and rules, validation.js what is refused, patch.js the patches, upload.js the
 * one-request uploads, routes.js the endpoints; the HTTP shell, faults and control API are shared with the
 * DataPress 4 sandbox (../shared).
 *
 * Not part of the real API: the control API under `/_sandbox/` (users, faults, logs, presign expiry).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startStorageSandbox } = require('../../storage');
const { createFaults } = require('../../faults');
const { commonControl, createRequestLog, startApiServer } = require('../shared/server');
const { createRouter } = require('./routes');
const { createState, STORAGE_CREDENTIALS, uuid } = require('./state');
const { MAX_MULTIPART_BYTES } = require('./upload');

async function startDatastoreSandboxes({
	port = 0,
	storagePort = 0,
	host = '127.0.0.1',
	dataDir,
	seed = 1,
} = {}) {
	const root = dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'datapress-sandbox-'));
	const ownsDataDir = !dataDir;
	fs.mkdirSync(root, { recursive: true });
	const faults = createFaults({ server: 'datapress' });
	const requestLog = createRequestLog();
	const storage = await startStorageSandbox({
		port: storagePort,
		host,
		dataDir: root,
		secrets: { [STORAGE_CREDENTIALS.accessKeyId]: STORAGE_CREDENTIALS.secretAccessKey },
		faults,
	});
	const state = createState({ root, storage, seed });
	const handle = createRouter(state);

	const control = {
		...commonControl({ state, faults, requestLog }),
		addUser: ({
			key,
			title = 'Sandbox user',
			email = 'user@example.org',
			editorOf = [],
			memberOf,
			admin = false,
		}) => {
			const user = {
				key,
				id: uuid(),
				title,
				email,
				admin,
				editorOf,
				memberOf: memberOf || editorOf,
			};
			state.users.set(key, user);
			return { ...user };
		},
		setPresignExpirySeconds: (seconds) => {
			state.presignExpirySeconds = Number(seconds);
		},
		storageLog: () => storage.log(),
		storageObjects: () => storage.objects(),
		clearLogs: () => {
			requestLog.clear();
			storage.clearLog();
		},
		dataset: (idOrSlug) => {
			const dataset = state.findDataset(idOrSlug);
			return dataset ? state.withUrls(dataset) : undefined;
		},
		storedObjectPath: (key) => (storage.object(key) ? storage.object(key).path : undefined),
		resourceFilePath: (idOrSlug, resourceId) => {
			const dataset = state.findDataset(idOrSlug);
			const file = dataset ? state.files.get(`${dataset.id}/${resourceId}`) : undefined;
			return file ? file.path : undefined;
		},
	};

	state.reset();

	const server = await startApiServer({
		port,
		host,
		faults,
		requestLog,
		control,
		controlRoutes: {
			'POST /_sandbox/presign-expiry': (body) => (
				control.setPresignExpirySeconds(body.seconds),
				{ ok: true }
			),
			'GET /_sandbox/storage-log': () => control.storageLog(),
		},
		handle,
	});
	state.origin = server.origin;

	return {
		url: server.origin,
		storageUrl: storage.origin,
		dataDir: root,
		control,
		async close() {
			await server.close();
			await storage.close();
			if (ownsDataDir) fs.rmSync(root, { recursive: true, force: true });
		},
	};
}

module.exports = { startDatastoreSandboxes, MAX_MULTIPART_BYTES, STORAGE_CREDENTIALS };
