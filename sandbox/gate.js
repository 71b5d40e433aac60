/**
 * A gate in front of a sandbox for benchmarks (not part of the real APIs): it gives every request a
 * latency in simulated time and faults a share of requests, deciding per request, so that it stays right
 * when the client sends several requests at once.
 *
 * Latency: a request arriving at simulated time t is held until t + latency. The gate advances the
 * simulated clock as a discrete-event simulation: once nothing has happened for `quietMs` of real time
 * (no request arrived, none is being answered), it moves the clock to the earliest due time and releases
 * the requests due then. Concurrent requests therefore overlap in simulated time, sequential ones cost the
 * latency each, and nothing waits in real time beyond the quiet period.
 *
 * Faults, in the vocabulary of sandbox/faults.js: 429 with Retry-After 1, 503, an HTML 502 page from a
 * proxy, a connection dropped before an answer, and an answer lost after the charge (the API answers and
 * charges; the gate then drops the connection). Decided when the request arrives, from a seeded stream.
 */
'use strict';

const http = require('node:http');

const { applyFault } = require('./faults');

const FAULT_KINDS = ['429', '503', '502', 'drop', 'lost'];

/** How each kind is carried out (sandbox/faults.js fields; `lostAfterCharge` is the gate's own). */
const FAULT_ACTIONS = {
	429: { status: 429, retryAfter: 1 },
	503: { status: 503 },
	502: { status: 502 },
	drop: { drop: true },
	lost: { lostAfterCharge: true },
};

const BAD_GATEWAY_PAGE =
	'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/**
 * The fault for one request, or undefined. Only API requests (under /v1/) are faulted; a paid request
 * (return_data=1) at `paidRate` when one is given, others at `rate`. Draws one number, and a second
 * for the kind when it faults, so that the same requests in the same order get the same faults.
 */
function decideFault({ random, path, paid, rate, paidRate }) {
	if (!path.startsWith('/v1/')) return undefined;
	const share = paid && paidRate !== undefined ? paidRate : rate;
	if (!(random() < share)) return undefined;
	return FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)];
}

/**
 * The discrete-event part of the gate. `hold()` resolves when the request's simulated latency has
 * passed, `wait(ms)` when `ms` of simulated time has (a client's retry wait, so that it costs simulated
 * time and overlaps with other requests as a real one would); `begin()`/`end()` bracket the time the request is being answered (the clock does not move
 * then). With `auto` false nothing moves until `step()` is called (for tests).
 */
function createLatencyScheduler(clock, { latencyMs = 0, quietMs = 3, auto = true } = {}) {
	const pending = [];
	let inFlight = 0;
	let timer;

	// Every event restarts the quiet period: the clock moves only when the client has had time to send
	// whatever it sends next at the current simulated time.
	function arm() {
		if (!auto) return;
		if (timer) clearTimeout(timer);
		timer = setTimeout(step, quietMs);
	}

	/** Advances the clock to the earliest due time and releases what is due; false when it cannot. */
	function step() {
		timer = undefined;
		if (inFlight > 0 || !pending.length) return false;
		clock.advanceTo(Math.min(...pending.map((entry) => entry.dueMs)));
		const now = clock.now();
		const due = pending.filter((entry) => entry.dueMs <= now);
		for (const entry of due) pending.splice(pending.indexOf(entry), 1);
		for (const entry of due) entry.release(now);
		return true;
	}

	/** Resolves once `ms` of simulated time has passed (a request's latency, or a client's sleep). */
	function wait(ms) {
		const dueMs = clock.now() + ms;
		if (!(ms > 0)) return Promise.resolve(clock.now());
		return new Promise((release) => {
			pending.push({ dueMs, release });
			arm();
		});
	}

	return {
		hold: () => wait(latencyMs),
		wait,
		begin() {
			inFlight++;
		},
		end() {
			inFlight--;
			arm();
		},
		step,
		get pending() {
			return pending.length;
		},
		get inFlight() {
			return inFlight;
		},
		close() {
			if (timer) clearTimeout(timer);
			timer = undefined;
		},
	};
}

