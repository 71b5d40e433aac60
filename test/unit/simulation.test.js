/**
 * The trigger benchmark's simulation pieces (sandbox/simclock.js, sandbox/gate.js): the simulated clock
 * that Date reads, the per-request fault decision, and the latency gate's discrete-event clock, the last
 * over real sockets on 127.0.0.1. Assertions are on simulated time and on what reached the server, never
 * on how long anything took.
 */
'use strict';

const http = require('node:http');

const { createSimClock } = require('../../sandbox/simclock');
const {
	createLatencyScheduler,
	decideFault,
	startGate,
	FAULT_KINDS,
} = require('../../sandbox/gate');
const { mulberry32 } = require('../../sandbox/planning/feed');

const T0 = Date.parse('2026-11-20T12:00:00Z');

describe('simulated clock', () => {
	test('Date.now() and new Date() read it while installed; other dates and statics are untouched', () => {
		const realNow = Date.now();
		const clock = createSimClock(T0).install();
		try {
			expect(Date.now()).toBe(T0);
			expect(new Date().toISOString()).toBe('2026-11-20T12:00:00.000Z');
			expect(new Date(0).getTime()).toBe(0);
			expect(new Date(2026, 0, 1)).toBeInstanceOf(Date);
			expect(Date.parse('2026-01-01T00:00:00Z')).toBe(1767225600000);
			expect(Date.UTC(2026, 0, 1)).toBe(1767225600000);
			expect(typeof Date()).toBe('string');
			clock.advanceTo(T0 + 5000);
			expect(Date.now()).toBe(T0 + 5000);
			clock.advanceTo(T0);
			expect(Date.now()).toBe(T0 + 5000);
		} finally {
			clock.uninstall();
		}
		expect(Date.now()).toBeGreaterThanOrEqual(realNow);
		expect(Date.now()).not.toBe(T0 + 5000);
	});
});

describe('fault decision', () => {
	const decide = (random, overrides = {}) =>
		decideFault({ random, path: '/v1/search', paid: false, rate: 0.03, ...overrides });

	test('about the rate, every kind, and the same faults for the same seed', () => {
		const run = () => {
			const random = mulberry32(5);
			return Array.from({ length: 20000 }, () => decide(random));
		};
		const first = run();
		expect(run()).toEqual(first);
		const faulted = first.filter(Boolean);
		expect(faulted.length / first.length).toBeGreaterThan(0.025);
		expect(faulted.length / first.length).toBeLessThan(0.035);
		expect(new Set(faulted)).toEqual(new Set(FAULT_KINDS));
	});

	test('paid requests at the paid rate, free ones at the base rate; only API paths', () => {
		const always = () => 0.5;
		expect(decide(always, { rate: 0, paidRate: 1, paid: true })).toBe('502');
		expect(decide(always, { rate: 0, paidRate: 1, paid: false })).toBeUndefined();
		expect(decide(always, { rate: 1, paidRate: 0, paid: true })).toBeUndefined();
		expect(decide(always, { rate: 1, paid: true })).toBe('502');
		expect(decide(always, { rate: 1, path: '/_sandbox/clock' })).toBeUndefined();
	});
});

describe('latency scheduler', () => {
	test('concurrent requests overlap, sequential ones cost the latency each', async () => {
		const clock = createSimClock(T0);
		const scheduler = createLatencyScheduler(clock, { latencyMs: 300, auto: false });
		const released = [];
		const a = scheduler.hold().then((at) => released.push(['a', at]));
		const b = scheduler.hold().then((at) => released.push(['b', at]));
		expect(scheduler.pending).toBe(2);
		expect(scheduler.step()).toBe(true);
		await Promise.all([a, b]);
		expect(released).toEqual([
			['a', T0 + 300],
			['b', T0 + 300],
		]);
		const c = scheduler.hold();
		scheduler.step();
		expect(await c).toBe(T0 + 600);
		expect(clock.now()).toBe(T0 + 600);
	});

	test('the clock does not move while a request is being answered, and not past the earliest due', async () => {
		const clock = createSimClock(T0);
		const scheduler = createLatencyScheduler(clock, { latencyMs: 300, auto: false });
		const first = scheduler.hold();
		scheduler.begin();
		expect(scheduler.step()).toBe(false);
		expect(clock.now()).toBe(T0);
		scheduler.end();
		scheduler.step();
		expect(await first).toBe(T0 + 300);
		const second = scheduler.hold();
		clock.advanceTo(T0 + 400);
		const third = scheduler.hold();
		scheduler.step();
		expect(await second).toBe(T0 + 600);
		expect(scheduler.pending).toBe(1);
		scheduler.step();
		expect(await third).toBe(T0 + 700);
	});

	test('a client waiting (a retry) is an event like a request', async () => {
		const clock = createSimClock(T0);
		const scheduler = createLatencyScheduler(clock, { latencyMs: 300, auto: false });
		const request = scheduler.hold();
		const sleeper = scheduler.wait(1000);
		scheduler.step();
		expect(await request).toBe(T0 + 300);
		scheduler.step();
		expect(await sleeper).toBe(T0 + 1000);
	});

	test('no latency: released at once, the clock stays', async () => {
		const clock = createSimClock(T0);
		const scheduler = createLatencyScheduler(clock, { latencyMs: 0, auto: false });
		expect(await scheduler.hold()).toBe(T0);
		expect(scheduler.pending).toBe(0);
	});
});

