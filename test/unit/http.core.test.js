/** The shared HTTP core's pure parts: retry decisions, Retry-After, deadlines, scrubbing and answer checks. */
'use strict';

const {
	decideRetry,
	parseRetryAfter,
	backoffMs,
	surelyNotRun,
	outcomeUnknown,
	MAX_ATTEMPTS,
} = require('../../nodes/shared/http/policy.ts');
const {
	callDeadline,
	checkTimeout,
	declaredLength,
	downloadDeadline,
	uploadAllowanceMs,
	DEFAULT_TIMEOUT_MS,
} = require('../../nodes/shared/http/deadline.ts');
const { scrubText, scrubDeep } = require('../../nodes/shared/http/scrub.ts');
const {
	parseJson,
	excerpt,
	pathSegment,
	validatorsOf,
	conditionalHeaders,
} = require('../../nodes/shared/http/answer.ts');
const { cutOffStatus } = require('../../nodes/shared/http/failure.ts');
const { describeFailure, withOutcomeNote } = require('../../nodes/shared/http/describe.ts');

const NOW = Date.parse('2026-11-20T12:00:00Z');
const LATER = NOW + 60_000;
const status = (code, retryAfterSeconds) => ({
	kind: 'status',
	status: code,
	body: '',
	retryAfterSeconds,
});
const decide = (policy, failure, attempt = 1, deadlineMs = LATER) =>
	decideRetry({ policy, failure, attempt, nowMs: NOW, deadlineMs });

describe('retry decision', () => {
	test('safe calls are retried after 429, 5xx, network errors, slow attempts and cut-off answers', () => {
		for (const failure of [
			status(429),
			status(500),
			status(503),
			{ kind: 'network', code: 'ECONNRESET' },
			{ kind: 'timeout', timeoutMs: 1000 },
			{ kind: 'answer', status: 200, problem: 'truncated', detail: '' },
		]) {
			expect(decide('safe', failure)).toEqual({ retry: true, waitMs: 500 });
		}
	});

	test('what a retry cannot fix is final, whatever the policy', () => {
		for (const failure of [
			status(400),
			status(403),
			status(404),
			status(409),
			status(413),
			status(501),
		]) {
			expect(decide('safe', failure)).toEqual({ retry: false, why: 'final' });
		}
		expect(decide('safe', { kind: 'answer', status: 200, problem: 'html', detail: '' })).toEqual({
			retry: false,
			why: 'final',
		});
		expect(
			decide('safe', { kind: 'redirect', status: 302, location: 'x', crossOrigin: true }),
		).toEqual({ retry: false, why: 'final' });
	});

	test('a `never` call is repeated only when the server surely did not run it', () => {
		expect(decide('never', status(429)).retry).toBe(true);
		expect(decide('never', { kind: 'network', code: 'ECONNREFUSED' }).retry).toBe(true);
		expect(decide('never', status(503))).toEqual({ retry: false, why: 'policy' });
		expect(decide('never', { kind: 'network', code: 'ECONNRESET' })).toEqual({
			retry: false,
			why: 'policy',
		});
		expect(decide('never', { kind: 'timeout', timeoutMs: 1000 })).toEqual({
			retry: false,
			why: 'policy',
		});
		expect(
			decide('never', { kind: 'answer', status: 200, problem: 'truncated', detail: '' }),
		).toEqual({ retry: false, why: 'policy' });
	});

	test('`refusalsOnly` adds a 503 carrying Retry-After, and no other server error', () => {
		expect(decide('refusalsOnly', status(503, 2))).toEqual({ retry: true, waitMs: 2000 });
		expect(decide('refusalsOnly', status(429)).retry).toBe(true);
		for (const code of [500, 502, 503, 504])
			expect(decide('refusalsOnly', status(code))).toEqual({ retry: false, why: 'policy' });
		expect(decide('refusalsOnly', status(507)).retry).toBe(false);
		expect(decide('refusalsOnly', status(502, 2))).toEqual({ retry: false, why: 'policy' });
		expect(decide('refusalsOnly', { kind: 'network', code: 'ECONNRESET' })).toEqual({
			retry: false,
			why: 'policy',
		});
		expect(surelyNotRun(status(503, 2), 'never')).toBe(false);
		expect(surelyNotRun(status(503, 2), 'refusalsOnly')).toBe(true);
	});

	test('Retry-After is honoured up to the cap; past it the call gives up at once', () => {
		expect(decide('safe', status(429, 7))).toEqual({ retry: true, waitMs: 7000 });
		expect(decide('safe', status(429, 3600))).toEqual({ retry: false, why: 'retryAfter' });
	});

	test('bounded: at most MAX_ATTEMPTS, with exponential backoff', () => {
		expect([1, 2, 3].map((attempt) => backoffMs(attempt))).toEqual([500, 1000, 2000]);
		expect(decide('safe', status(503), MAX_ATTEMPTS)).toEqual({ retry: false, why: 'attempts' });
	});

	test('no retry begins that the deadline would cut short', () => {
		expect(decide('safe', status(503), 1, NOW + 1400)).toEqual({ retry: false, why: 'deadline' });
		expect(decide('safe', status(429, 5), 1, NOW + 5500)).toEqual({
			retry: false,
			why: 'deadline',
		});
		expect(decide('safe', status(503), 1, NOW + 1600).retry).toBe(true);
	});

	test('parseRetryAfter reads seconds and HTTP dates', () => {
		expect(parseRetryAfter('7', NOW)).toBe(7);
		expect(parseRetryAfter('1.2', NOW)).toBe(2);
		expect(parseRetryAfter(new Date(NOW + 60_000).toUTCString(), NOW)).toBe(60);
		expect(parseRetryAfter('nonsense', NOW)).toBeUndefined();
		expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
	});
});

