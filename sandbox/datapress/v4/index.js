/**
 * DataPress 4 sandbox: the API the London Datastore serves today (datapress-v4.md), over real HTTP, with
 * files on disk. state.js holds the data and rules, patch.js the JSON Patch edits, upload.js the files
 * (one request or in chunks), routes.js the endpoints; the HTTP shell, faults and control API are shared
 * with the legacy sandbox (../shared).
 *
 * Not part of the real API: the control API under `/_sandbox/` (reset, users, faults, logs, datasets,
 * publishing: `/_sandbox/changes` now, `/_sandbox/schedule` on a timer, see changes.js; and validators:
 * `/_sandbox/validators`, see ../shared/conditional.js).
 *
 * Options: `validators: { etag, lastModified }` makes the export and a dataset's GET carry them and answer
 * conditional requests (off by default: the documents show neither header).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createFaults } = require('../../faults');
const { createConditional } = require('../shared/conditional');
const { commonControl, createRequestLog, startApiServer } = require('../shared/server');
const { createRouter } = require('./routes');
const { createState } = require('./state');
const { createUploads } = require('./upload');
const { createChanges } = require('./changes');

async function startDataPress4Sandbox({ port = 0, host = '127.0.0.1', dataDir, validators } = {}) {
	const root = dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'datapress4-sandbox-'));
	const ownsDataDir = !dataDir;
	fs.mkdirSync(root, { recursive: true });
	const state = createState({ root });
	const faults = createFaults({ server: 'datapress' });
	const requestLog = createRequestLog();
	const uploads = createUploads(state);
	const conditional = createConditional(validators);
	const handle = createRouter(state, uploads, conditional);
	const changes = createChanges(state, uploads);
	let origin = '';

	const control = {
		...commonControl({ state, faults, requestLog }),
		reset: () => {
			changes.stopSchedule();
			state.reset();
			requestLog.clear();
			conditional.reset();
		},
		/** `{ etag, lastModified }`: validators and 304s on the export and dataset GETs, until a reset. */
		setValidators: (options) => conditional.configure(options),
		/** Publishing as the site's editors would (changes.js): applied now, in order. */
		applyChanges: (list) => changes.applyChanges(list),
		startSchedule: (options) => changes.startSchedule(options),
		stopSchedule: () => changes.stopSchedule(),
		schedule: () => changes.scheduleStatus(),
		/** A new user with a key; `teams` it is a member of, `managerOf` those it also manages. */
		addUser: ({
			key,
			title = 'Sandbox user',
			email = 'user@example.org',
			admin = false,
			teams = [],
			managerOf = [],
		}) => {
			const user = { key, id: state.nextUserId++, title, email, admin };
			state.users.set(key, user);
			for (const teamId of new Set([...teams, ...managerOf])) {
				const team = state.teams.get(teamId);
				if (team) team.users.push({ id: user.id, manager: managerOf.includes(teamId) });
			}
			return { ...user };
		},
		dataset: (id) => {
			const dataset = state.datasets.get(id);
			return dataset ? state.present(dataset, origin) : undefined;
		},
		resourceFilePath: (datasetId, resourceId) => {
			const file = state.files.get(`${datasetId}/${resourceId}`);
			return file ? file.path : undefined;
		},
		/** Chunked uploads: status and the parts received so far (on disk under `directory`). */
		uploads: () =>
			[...state.uploads.values()].map((upload) => ({
				id: upload.id,
				status: upload.status,
				datasetId: upload.datasetId,
				parts: upload.parts,
				received: [...upload.received.keys()].sort((a, b) => a - b),
				directory: upload.directory,
			})),
	};

	state.reset();
	const server = await startApiServer({
		port,
		host,
		faults,
		requestLog,
		control,
		controlRoutes: {
			'GET /_sandbox/uploads': () => control.uploads(),
			'POST /_sandbox/changes': (body) => ({ applied: control.applyChanges(body.changes) }),
			'POST /_sandbox/schedule': (body) => control.startSchedule(body),
			'POST /_sandbox/schedule/stop': () => control.stopSchedule(),
			'GET /_sandbox/schedule': () => control.schedule(),
			'POST /_sandbox/validators': (body) => control.setValidators(body),
		},
		handle: (request, response, url) => handle(request, response, url, origin),
	});
	origin = server.origin;

	return {
		url: origin,
		dataDir: root,
		control,
		async close() {
			changes.stopSchedule();
			await server.close();
			if (ownsDataDir) fs.rmSync(root, { recursive: true, force: true });
		},
	};
}

module.exports = { startDataPress4Sandbox };
