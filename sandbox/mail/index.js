/**
 * A local SMTP sink for the demo and the end-to-end tests: n8n's Send Email node delivers to it, and the
 * mails it received are listed at an HTTP URL (HTML for people, JSON for tests). Nothing leaves the machine.
 */
'use strict';

const http = require('node:http');
const { SMTPServer } = require('smtp-server');

/** Header fields of an RFC 5322 message (unfolded), plus the body after the first blank line. */
function parseMessage(raw) {
	const separator = raw.search(/\r?\n\r?\n/);
	const headerText = separator === -1 ? raw : raw.slice(0, separator);
	const body = separator === -1 ? '' : raw.slice(separator).replace(/^\r?\n\r?\n/, '');
	const headers = {};
	for (const line of headerText.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return { headers, body };
}

/** Decodes RFC 2047 encoded words (=?utf-8?B?...?= / =?utf-8?Q?...?=) as mail clients do for subjects. */
function decodeWords(value) {
	return String(value || '').replace(
		/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g,
		(_match, _charset, encoding, text) => {
			if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
			const bytes = text
				.replace(/_/g, ' ')
				.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex) => String.fromCharCode(parseInt(hex, 16)));
			return Buffer.from(bytes, 'latin1').toString('utf8');
		},
	);
}

function escapeHtml(text) {
	return String(text).replace(
		/[&<>"]/g,
		(c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
	);
}

async function startMailSink({ smtpPort = 0, httpPort = 0, host = '127.0.0.1' } = {}) {
	const messages = [];
	const smtp = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS'],
		logger: false,
		onAuth(_auth, _session, callback) {
			callback(null, { user: 'demo' });
		},
		onData(stream, session, callback) {
			const chunks = [];
			stream.on('data', (chunk) => chunks.push(chunk));
			stream.on('end', () => {
				const raw = Buffer.concat(chunks).toString('utf8');
				const { headers, body } = parseMessage(raw);
				messages.push({
					id: messages.length + 1,
					receivedAt: new Date().toISOString(),
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
					to: session.envelope.rcptTo.map((recipient) => recipient.address),
					subject: decodeWords(headers.subject),
					headers,
					body,
					raw,
				});
				callback();
			});
		},
	});
	await new Promise((resolve, reject) => {
		smtp.once('error', reject);
		smtp.listen(smtpPort, host, resolve);
	});

	const web = http.createServer((request, response) => {
		const url = new URL(request.url, 'http://localhost');
		if (url.pathname === '/api/messages') {
			response.setHeader('content-type', 'application/json');
			response.end(JSON.stringify(messages.map(({ raw, ...message }) => message)));
			return;
		}
		const match = url.pathname.match(/^\/messages\/(\d+)$/);
		if (match) {
			const message = messages[Number(match[1]) - 1];
			response.statusCode = message ? 200 : 404;
			response.setHeader('content-type', 'text/plain; charset=utf-8');
			response.end(message ? message.raw : 'No such message');
			return;
		}
		const rows = messages
			.slice()
			.reverse()
			.map(
				(message) =>
					`<tr><td>${escapeHtml(message.receivedAt)}</td><td>${escapeHtml(message.to.join(', '))}</td>` +
					`<td><a href="/messages/${message.id}">${escapeHtml(message.subject || '(no subject)')}</a></td></tr>`,
			)
			.join('');
		response.setHeader('content-type', 'text/html; charset=utf-8');
		response.end(
			`<!doctype html><title>Demo mailbox</title><h1>Demo mailbox</h1><p>${messages.length} mail(s) received by the local SMTP sink.</p>` +
				`<table border="1" cellpadding="4"><tr><th>Received</th><th>To</th><th>Subject</th></tr>${rows}</table>`,
		);
	});
	await new Promise((resolve, reject) => {
		web.once('error', reject);
		web.listen(httpPort, host, resolve);
	});

	return {
		smtpHost: host,
		smtpPort: smtp.server.address().port,
		url: `http://${host}:${web.address().port}`,
		messages: () => messages.map(({ raw, ...message }) => message),
		clear: () => {
			messages.length = 0;
		},
		async close() {
			await new Promise((resolve) => web.close(() => resolve()));
			await new Promise((resolve) => smtp.close(() => resolve()));
		},
	};
}

module.exports = { startMailSink, parseMessage, decodeWords };
