#!/usr/bin/env node
/**
 * What saving the UK Planning Trigger's static data costs on PostgreSQL, the database of n8n's queue
 * mode (`npm run bench:state-save -- --state FILE`). FILE is a saved copy of the trigger's state, as
 * `npm run bench:trigger-model -- --national --save-state FILE` writes it.
 *
 * n8n keeps a workflow's static data in the `staticData` json column of `workflow_entity` and, after a
 * poll that emitted, writes it with one UPDATE of that column, the object serialised as JSON (TypeORM's
 * json type). This script starts a PostgreSQL server as queue mode does (scripts/lib/queue-mode.cjs),
 * creates that column as n8n's first migration does, and times the serialisation and the UPDATE through
 * the `pg` driver of the installed n8n, --saves times (20). It measures the database write alone: not
 * n8n's own bookkeeping around it.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { ensureServices, startPostgres } = require(path.join(ROOT, 'scripts/lib/queue-mode.cjs'));

function arg(name, fallback) {
	const index = process.argv.indexOf(`--${name}`);
	return index === -1 ? fallback : process.argv[index + 1];
}

async function main() {
	const file = arg('state');
	if (!file)
		throw new Error('--state FILE: a saved trigger state (bench:trigger-model --save-state)');
	const saves = Number(arg('saves', 20));
	const state = JSON.parse(fs.readFileSync(file, 'utf8'));
	const { ensureN8n } = await import(path.join(ROOT, 'scripts', 'install-n8n.mjs'));
	const installed = ensureN8n({ line: '2' });
	const { Client } = require(require.resolve('pg', { paths: [installed.folder] }));
	const { pgBin, versions } = ensureServices();
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pds-state-save-'));
	const postgres = await startPostgres({ pgBin, folder });
	const client = new Client({
		host: '127.0.0.1',
		port: postgres.port,
		user: 'n8n',
		database: 'n8n',
	});
	try {
		await client.connect();
		await client.query(
			'CREATE TABLE workflow_entity ("id" SERIAL NOT NULL PRIMARY KEY, "name" character varying(128) NOT NULL, "staticData" json)',
		);
		await client.query(`INSERT INTO workflow_entity ("name") VALUES ('national watch')`);
		const staticData = { 'node:UK Planning Trigger': { state } };
		const times = [];
		let bytes = 0;
		for (let run = 0; run < saves; run++) {
			const began = process.hrtime.bigint();
			const json = JSON.stringify(staticData);
			await client.query('UPDATE workflow_entity SET "staticData" = $1 WHERE "id" = 1', [json]);
			times.push(Number(process.hrtime.bigint() - began) / 1e6);
			bytes = Buffer.byteLength(json);
		}
		times.sort((a, b) => a - b);
		const stored = await client.query(
			'SELECT pg_column_size("staticData") AS size FROM workflow_entity WHERE "id" = 1',
		);
		console.log(
			`static data of ${bytes} bytes (${stored.rows[0].size} bytes stored by PostgreSQL ${versions.postgres}, which compresses it): ${saves} saves, median ${times[Math.floor(saves / 2)].toFixed(1)} ms, slowest ${times[saves - 1].toFixed(1)} ms (JSON serialisation and the UPDATE)`,
		);
	} finally {
		await client.end().catch(() => undefined);
		await postgres.stop();
		fs.rmSync(folder, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
