'use strict';
const { explainFailure, scrubText, scrubDeep, parseRetryAfter, serverMessage } = require('../../nodes/UkPlanning/helpers/errors.ts');
const { pricePerCredit, costRangeText, pounds } = require('../../nodes/UkPlanning/helpers/pricing.ts');

const KEY = 'sEcReT-key+1/=';
const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('scrubbing', () => {
	test('removes the key in plain and URL-encoded form and any key= query value', () => {
		const text = `GET http://h/v1/search?key=${encodeURIComponent(KEY)}&x=1 failed for ${KEY}; also ?key=other&y`;
		const clean = scrubText(text, KEY);
		expect(clean).not.toContain(KEY);
		expect(clean).not.toContain(encodeURIComponent(KEY));
		expect(clean).not.toContain('other');
		expect(clean).toContain('x=1');
	});

	test('scrubDeep drops a key field and scrubs nested strings', () => {
		const clean = scrubDeep({ request: { key: KEY, datetime: 'd' }, list: [`a ${KEY}`], n: 1 }, KEY);
		expect(clean).toEqual({ request: { datetime: 'd' }, list: ['a ***'], n: 1 });
	});
});

describe('explainFailure', () => {
	test('403 is a rejected key', () => {
		const explained = explainFailure(
			{ endpoint: '/search', paid: false, status: 403, body: { response: { status: 'ERROR', message: 'Invalid key' } } },
			NOW,
		);
		expect(explained).toMatchObject({ httpCode: '403', retryable: false });
		expect(explained.message).toMatch(/rejected the API key/);
		expect(explained.description).toMatch(/Invalid key/);
	});

	test('429 gives the Retry-After in the message, in seconds or from a date', () => {
		const seconds = explainFailure({ endpoint: '/search', paid: false, status: 429, retryAfter: '7' }, NOW);
		expect(seconds).toMatchObject({ httpCode: '429', retryable: true, retryAfterSeconds: 7 });
		expect(seconds.message).toMatch(/after 7 seconds/);
		const date = explainFailure(
			{ endpoint: '/search', paid: true, status: 429, retryAfter: new Date(NOW + 60000).toUTCString() },
			NOW,
		);
		expect(date.message).toMatch(/after 60 seconds/);
		expect(date.description).toMatch(/nothing was charged/);
	});

	test('5xx and network errors of a paid call warn that credits may have been charged', () => {
		const server = explainFailure({ endpoint: '/search', paid: true, status: 502, body: '<html><b>Bad gateway</b></html>' }, NOW);
		expect(server).toMatchObject({ httpCode: '502', retryable: true });
		expect(server.description).toMatch(/Bad gateway/);
		expect(server.description).toMatch(/Get Credits/);
		const dropped = explainFailure({ endpoint: '/search', paid: true, code: 'ECONNRESET' }, NOW);
		expect(dropped.message).toBe('The Planning API could not be reached: the connection was dropped');
		expect(dropped.description).toMatch(/ECONNRESET/);
		expect(dropped.description).toMatch(/Get Credits/);
		const free = explainFailure({ endpoint: '/lpas', paid: false, code: 'ECONNREFUSED' }, NOW);
		expect(free.description).toMatch(/Base URL/);
		expect(free.message).toMatch(/refused/);
		expect(free.message).not.toMatch(/ECONNREFUSED/); // n8n would swap such a message for its own
		const other = explainFailure({ endpoint: '/lpas', paid: false, detail: 'Invalid URL' }, NOW);
		expect(other.message).toMatch(/network error/);
		expect(other.description).toMatch(/\(Invalid URL\)/);
	});

	test('400 carries the API message naming the parameter', () => {
		const explained = explainFailure(
			{ endpoint: '/search', paid: false, status: 400, body: { response: { status: 'ERROR', message: 'Invalid date_from' } } },
			NOW,
		);
		expect(explained.message).toBe('The Planning API refused the search: Invalid date_from');
	});

	test('not enough credits (200 ERROR) says the count and the balance', () => {
		const explained = explainFailure(
			{
				endpoint: '/search',
				paid: true,
				status: 200,
				body: { response: { status: 'ERROR', message: 'Not enough credits', application_count: 120, credits: { remaining: '5' } } },
			},
			NOW,
		);
		expect(explained.message).toMatch(/^Not enough credits/);
		expect(explained.description).toMatch(/120 applications/);
		expect(explained.description).toMatch(/5 left/);
		expect(explained.description).toMatch(/Nothing was charged/);
	});

	test('other ERROR envelopes and statuses', () => {
		expect(
			explainFailure({ endpoint: '/x', paid: false, status: 200, body: { response: { status: 'ERROR', message: 'Odd' } } }, NOW).message,
		).toMatch(/returned an error: Odd/);
		expect(explainFailure({ endpoint: '/x', paid: false, status: 404 }, NOW).message).toMatch(/HTTP 404/);
	});

	test('helpers', () => {
		expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
		expect(parseRetryAfter('1.2', NOW)).toBe(2);
		expect(parseRetryAfter('nonsense', NOW)).toBeUndefined();
		expect(serverMessage({ response: { message: ' m ' } })).toBe('m');
		expect(serverMessage(null)).toBeUndefined();
	});
});

describe('pricing', () => {
	test('price per credit follows the published tiers', () => {
		expect(pricePerCredit(100)).toBe(0.1);
		expect(pricePerCredit(1000)).toBe(0.1);
		expect(pricePerCredit(2499)).toBe(0.1);
		expect(pricePerCredit(2500)).toBe(0.09);
		expect(pricePerCredit(10000)).toBe(0.07);
		expect(pricePerCredit(60000)).toBe(0.05);
		expect(pounds(2500 * 0.09)).toBe(225);
		expect(costRangeText(100)).toBe('£5.00–£10.00');
	});
});
