/**
 * What the demo and the end-to-end tests import into n8n: credentials pointing at the local sandboxes, and
 * the example workflows of `examples/`. Ids are fixed so that the examples' nodes find their credentials.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const examplesFolder = path.resolve(__dirname, '..', '..', 'examples');

const CREDENTIAL_IDS = {
	ukPlanningApi: 'pdsPlanningCred1',
	londonDatastoreApi: 'pdsDatastoreCred1',
	smtp: 'pdsSmtpCred1',
};

/** Credentials for `n8n import:credentials` (plain `data`; n8n encrypts it on import). */
function demoCredentials({ planningUrl, datapressUrl, smtpHost, smtpPort, planningKey = 'demo-planning-key', datapressKey = 'demo-editor-key' }) {
	return [
		{
			id: CREDENTIAL_IDS.ukPlanningApi,
			name: 'UK Planning API (sandbox)',
			type: 'ukPlanningApi',
			data: { apiKey: planningKey, baseUrl: planningUrl },
		},
		{
			id: CREDENTIAL_IDS.londonDatastoreApi,
			name: 'London Datastore API (sandbox)',
			type: 'londonDatastoreApi',
			data: { apiKey: datapressKey, baseUrl: datapressUrl },
		},
		{
			id: CREDENTIAL_IDS.smtp,
			name: 'Demo mailbox (local SMTP sink)',
			type: 'smtp',
			data: { user: '', password: '', host: smtpHost, port: smtpPort, secure: false, disableStartTls: true },
		},
	];
}

/** The example workflows, parsed, in file-name order. */
function exampleWorkflows() {
	if (!fs.existsSync(examplesFolder)) return [];
	return fs
		.readdirSync(examplesFolder)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(fs.readFileSync(path.join(examplesFolder, file), 'utf8')) }));
}

module.exports = { CREDENTIAL_IDS, demoCredentials, exampleWorkflows, examplesFolder };
