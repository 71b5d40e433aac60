/**
 * The n8n release lines the end-to-end suites run on, read by the suites and by `npm test` (scripts/test.mjs),
 * which installs them all before jest starts its workers.
 */
'use strict';

/** Single-process suites: 2 is n8n 2.40.7, 2.41 the newest 2.x that installs here (2.41.1), 1 the last 1.x
 * (1.123.81). E2E_N8N_LINES (e.g. "2") picks some of them. */
function singleProcessLines() {
	return (process.env.E2E_N8N_LINES || '2,2.41,1')
		.split(',')
		.map((line) => line.trim())
		.filter(Boolean);
}

/** Queue mode runs the pinned 2.x only. */
const QUEUE_LINE = '2';

module.exports = { singleProcessLines, QUEUE_LINE };
