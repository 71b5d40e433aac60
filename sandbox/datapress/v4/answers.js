/**
 * DataPress 4's answers, errors included. Error bodies are not documented (datapress-v4.md, open question
 * 8); the sandbox follows the shapes of DataPress's own client tests: 400-class refusals as
 * `{"statusCode", "message"}` (validation lists each field on a line of its own), 403 as
 * `{"error": "Insufficient permissions", "message"}`, 404 as `{"error": "... not found", "id"}`.
 */
'use strict';

const { sendJson } = require('../shared/server');

const answers = {
	ok: (response, value) => sendJson(response, 200, value),
	refused: (response, status, message) =>
		sendJson(response, status, { statusCode: status, message }),
	badRequest: (response, message) => answers.refused(response, 400, message),
	invalid: (response, errors) =>
		answers.refused(
			response,
			400,
			`There are validation errors.\n${errors.map((error) => `* ${error}`).join('\n')}`,
		),
	forbidden: (response, message) =>
		sendJson(response, 403, { error: 'Insufficient permissions', message }),
	notFound: (response, what, id) => sendJson(response, 404, { error: `${what} not found`, id }),
};

module.exports = answers;