describe('outcome of a failed write', () => {
	test('a change may have been applied when its answer was lost, not when it was refused', () => {
		expect(outcomeUnknown({ kind: 'timeout', timeoutMs: 1 }, 'never')).toBe(true);
		expect(outcomeUnknown({ kind: 'network', code: 'ECONNRESET' }, 'never')).toBe(true);
		expect(
			outcomeUnknown({ kind: 'answer', status: 200, problem: 'html', detail: '' }, 'never'),
		).toBe(true);
		expect(outcomeUnknown(status(500), 'never')).toBe(true);
		expect(outcomeUnknown(status(502), 'refusalsOnly')).toBe(true);
		expect(outcomeUnknown(status(503), 'refusalsOnly')).toBe(true);
		expect(outcomeUnknown(status(503, 2), 'refusalsOnly')).toBe(false);
		expect(outcomeUnknown({ kind: 'network', code: 'ECONNREFUSED' }, 'never')).toBe(false);
		expect(outcomeUnknown(status(429), 'refusalsOnly')).toBe(false);
		expect(outcomeUnknown({ kind: 'timeout', timeoutMs: 1 }, 'safe')).toBe(false);
	});
});

describe('deadline', () => {
	test('one deadline per call: the Timeout, capped by an outer deadline, never under the minimum', () => {
		expect(callDeadline(NOW, undefined)).toBe(NOW + DEFAULT_TIMEOUT_MS);
		expect(callDeadline(NOW, 2000)).toBe(NOW + 2000);
		expect(callDeadline(NOW, 10_000, NOW + 3000)).toBe(NOW + 3000);
		expect(callDeadline(NOW, 10_000, NOW - 5000)).toBe(NOW + 1000);
		expect(callDeadline(NOW, 10, undefined)).toBe(NOW + 1000);
	});

	test('uploads earn one second per 256 KiB', () => {
		expect(uploadAllowanceMs(0)).toBe(0);
		expect(uploadAllowanceMs(262_144 * 10)).toBe(10_000);
		expect(callDeadline(NOW, 2000, undefined, 262_144 * 10)).toBe(NOW + 12_000);
	});

	test('downloads earn the same allowance for the size they declare; none without a Content-Length', () => {
		expect(downloadDeadline(NOW, 2000, undefined, 262_144 * 10)).toBe(NOW + 12_000);
		expect(downloadDeadline(NOW, 2000, undefined, undefined)).toBe(NOW + 2000);
		expect(downloadDeadline(NOW, 2000, NOW + 5000, 262_144 * 10)).toBe(NOW + 5000);
		expect(declaredLength('52428800')).toBe(52_428_800);
		expect(declaredLength(['10'])).toBe(10);
		expect(declaredLength(undefined)).toBeUndefined();
		expect(declaredLength('')).toBeUndefined();
		expect(declaredLength('-1')).toBeUndefined();
		expect(declaredLength('12abc')).toBeUndefined();
		expect(declaredLength('1e400')).toBeUndefined();
	});

	test('checkTimeout: absent is the default; below 1000 or not a number is refused', () => {
		expect(checkTimeout(undefined)).toEqual({ timeoutMs: DEFAULT_TIMEOUT_MS });
		expect(checkTimeout(1500.7)).toEqual({ timeoutMs: 1500 });
		expect(checkTimeout(999)).toHaveProperty('problem');
		expect(checkTimeout('soon')).toHaveProperty('problem');
		expect(checkTimeout(Number.NaN)).toHaveProperty('problem');
	});
});

