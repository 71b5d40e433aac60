/**
 * Faults injected by tests (status with Retry-After, delay, dropped connection, connection dropped after N
 * bytes of the body), shared by the DataPress servers of both generations and the storage host. A fault
 * matches by server, method and path (a prefix or a regular expression), lets the first `skip` matching
 * requests through, and lasts `times` requests.
 */
'use strict';

function createFaults() {
	const list = [];
	return {
		add(fault) {
			list.push({ times: 1, skip: 0, server: 'datapress', ...fault });
		},
		clear() {
			list.length = 0;
		},
		take(server, method, requestPath) {
			const index = list.findIndex((fault) => {
				if (fault.times <= 0 || fault.server !== server) return false;
				if (fault.method && fault.method.toUpperCase() !== method) return false;
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

module.exports = { createFaults };
