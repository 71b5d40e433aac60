/**
 * Injected faults, one vocabulary for every sandbox server (not part of the real APIs). A fault matches
 * by `server` ('planning', 'datapress' or 'storage'), `method`, `path` (a prefix or a regular expression)
 * and, on the Planning API, `returnData` ('0' a free count, '1' a paid search); lets the first `skip`
 * matching requests through; lasts `times` requests; and does, in this order: `delayMs` (wait), `drop`
 * (close the connection without an answer), `dropAfterBytes` (close it once that much of the body
 * arrived), `body` (answer `status`, default 200, with this text as `contentType`, default text/html: a
 * proxy's page), `status` (answer it, with `retryAfter`, in the server's own error format). On the Planning
 * API, `afterRun` with `status` or `drop` runs the request first (a paid search charges), as when a
 * gateway's 502 or 504, or a lost connection, comes after the API did its work. A server may carry out
 * further kinds itself (DataPress: `cutAfterBytes`, `keepFirst`; see its shared server).
 */
'use strict';

function createFaults({ server: defaultServer }) {
	const list = [];
	return {
		add(fault) {
			list.push({ times: 1, skip: 0, server: defaultServer, ...fault });
		},
		clear() {
			list.length = 0;
		},
		/** The fault for this request, if one matches; `attributes` are further fields to match (returnData). */
		take(server, method, requestPath, attributes = {}) {
			const index = list.findIndex((fault) => {
				if (fault.times <= 0 || fault.server !== server) return false;
				if (fault.method && fault.method.toUpperCase() !== method) return false;
				for (const [name, value] of Object.entries(attributes)) {
					if (fault[name] !== undefined && String(fault[name]) !== String(value)) return false;
				}
				if (fault.path) {
					const prefixMatch = requestPath.startsWith(fault.path);
					let regexMatch = false;
					try {
						regexMatch = new RegExp(fault.path).test(requestPath);
					} catch {
						regexMatch = false;
					}
					if (!prefixMatch && !regexMatch) return false;
				}
				return true;
			});
			if (index === -1) return undefined;
			const fault = list[index];
			// `skip`: the first matching requests pass, so that a test can fail, say, the second chunk.
			if (fault.skip > 0) {
				fault.skip -= 1;
				return undefined;
			}
			fault.times -= 1;
			if (fault.times <= 0) list.splice(index, 1);
			return fault;
		},
	};
}

/**
 * Carries out a fault. `errorAnswer(status)` gives the server's error format: `{ contentType, body,
 * headers }`; `onDropped()` records a dropped request. Resolves true when the fault answered or dropped
 * the request itself, false when the server should answer it (no fault, a delay, or a drop that waits for
 * the body).
 */
async function applyFault(fault, request, response, { errorAnswer, onDropped = () => {} }) {
	if (!fault) return false;
	// The request is still served after the delay, even when its client has given up (the real API would
	// still run and charge). Unreferenced: a delay must not keep a process alive after its server closed
	// (a test worker's last test would hold jest's worker open until it fired).
	if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
	if (fault.drop) {
		onDropped();
		request.socket.destroy();
		return true;
	}
	if (fault.dropAfterBytes !== undefined) {
		let seen = 0;
		request.on('data', (chunk) => {
			seen += chunk.length;
			if (seen >= fault.dropAfterBytes && !request.socket.destroyed) {
				onDropped();
				request.socket.destroy();
			}
		});
	}
	if (fault.body !== undefined) {
		request.resume();
		response.writeHead(fault.status || 200, { 'content-type': fault.contentType || 'text/html' });
		response.end(String(fault.body));
		return true;
	}
	if (fault.status) {
		request.resume();
		const answer = errorAnswer(fault.status);
		const headers = { 'content-type': answer.contentType, ...answer.headers };
		if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
		response.writeHead(fault.status, headers);
		response.end(answer.body);
		return true;
	}
	return false;
}

module.exports = { createFaults, applyFault };