function newKeyStats() {
	return { requests: 0, paid: 0, faults: 0, byKind: {}, lostCredits: 0 };
}

/** The API's error answers: JSON in the API's envelope, but the 502 is a proxy's HTML page. */
function errorAnswer(status) {
	if (status === 502) return { contentType: 'text/html', body: BAD_GATEWAY_PAGE, headers: {} };
	return {
		contentType: 'application/json',
		body: JSON.stringify({
			response: {
				status: 'ERROR',
				message: status === 429 ? 'Too many requests' : `Service unavailable (HTTP ${status})`,
			},
		}),
		headers: {},
	};
}

/** Credits an answer charged (0 when it is not a charged search answer). */
function consumedCredits(body) {
	try {
		return Number(JSON.parse(body).response.credits.consumed) || 0;
	} catch {
		return 0;
	}
}

/**
 * Starts the gate on 127.0.0.1 in front of `target` (an origin). `faults`: `{ rate, paidRate, random }`,
 * changeable with `setFaults`. Stats are kept per API key (`stats(key)`, `resetStats()`).
 */
async function startGate({ target, clock, latencyMs = 0, quietMs = 3, faults = {} }) {
	const scheduler = createLatencyScheduler(clock, { latencyMs, quietMs });
	let faultSettings = { rate: 0, paidRate: undefined, random: Math.random, ...faults };
	let byKey = new Map();
	const agent = new http.Agent({ keepAlive: true });
	const statsOf = (key) => {
		if (!byKey.has(key)) byKey.set(key, newKeyStats());
		return byKey.get(key);
	};

	function forward(request, response, onAnswer) {
		const upstream = http.request(
			`${target}${request.url}`,
			{ method: request.method, headers: request.headers, agent },
			(answer) => onAnswer(answer),
		);
		upstream.on('error', () => request.socket.destroy());
		request.pipe(upstream);
	}

	async function handle(request, response) {
		const url = new URL(request.url, 'http://gate');
		const key = url.searchParams.get('key') || '';
		const paid = url.searchParams.get('return_data') === '1';
		const stats = statsOf(key);
		stats.requests++;
		if (paid) stats.paid++;
		const kind = decideFault({
			random: faultSettings.random,
			path: url.pathname,
			paid,
			rate: faultSettings.rate,
			paidRate: faultSettings.paidRate,
		});
		if (kind) {
			stats.faults++;
			stats.byKind[kind] = (stats.byKind[kind] || 0) + 1;
		}
		// 'close' comes when the answer is sent and when the connection is dropped alike; a client that
		// gives up while its request is held must not leave the gate thinking it is being answered.
		let phase = 'held';
		response.on('close', () => {
			if (phase === 'answering') scheduler.end();
			phase = 'closed';
		});
		await scheduler.hold();
		if (phase === 'closed') return;
		phase = 'answering';
		scheduler.begin();
		const action = kind ? FAULT_ACTIONS[kind] : undefined;
		if (action && !action.lostAfterCharge) {
			await applyFault(action, request, response, { errorAnswer });
			return;
		}
		forward(request, response, (answer) => {
			if (action && action.lostAfterCharge) {
				// The API answered and charged; the answer never reaches the client.
				const chunks = [];
				answer.on('data', (chunk) => chunks.push(chunk));
				answer.on('end', () => {
					stats.lostCredits += consumedCredits(Buffer.concat(chunks).toString('utf8'));
					request.socket.destroy();
				});
				return;
			}
			response.writeHead(answer.statusCode, answer.headers);
			// An answer the server cut off is cut off here too (a pipe alone would leave the client waiting).
			answer.on('aborted', () => response.destroy());
			answer.on('error', () => response.destroy());
			answer.pipe(response);
		});
	}

	const server = http.createServer((request, response) => {
		handle(request, response).catch(() => request.socket.destroy());
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		scheduler,
		stats: (key) => statsOf(key),
		resetStats() {
			byKey = new Map();
		},
		setFaults(settings) {
			faultSettings = { ...faultSettings, ...settings };
		},
		async close() {
			scheduler.close();
			agent.destroy();
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

module.exports = { startGate, createLatencyScheduler, decideFault, FAULT_KINDS };
