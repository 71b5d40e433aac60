'use strict';
const {
	explainPlanningFailure,
	serverMessage,
	checkEnvelope,
	isErrorEnvelope,
} = require('../../nodes/UkPlanning/helpers/errors.ts');
const {
	pricePerCredit,
	costRangeText,
	pounds,
} = require('../../nodes/UkPlanning/helpers/pricing.ts');

/** A failure report as the HTTP core hands it to the service. */
function report(
	failure,
	{
		paid = false,
		path = '/search',
		attempts = 1,
		stopped = 'final',
		outcomeUnknown = false,
		...scope
	} = {},
) {
	return {
		failure,
		method: 'GET',
		path,
		attempts,
		stopped,
		outcomeUnknown,
		scope: { paid, ...scope },
	};
}

describe('explainPlanningFailure', () => {
	test('403 is a rejected key', () => {
		const explained = explainPlanningFailure(
			report({
				kind: 'status',
				status: 403,
				body: { response: { status: 'ERROR', message: 'Invalid key' } },
			}),
		);
		expect(explained.httpCode).toBe('403');
		expect(explained.message).toMatch(/rejected the API key/);
		expect(explained.description).toMatch(/Invalid key/);
	});

	test('429 gives the Retry-After, says a refused call charged nothing, and why it was not waited for', () => {
		const seconds = explainPlanningFailure(
			report(
				{ kind: 'status', status: 429, body: '', retryAfterSeconds: 7 },
				{ attempts: 4, stopped: 'attempts' },
			),
		);
		expect(seconds.httpCode).toBe('429');
		expect(seconds.message).toMatch(/after 7 seconds/);
		expect(seconds.description).toMatch(/was refused \(4 attempts\)/);
		const long = explainPlanningFailure(
			report(
				{ kind: 'status', status: 429, body: '', retryAfterSeconds: 3600 },
				{ paid: true, stopped: 'retryAfter' },
			),
		);
		expect(long.message).toMatch(/after 3600 seconds/);
		expect(long.description).toMatch(/longer than the 30 s/);
		expect(long.description).toMatch(/nothing was charged/);
	});

	test('a 5xx of a paid search that may have run, and a lost answer, may have been charged; a refusal was not', () => {
		const server = explainPlanningFailure(
			report(
				{ kind: 'status', status: 502, body: '<html><b>Bad gateway</b></html>' },
				{ paid: true, stopped: 'policy', outcomeUnknown: true },
			),
		);
		expect(server.httpCode).toBe('502');
		expect(server.message).toBe(
			'The Planning API had a server error (HTTP 502): credits may have been charged; check Account → Get Credits',
		);
		expect(server.description).toMatch(/Bad gateway/);
		expect(server.description).toMatch(/It was not sent again/);
		expect(server.description).toMatch(
			/credits may have been charged; check Account → Get Credits/,
		);
		expect(server.description).not.toMatch(/nothing was charged/);
		const refused = explainPlanningFailure(
			report(
				{ kind: 'status', status: 503, body: '', retryAfterSeconds: 5 },
				{ paid: true, attempts: 4, stopped: 'attempts' },
			),
		);
		expect(refused.message).toBe('The Planning API had a server error (HTTP 503)');
		expect(refused.description).toMatch(
			/a refusal: the search did not run, so nothing was charged/,
		);
		expect(refused.description).toMatch(/Try again after 5 seconds/);
		expect(refused.description).not.toMatch(/may have been/);
		const dropped = explainPlanningFailure(
			report({ kind: 'network', code: 'ECONNRESET' }, { paid: true, outcomeUnknown: true }),
		);
		expect(dropped.message).toBe(
			'The Planning API could not be reached: the connection was dropped',
		);
		expect(dropped.description).toMatch(/ECONNRESET/);
		expect(dropped.description).toMatch(/credits may have been charged/);
		expect(dropped.description).toMatch(/Get Credits/);
		const free = explainPlanningFailure(
			report({ kind: 'network', code: 'ECONNREFUSED' }, { path: '/lpas' }),
		);
		expect(free.description).toMatch(/Base URL/);
		expect(free.message).toMatch(/refused/);
		expect(free.message).not.toMatch(/ECONNREFUSED/); // n8n would swap such a message for its own
	});

	test('an unusable answer to a paid search says what came back and that credits may have been charged', () => {
		const explained = explainPlanningFailure(
			report(
				{
					kind: 'answer',
					status: 200,
					problem: 'truncated',
					detail: 'incomplete JSON (120 characters, cut off)',
				},
				{ paid: true, outcomeUnknown: true },
			),
		);
		expect(explained.message).toBe(
			'The Planning API answered GET /search with incomplete JSON (120 characters, cut off)',
		);
		expect(explained.description).toMatch(/credits may have been charged/);
	});

	test('431 names the long text filter', () => {
		const explained = explainPlanningFailure(
			report({ kind: 'status', status: 431, body: '' }, { longestParameter: 'Keyword' }),
		);
		expect(explained.message).toMatch(/too long \(HTTP 431\)/);
		expect(explained.description).toMatch(/shorten the Keyword filter/);
	});

	test('400 carries the API message naming the parameter', () => {
		const explained = explainPlanningFailure(
			report({
				kind: 'status',
				status: 400,
				body: { response: { status: 'ERROR', message: 'Invalid date_from' } },
			}),
		);
		expect(explained.message).toBe('The Planning API refused the search: Invalid date_from');
	});

	test('not enough credits (200 ERROR) says the count and the balance', () => {
		const explained = explainPlanningFailure(
			report(
				{
					kind: 'status',
					status: 200,
					body: {
						response: {
							status: 'ERROR',
							message: 'Not enough credits',
							application_count: 120,
							credits: { remaining: '5' },
						},
					},
				},
				{ paid: true },
			),
		);
		expect(explained.message).toMatch(/^Not enough credits/);
		expect(explained.description).toMatch(/120 applications/);
		expect(explained.description).toMatch(/5 left/);
		expect(explained.description).toMatch(/Nothing was charged/);
	});

	test('other ERROR envelopes and statuses', () => {
		expect(
			explainPlanningFailure(
				report({
					kind: 'status',
					status: 200,
					body: { response: { status: 'ERROR', message: 'Odd' } },
				}),
			).message,
		).toMatch(/returned an error: Odd/);
		expect(
			explainPlanningFailure(report({ kind: 'status', status: 404, body: '' })).message,
		).toMatch(/HTTP 404/);
	});

	test('helpers', () => {
		expect(serverMessage({ response: { message: ' m ' } })).toBe('m');
		expect(serverMessage(null)).toBeUndefined();
		expect(checkEnvelope({ request: {}, response: { status: 'OK' } })).toBeUndefined();
		expect(checkEnvelope('x')).toMatch(/not a Planning API envelope/);
		expect(checkEnvelope({ data: [] })).toMatch(/without the Planning API's "response"/);
		expect(isErrorEnvelope({ response: { status: 'error' } })).toBe(true);
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