describe('scrubbing', () => {
	const KEY = 'sEcReT-key+1/=';

	test('removes the key in plain and URL-encoded form and any key= query value', () => {
		const text = `GET http://h/v1/search?key=${encodeURIComponent(KEY)}&x=1 failed for ${KEY}; also ?key=other&y`;
		const clean = scrubText(text, [KEY]);
		expect(clean).not.toContain(KEY);
		expect(clean).not.toContain(encodeURIComponent(KEY));
		expect(clean).not.toContain('other');
		expect(clean).toContain('x=1');
	});

	test('scrubDeep drops key fields and scrubs nested strings', () => {
		expect(
			scrubDeep({ request: { key: KEY, datetime: 'd' }, list: [`a ${KEY}`], n: 1 }, [KEY]),
		).toEqual({
			request: { datetime: 'd' },
			list: ['a ***'],
			n: 1,
		});
	});

	test('a too-short or empty secret is not searched for', () => {
		expect(scrubText('a b c', ['a', '', undefined])).toBe('a b c');
	});
});

describe('answer checks', () => {
	test('JSON is parsed; anything else says what it was', () => {
		expect(parseJson(' {"a": 1} ')).toEqual({ ok: true, value: { a: 1 } });
		expect(parseJson('')).toMatchObject({ ok: false, problem: 'empty' });
		expect(
			parseJson('<html><head><title>Site maintenance</title></head><body>x</body></html>'),
		).toEqual({
			ok: false,
			problem: 'html',
			detail: 'an HTML page ("Site maintenance")',
		});
		expect(parseJson('{"data": [1, 2')).toMatchObject({ ok: false, problem: 'truncated' });
		expect(parseJson('OK')).toMatchObject({
			ok: false,
			problem: 'notJson',
			detail: 'text that is not JSON ("OK")',
		});
	});

	test('excerpt is short and plain', () => {
		expect(excerpt('<p>Bad <b>gateway</b></p>')).toBe('Bad gateway');
		expect(excerpt('x'.repeat(500))).toHaveLength(201);
	});

	test('path segments: encoded, and refused when empty or dots', () => {
		expect(pathSegment(' my dataset ')).toBe('my%20dataset');
		expect(pathSegment('a/b')).toBe('a%2Fb');
		expect(pathSegment('')).toBeUndefined();
		expect(pathSegment('  ')).toBeUndefined();
		expect(pathSegment('.')).toBeUndefined();
		expect(pathSegment('..')).toBeUndefined();
	});
});

