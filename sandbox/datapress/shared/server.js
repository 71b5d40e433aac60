/**
 * The HTTP shell both DataPress generations run in: JSON answers, bodies read with a limit, the request
 * log (with the conditional headers a request carried), injected faults (sandbox/faults.js) and the control API under `/_sandbox/` (not part of the real
 * APIs). Each generation supplies its request handler and its control object.
 */
'use strict';

const fs = require('node:fs');
const http = require('node:http');

const { applyFault } = require('../../faults');
const { listen } = require('../../listen');

function sendJson(response, status, value) {
	response.writeHead(status, { 'content-type': 'application/json' });
	response.end(JSON.stringify(value));
}

async function readBody(request, limit = 10 * 1024 * 1024) {
	const chunks = [];
	let size = 0;
	for await (const chunk of request) {
		size += chunk.length;
		if (size > limit) throw Object.assign(new Error('Request body too large'), { status: 413 });
		chunks.push(chunk);
	}
	return Buffer.concat(chunks).toString('utf8');
}

/** Streams a stored file as a download; the name is sent both ASCII-safe and in UTF-8 (RFC 6266). */
function sendFile(response, file, contentType) {
	response.writeHead(200, {
		'content-type': contentType || 'application/octet-stream',
		'content-length': fs.statSync(file.path).size,
		'content-disposition': `attachment; filename="${file.fileName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
	});
	fs.createReadStream(file.path).pipe(response);
}

/**
 * A fault: the answer's head goes out as usual, its body stops after `bytes` bytes and the connection
 * closes, as a proxy or a crashed worker cuts an answer off.
 */
function cutAnswer(response, bytes) {
	let sent = 0;
	const write = response.write.bind(response);
	const cut = (chunk) => {
		const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
		const room = Math.max(0, bytes - sent);
		sent += buffer.length;
		if (room > 0) write(buffer.subarray(0, room));
		return sent < bytes;
	};
	response.write = (chunk) => {
		if (!cut(chunk)) response.socket.destroy();
		return true;
	};
	response.end = (chunk) => {
		if (chunk !== undefined) cut(chunk);
		// Let what was written go out, then close without finishing the body.
		response.socket.end();
		setImmediate(() => response.socket.destroy());
		return response;
	};
}

/** The log of API requests (control calls are not logged). */
function createRequestLog() {
	let entries = [];
	return {
		push: (entry) => entries.push(entry),
		entries: () => entries.map((entry) => ({ ...entry })),
		clear: () => {
			entries = [];
		},
	};
}

/**
 * The control calls every generation answers alike: reset (the state's `reset()` and the request log),
 * faults, and the request log. A generation spreads these into its control object and adds its own.
 */
function commonControl({ state, faults, requestLog }) {
	return {
		reset: () => {
			state.reset();
			requestLog.clear();
		},
		injectFault: (fault) => faults.add(fault),
		clearFaults: () => faults.clear(),
		requests: () => requestLog.entries(),
		clearLogs: () => requestLog.clear(),
	};
}

/** The control routes every generation has; `extra` adds a generation's own (`'POST /_sandbox/x': fn`). */
async function answerControl(request, response, url, control, extra = {}) {
	const body = request.method === 'POST' ? JSON.parse((await readBody(request)) || '{}') : {};
	const route = `${request.method} ${url.pathname}`;
	const routes = {
		'POST /_sandbox/reset': () => (control.reset(), { ok: true }),
		'POST /_sandbox/users': () => control.addUser(body),
		'POST /_sandbox/faults': () => (control.injectFault(body), { ok: true }),
		'GET /_sandbox/requests': () => control.requests(),
		'POST /_sandbox/logs/clear': () => (control.clearLogs(), { ok: true }),
		...extra,
	};
	if (routes[route]) return sendJson(response, 200, await routes[route](body));
	const datasetMatch = /^GET \/_sandbox\/datasets\/([^/]+)$/.exec(route);
	if (datasetMatch)
		return sendJson(response, 200, control.dataset(decodeURIComponent(datasetMatch[1])) || null);
	return sendJson(response, 404, { error: `Unknown control route ${route}` });
}

/**
 * Starts the server: `handle(request, response, url)` answers the API, `control` and `controlRoutes` the
 * `/_sandbox/` calls. Resolves `{ origin, port, close }`.
 */
async function startApiServer({ port, host, faults, requestLog, control, controlRoutes, handle }) {
	const server = http.createServer(async (request, response) => {
		const url = new URL(request.url, 'http://datapress');
		const entry = {
			at: new Date().toISOString(),
			method: request.method,
			path: url.pathname,
			hadAuthorization: request.headers.authorization !== undefined,
			status: 0,
		};
		// Conditional requests are recorded as sent, so that a test can show what a client asked.
		if (request.headers['if-none-match'] !== undefined)
			entry.ifNoneMatch = request.headers['if-none-match'];
		if (request.headers['if-modified-since'] !== undefined)
			entry.ifModifiedSince = request.headers['if-modified-since'];
		response.on('finish', () => {
			entry.status = response.statusCode;
		});
		try {
			if (url.pathname.startsWith('/_sandbox/'))
				return await answerControl(request, response, url, control, controlRoutes);
			requestLog.push(entry);
			const fault = faults.take('datapress', request.method, url.pathname);
			const answered = await applyFault(fault, request, response, {
				errorAnswer: (status) => ({
					contentType: 'application/json',
					body: JSON.stringify({ error: `Injected HTTP ${status}` }),
				}),
				onDropped: () => {
					entry.status = 'dropped';
				},
			});
			if (answered) return undefined;
			if (fault && fault.cutAfterBytes !== undefined) cutAnswer(response, fault.cutAfterBytes);
			// Faults a route carries out itself (the export's `keepFirst`).
			request.sandboxFault = fault;
			return await handle(request, response, url);
		} catch (error) {
			if (!response.headersSent)
				sendJson(response, error.status || 500, { error: String(error && error.message) });
			return undefined;
		}
	});
	return listen(server, port, host);
}

module.exports = {
	sendJson,
	readBody,
	sendFile,
	createRequestLog,
	commonControl,
	startApiServer,
};