describe('gate over HTTP', () => {
	let upstream;
	let origin;
	let clock;
	const seen = [];

	beforeAll(async () => {
		clock = createSimClock(T0).install();
		upstream = http.createServer((request, response) => {
			seen.push({ url: request.url, at: Date.now() });
			response.writeHead(200, { 'content-type': 'application/json' });
			response.end(JSON.stringify({ response: { credits: { consumed: 7 }, status: 'OK' } }));
		});
		await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
		origin = `http://127.0.0.1:${upstream.address().port}`;
	});

	afterAll(async () => {
		clock.uninstall();
		upstream.closeAllConnections();
		await new Promise((resolve) => upstream.close(resolve));
	});

	test('four requests at once reach the server together, the next one a latency later', async () => {
		seen.length = 0;
		clock.set(T0);
		const gate = await startGate({ target: origin, clock, latencyMs: 300, quietMs: 2 });
		try {
			const get = (n) => fetch(`${gate.url}/v1/search?key=k&n=${n}`).then((r) => r.json());
			await Promise.all([1, 2, 3, 4].map(get));
			await get(5);
			expect(seen.map((entry) => entry.at - T0)).toEqual([300, 300, 300, 300, 600]);
			expect(gate.stats('k').requests).toBe(5);
		} finally {
			await gate.close();
		}
	});

	test('a client that gives up while its request is held does not stall the gate', async () => {
		seen.length = 0;
		clock.set(T0);
		// A long quiet period, so that the request is surely still held when its client gives up.
		const gate = await startGate({ target: origin, clock, latencyMs: 300, quietMs: 100 });
		try {
			const controller = new AbortController();
			const given = fetch(`${gate.url}/v1/search?key=k&n=1`, { signal: controller.signal }).catch(
				() => 'gave up',
			);
			while (gate.stats('k').requests < 1) await new Promise((resolve) => setImmediate(resolve));
			controller.abort();
			expect(await given).toBe('gave up');
			const next = await fetch(`${gate.url}/v1/search?key=k&n=2`);
			expect(next.status).toBe(200);
			expect(seen.map((entry) => entry.url)).toEqual(['/v1/search?key=k&n=2']);
			expect(gate.scheduler.inFlight).toBe(0);
		} finally {
			await gate.close();
		}
	});

	test('an answer lost after the charge reaches the server, not the client, and its credits are counted', async () => {
		seen.length = 0;
		clock.set(T0);
		const gate = await startGate({
			target: origin,
			clock,
			faults: { rate: 1, random: () => 0.9 },
		});
		try {
			await expect(fetch(`${gate.url}/v1/search?key=k&return_data=1`)).rejects.toThrow();
			expect(seen).toHaveLength(1);
			expect(gate.stats('k')).toMatchObject({ requests: 1, paid: 1, faults: 1, lostCredits: 7 });
			expect(gate.stats('k').byKind).toEqual({ lost: 1 });
		} finally {
			await gate.close();
		}
	});

	test('a 502 is a proxy HTML page and a 429 says when to retry; neither reaches the server', async () => {
		seen.length = 0;
		const gate = await startGate({ target: origin, clock, faults: { rate: 1, random: () => 0.5 } });
		try {
			const bad = await fetch(`${gate.url}/v1/search?key=k`);
			expect(bad.status).toBe(502);
			expect(bad.headers.get('content-type')).toBe('text/html');
			expect(await bad.text()).toContain('502 Bad Gateway');
			gate.setFaults({ random: () => 0.1 });
			const busy = await fetch(`${gate.url}/v1/search?key=k`);
			expect(busy.status).toBe(429);
			expect(busy.headers.get('retry-after')).toBe('1');
			expect(seen).toHaveLength(0);
		} finally {
			await gate.close();
		}
	});
});