describe('conditional requests', () => {
	const DATE = 'Mon, 07 Dec 2026 12:00:00 GMT';
	test('an ETag is the validator; a malformed or overlong one is not kept', () => {
		expect(validatorsOf({ etag: '"abc"', 'last-modified': DATE })).toEqual({ etag: '"abc"' });
		expect(validatorsOf({ etag: 'W/"abc"' })).toEqual({ etag: 'W/"abc"' });
		expect(validatorsOf({ etag: 'abc' })).toBeUndefined();
		expect(validatorsOf({ etag: `"${'a'.repeat(200)}"` })).toBeUndefined();
		expect(validatorsOf({})).toBeUndefined();
	});

	test('a Last-Modified only when strong: the Date at least a second later', () => {
		const later = 'Mon, 07 Dec 2026 12:00:01 GMT';
		expect(validatorsOf({ 'last-modified': DATE, date: later })).toEqual({ lastModified: DATE });
		expect(validatorsOf({ 'last-modified': DATE, date: DATE })).toBeUndefined();
		expect(validatorsOf({ 'last-modified': DATE })).toBeUndefined();
		expect(validatorsOf({ 'last-modified': 'yesterday', date: later })).toBeUndefined();
	});

	test('If-None-Match for an ETag, If-Modified-Since for a date, nothing without', () => {
		expect(conditionalHeaders({ etag: '"a"' })).toEqual({ 'If-None-Match': '"a"' });
		expect(conditionalHeaders({ lastModified: DATE })).toEqual({ 'If-Modified-Since': DATE });
		expect(conditionalHeaders(undefined)).toEqual({});
	});
});

describe('a body cut off in transfer', () => {
	test('n8n\'s "stream has been aborted" is read as a cut-off answer with its status; nothing else is', () => {
		const axios = {
			code: 'ERR_BAD_RESPONSE',
			message: 'stream has been aborted',
			response: { status: 200 },
		};
		expect(cutOffStatus({ message: 'stream has been aborted', cause: axios })).toBe(200);
		expect(cutOffStatus({ ...axios, response: { status: 404 } })).toBe(404);
		expect(cutOffStatus({ message: 'stream has been aborted' })).toBe(200);
		expect(cutOffStatus({ code: 'ERR_BAD_RESPONSE', message: 'maxContentLength exceeded' })).toBe(
			undefined,
		);
		expect(cutOffStatus({ code: 'ERR_CANCELED', message: 'canceled' })).toBeUndefined();
		expect(cutOffStatus(new Error('Invalid URL'))).toBeUndefined();
	});
});

describe('shared wording', () => {
	const report = (failure, extra = {}) => ({
		failure,
		method: 'GET',
		path: '/api/x',
		attempts: 1,
		stopped: 'final',
		outcomeUnknown: false,
		scope: {},
		...extra,
	});

	test('a cross-origin redirect says it was not followed and why', () => {
		const explained = describeFailure(
			report({
				kind: 'redirect',
				status: 302,
				location: 'https://elsewhere.example',
				crossOrigin: true,
			}),
			'DataPress',
		);
		expect(explained.message).toBe(
			'DataPress redirected GET /api/x to another host (https://elsewhere.example): not followed',
		);
		expect(explained.description).toMatch(/API key cannot reach another host/);
	});

	test('timeouts name the limit; attempts appear only after retries', () => {
		expect(
			describeFailure(report({ kind: 'timeout', timeoutMs: 2000 }), 'DataPress').description,
		).toBe(
			"GET /api/x had no complete answer within 2 s. If the service is only slow, raise the node's Timeout option.",
		);
		expect(
			describeFailure(report({ kind: 'timeout', timeoutMs: 2000 }, { attempts: 3 }), 'DataPress')
				.description,
		).toMatch(/\(3 attempts\)/);
	});

	test('the outcome note is added only when the call may have had its effect', () => {
		const base = { message: 'm', description: 'd.' };
		expect(withOutcomeNote(base, report(status(500)), 'check it.')).toEqual(base);
		expect(
			withOutcomeNote(base, report(status(500), { outcomeUnknown: true }), 'check it.').description,
		).toBe('d. The request may have been applied although its answer was lost: check it.');
	});
});
