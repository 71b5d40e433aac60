/**
 * A small misbehaving HTTP server for the fault suite: node's http on 127.0.0.1, port 0. Each test sets
 * how it answers (`answerWith`); every request is recorded with its headers and body size, so that a test
 * can show what reached it (a second instance stands for "another origin" and proves no key arrived).
 */
'use strict';

const http = require('node:http');

async function startFaultServer() {
	const requests = [];
	let handler = (request, response) => json(response, 200, {});
	const sockets = new Set();
	const server = http.createServer((request, response) => {
		const chunks = [];
		let size = 0;
		request.on('data', (chunk) => {
			size += chunk.length;
			if (size <= 1024 * 1024) chunks.push(chunk);
		});
		request.on('end', () => {
			const entry = {
				method: request.method,
				url: request.url,
				path: request.url.split('?')[0],
				headers: request.headers,
				bodySize: size,
				body: Buffer.concat(chunks).toString('utf8'),
				closedEarly: false,
			};
			requests.push(entry);
			response.on('close', () => {
				if (!response.writableFinished) entry.closedEarly = true;
			});
			handler(request, response, entry);
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}`;
	return {
		url,
		requests,
		/** `(request, response, entry) => void`: how the next requests are answered. */
		answerWith(next) {
			handler = next;
		},
		clear() {
			requests.length = 0;
		},
		async close() {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

function json(response, status, value, headers = {}) {
	const body = typeof value === 'string' ? value : JSON.stringify(value);
	response.writeHead(status, {
		'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(body),
		...headers,
	});
	response.end(body);
}

function html(response, status, body) {
	response.writeHead(status, { 'Content-Type': 'text/html' });
	response.end(body);
}

/** Headers at once, then one byte every `everyMs` for ever: a body that never completes. */
function trickle(response, everyMs = 300) {
	response.writeHead(200, { 'Content-Type': 'application/json' });
	response.write('{');
	const timer = setInterval(() => {
		if (response.destroyed || response.writableEnded) return clearInterval(timer);
		response.write(' ');
	}, everyMs);
	response.on('close', () => clearInterval(timer));
}

/** Never answers. */
function hang() {}

/** Reads the whole request, then closes the connection without a word. */
function drop(request) {
	request.socket.destroy();
}

function redirect(response, status, location) {
	response.writeHead(status, { Location: location, 'Content-Length': 0 });
	response.end();
}

module.exports = { startFaultServer, json, html, trickle, hang, drop, redirect };
