/**
 * UK Planning Trigger in a real n8n-core PollContext (test/harness) against the Planning sandbox over
 * real HTTP: first run, manual test event, late publication, filter change, cap and carry-over, faults,
 * bounded state, bad filters and the API key never leaking.
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const { startPlanningSandbox } = require(path.join(ROOT, 'sandbox/planning'));
const { runPoll, serializeError, n8nLogger } = require(path.join(ROOT, 'test/harness/n8n.js'));
const { SIMPLIFIED_FIELDS: SIMPLIFIED } = require('../fixtures/planningApplication');
const { UkPlanningTrigger } = require(
	path.join(ROOT, 'nodes/UkPlanningTrigger/UkPlanningTrigger.node.ts'),
);

const KEY = 'trigger-test-key-0123456789';
const DAY = 86400000;

let sandbox;
let lpaIds;

beforeAll(async () => {
	sandbox = await startPlanningSandbox({ port: 0, seed: 3 });
	lpaIds = (await sandbox.control.lpas()).map((lpa) => String(lpa.id));
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
});

beforeEach(async () => {
	await sandbox.control.reset({ seed: 3 });
	await sandbox.control.setCredits(KEY, 100000);
	await sandbox.control.clearLogs();
});

/** Node parameters for a list of authorities (names from nodes/UkPlanning/descriptions/filters). */
function parameters(lpas, extra = {}) {
	return { lpaIds: lpas, lookbackDays: 30, ...extra };
}

const credentials = () => ({ ukPlanningApi: { apiKey: KEY, baseUrl: sandbox.url } });

/** A poll of version 1 (top-level filters, the normalised application), as workflows saved before version 2 hold it. */
async function poll(
	params,
	staticData,
	mode = 'trigger',
	pollBudgetMs = undefined,
	typeVersion = 1,
) {
	const result = await runPoll(UkPlanningTrigger, {
		parameters: params,
		credentials: credentials(),
		staticData,
		mode,
		pollBudgetMs,
		typeVersion,
	});
	return result;
}

/** A poll of the newest version: the filters in the Filters collection, Simplify on unless set. */
async function pollV2(params, staticData, mode = 'trigger') {
	return await runPoll(UkPlanningTrigger, {
		parameters: params,
		credentials: credentials(),
		staticData,
		mode,
	});
}

/** Version 2's parameters for a list of authorities. */
function parametersV2(lpas, extra = {}) {
	return { filters: { lpaIds: lpas }, lookbackDays: 30, ...extra };
}

async function nowMs() {
	return Date.parse(await sandbox.control.now());
}

function isoDay(ms) {
	return new Date(ms).toISOString().slice(0, 10);
}

async function advance(hours) {
	const next = (await nowMs()) + hours * 3600000;
	await sandbox.control.setNow(new Date(next).toISOString());
	return next;
}

/** Adds applications published an hour from now and moves the clock past them. */
async function publishLater(apps) {
	const at = (await nowMs()) + 3600000;
	const stored = await sandbox.control.addApplications(
		apps.map((app) => ({ published_at: new Date(at).toISOString(), ...app })),
	);
	await advance(2);
	return stored;
}

async function creditsCharged() {
	return (await sandbox.control.charges(KEY)).reduce((sum, c) => sum + Number(c.consumed || 0), 0);
}

async function searchRequests() {
	return (await sandbox.control.requests()).filter((r) => r.path.endsWith('/search'));
}

const keyvalsOf = (output) => (output ? output[0].map((item) => String(item.json.keyval)) : []);

/**
 * An active trigger on the first authority (its activation poll done) and one application published
 * since, validated `daysAgo` days ago: what the fault tests start from.
 */
async function activeWithOneNew({
	daysAgo,
	postcode,
	address,
	params = parameters(lpaIds.slice(0, 1)),
}) {
	const { staticData } = await poll(params, {});
	const [added] = await publishLater([
		{ lpa_id: lpaIds[0], validated: isoDay((await nowMs()) - daysAgo * DAY), postcode, address },
	]);
	return { staticData, added };
}

describe('UK Planning Trigger', () => {
	test('first poll learns what exists without emitting; an unchanged poll is one free request', async () => {
		const watched = lpaIds.slice(0, 2);
		const first = await poll(parameters(watched), {});
		expect(first.error).toBeUndefined();
		expect(first.output).toBeNull();
		expect(first.staticData.state).toBeDefined();
		await sandbox.control.clearLogs();
		await advance(1);
		const second = await poll(parameters(watched), first.staticData);
		expect(second.error).toBeUndefined();
		expect(second.output).toBeNull();
		const requests = await searchRequests();
		expect(requests).toHaveLength(1);
		expect(requests[0].query.return_data).toBe('0');
		expect(await creditsCharged()).toBe(0);
	});

	test('a late publication is emitted once, for about one credit; polling again emits nothing', async () => {
		const watched = lpaIds.slice(0, 2);
		let { staticData } = await poll(parameters(watched), {});
		const validated = isoDay((await nowMs()) - 12 * DAY);
		const [added] = await publishLater([
			{ lpa_id: watched[0], validated, postcode: 'SW1A 2ZZ', address: '1 Test Street SW1A 2ZZ' },
		]);
		await sandbox.control.clearLogs();
		const late = await poll(parameters(watched), staticData);
		expect(late.error).toBeUndefined();
		expect(keyvalsOf(late.output)).toEqual([String(added.keyval)]);
		expect(await creditsCharged()).toBeLessThanOrEqual(2);
		staticData = late.staticData;
		const again = await poll(parameters(watched), staticData);
		expect(again.output).toBeNull();
	});

	test('manual mode returns one recent application for at most 5 credits, logs what it spent, and moves no state', async () => {
		const watched = lpaIds.slice(0, 3);
		const staticData = {};
		const info = jest.spyOn(n8nLogger(), 'info');
		try {
			const result = await poll(parameters(watched), staticData, 'manual');
			expect(result.error).toBeUndefined();
			expect(result.output[0]).toHaveLength(1);
			const { json } = result.output[0][0];
			const charged = await creditsCharged();
			expect(charged).toBeGreaterThanOrEqual(1);
			expect(charged).toBeLessThanOrEqual(5);
			// The item is the application alone; the cost report is in n8n's log.
			expect(json.testEvent).toBeUndefined();
			expect(json.keyval).toBeDefined();
			const report = info.mock.calls
				.map(([message]) => message)
				.find((message) => /test event spent/.test(message));
			expect(report).toMatch(new RegExp(`spent ${charged} credit\\(s\\) \\(at most 5\\)`));
			expect(report).toMatch(/moved no state/);
			expect(report).toMatch(/Activation learns the \d+ application\(s\) now in the 30-day window/);
			// The poll interval the cost model suggests from the window's count and the counts' time.
			expect(report).toMatch(
				/Poll interval: every [a-z0-9 ]+ or more often \(about \d+ new application/,
			);
			expect(result.staticData.state).toBeUndefined();
		} finally {
			info.mockRestore();
		}
	});

	test.each([
		['version 1', 1, (lpas, extra) => parameters(lpas, extra), 'keyval'],
		['version 2', 2, (lpas, extra) => parametersV2(lpas, extra), 'reference'],
	])(
		'%s: the test event is exactly the item a production poll emits for the same application',
		async (_name, version, params, idField) => {
			const watched = lpaIds.slice(0, 2);
			const manual = await poll(params(watched), {}, 'manual', undefined, version);
			expect(manual.error).toBeUndefined();
			const [testItem] = manual.output[0];
			const day = testItem.json.validated;
			// Backfill emits the most recent days on activation: enough of them to reach the test event's day.
			const backfillDays =
				Math.round(
					(Date.parse((await sandbox.control.now()).slice(0, 10)) - Date.parse(day)) / DAY,
				) + 1;
			const production = await poll(
				params(watched, { triggerOptions: { backfillDays, maxCreditsPerPoll: 5000 } }),
				{},
				'trigger',
				undefined,
				version,
			);
			expect(production.error).toBeUndefined();
			const same = production.output[0].find(
				(item) => item.json[idField] === testItem.json[idField],
			);
			expect(same).toBeDefined();
			expect(testItem).toEqual(same);
		},
	);

	test('manual mode that finds nothing fails with the reason and the cost report, charging nothing', async () => {
		const result = await poll(
			parameters(lpaIds.slice(0, 1), { postcodeExact: 'ZE3 9JW' }),
			{},
			'manual',
		);
		expect(result.output).toBeUndefined();
		expect(result.error.message).toBe('No application matches the filters in the last 30 days');
		expect(result.error.description).toMatch(/spent 0 credit\(s\).*moved no state/);
		expect(await creditsCharged()).toBe(0);
	});

	test('changing the filters starts afresh without a flood', async () => {
		const { staticData } = await poll(parameters(lpaIds.slice(0, 1)), {});
		const changed = await poll(parameters(lpaIds.slice(0, 3)), staticData);
		expect(changed.error).toBeUndefined();
		expect(changed.output).toBeNull();
		await advance(1);
		await sandbox.control.clearLogs();
		const next = await poll(parameters(lpaIds.slice(0, 3)), changed.staticData);
		expect(next.output).toBeNull();
		expect(await searchRequests()).toHaveLength(1);
	});

	test('a poll that must pay more than Max Credits per Poll (more applications at one postcode than the cap, learned at activation) says so in the log', async () => {
		const watched = lpaIds.slice(0, 1);
		// A recent day with three applications at the one postcode the filters watch: no narrower query
		// holds fewer of them, so learning them costs more than 1.
		await sandbox.control.addApplications(
			[1, 2, 3].map(() => ({
				lpa_id: watched[0],
				validated: '2026-11-19',
				published_at: '2026-11-20T09:00:00Z',
				postcode: 'ZE3 9JW',
			})),
		);
		const warn = jest.spyOn(n8nLogger(), 'warn');
		try {
			const first = await poll(
				parameters(watched, {
					postcodeExact: 'ZE3 9JW',
					triggerOptions: { maxCreditsPerPoll: 1 },
				}),
				{},
			);
			expect(first.error).toBeUndefined();
			const charged = await creditsCharged();
			expect(charged).toBe(3);
			expect(warn.mock.calls.map(([message]) => message)).toContainEqual(
				expect.stringMatching(
					new RegExp(`spent ${charged} credits, more than Max Credits per Poll \\(1\\)`),
				),
			);
		} finally {
			warn.mockRestore();
		}
	});

	test('Max Credits per Poll at 1 holds at activation: a day of several applications is learned one postcode at a time', async () => {
		const watched = lpaIds.slice(0, 1);
		const validated = isoDay((await nowMs()) - 2 * DAY);
		await sandbox.control.addApplications(
			['ZE2 9AA', 'ZE2 9AB', 'ZE3 1AA', 'ZE3 9JA', 'ZE1 0AA'].map((postcode) => ({
				lpa_id: watched[0],
				validated,
				published_at: `${validated}T12:00:00Z`,
				postcode,
			})),
		);
		const params = parameters(watched, {
			postcodeStart: 'ZE',
			triggerOptions: { maxCreditsPerPoll: 1 },
		});
		let staticData = {};
		const spent = [];
		for (let p = 0; p < 8; p++) {
			await sandbox.control.clearLogs();
			const before = await creditsCharged();
			const r = await poll(params, staticData);
			expect(r.error).toBeUndefined();
			expect(r.output).toBeNull();
			spent.push((await creditsCharged()) - before);
			staticData = r.staticData;
		}
		expect(Math.max(...spent)).toBe(1);
		expect(spent.reduce((a, b) => a + b, 0)).toBe(5);
		const [added] = await publishLater([
			{ lpa_id: watched[0], validated, postcode: 'ZE3 9JB', address: '2 Voe Road' },
		]);
		const next = await poll(params, staticData);
		expect(keyvalsOf(next.output)).toEqual([String(added.keyval)]);
	});

	test('Max Credits per Poll caps each poll and the backlog is carried over, each application once', async () => {
		const watched = lpaIds.slice(0, 1);
		const params = parameters(watched, { triggerOptions: { maxCreditsPerPoll: 5 } });
		let { staticData } = await poll(
			parameters(watched, { triggerOptions: { maxCreditsPerPoll: 100000 } }),
			{},
		);
		const validated = isoDay((await nowMs()) - 3 * DAY);
		const added = await publishLater(
			Array.from({ length: 12 }, (_, i) => ({
				lpa_id: watched[0],
				validated,
				postcode: `E${i + 1} ${i % 9}AB`,
				address: `${i} Burst Road`,
			})),
		);
		const emitted = [];
		for (let p = 0; p < 6 && emitted.length < 12; p++) {
			await sandbox.control.clearLogs();
			const r = await poll(params, staticData);
			expect(r.error).toBeUndefined();
			expect(await creditsCharged()).toBeLessThanOrEqual(5);
			emitted.push(...keyvalsOf(r.output));
			staticData = r.staticData;
			await advance(1);
		}
		expect(emitted.sort()).toEqual(added.map((a) => String(a.keyval)).sort());
	});

	describe('a failed paid request leaves the state untouched, is reported, and the next poll delivers', () => {
		test.each([
			['429', { status: 429, retryAfter: 1 }],
			['503 carrying Retry-After', { status: 503, retryAfter: 1 }],
		])(
			'a paid search refused with %s charged nothing and is repeated within the poll',
			async (_name, fault) => {
				const watched = lpaIds.slice(0, 1);
				const { staticData, added } = await activeWithOneNew({
					daysAgo: 5,
					postcode: 'N1 9ZZ',
					address: 'Refused Lane',
				});
				await sandbox.control.clearLogs();
				await sandbox.control.injectFault({ path: '/search', returnData: '1', times: 1, ...fault });
				const result = await poll(parameters(watched), staticData);
				expect(result.error).toBeUndefined();
				expect(keyvalsOf(result.output)).toEqual([String(added.keyval)]);
				const paid = (await searchRequests()).filter((entry) => entry.query.return_data === '1');
				expect(paid).toHaveLength(2);
				expect(paid[1].query).toEqual(paid[0].query);
			},
		);

		const cases = [
			// The third column is the host's poll budget (undefined: none given). Every row has it, since jest
			// takes a callback with more parameters than the row has values for one that waits for done().
			// Twice: the planner sends a failed paid request once more in the same poll.
			['dropped connection', { drop: true, times: 2 }, undefined],
			// Not repeated by the transport: a gateway's 502 may come after the API ran and charged (it does here).
			['a 502 after the API ran the search', { status: 502, afterRun: true, times: 2 }, undefined],
			['a 503 without Retry-After', { status: 503, times: 2 }, undefined],
			// The host's poll budget is 2 s and the answer comes after 4 s (the API charges all the same).
			['timeout: no answer within the poll budget', { delayMs: 4000 }, 2000],
		];
		test.each(cases)('%s', async (_name, fault, pollBudgetMs) => {
			const watched = lpaIds.slice(0, 1);
			const { staticData, added } = await activeWithOneNew({
				daysAgo: 5,
				postcode: 'N1 9ZZ',
				address: 'Fault Lane',
			});
			const before = JSON.stringify(staticData);
			await sandbox.control.clearLogs();
			await sandbox.control.injectFault({ path: '/search', returnData: '1', times: 1, ...fault });
			const failed = await poll(parameters(watched), staticData, 'trigger', pollBudgetMs);
			// Sent once more in the poll, unless its budget is spent.
			const paid = (await searchRequests()).filter((entry) => entry.query.return_data === '1');
			expect(paid).toHaveLength(fault.delayMs ? 1 : 2);
			expect(failed.error).toBeDefined();
			expect(failed.error.constructor.name).toMatch(/NodeApiError|NodeOperationError/);
			expect(JSON.stringify(failed.staticData)).toBe(before);
			expect(serializeError(failed.error)).not.toContain(KEY);
			if (fault.delayMs) expect(failed.error.message).toMatch(/did not answer in time/);
			const retried = await poll(parameters(watched), failed.staticData);
			expect(retried.error).toBeUndefined();
			expect(keyvalsOf(retried.output)).toEqual([String(added.keyval)]);
		});

		test('a 503 on a free count is retried by the transport within the poll', async () => {
			const watched = lpaIds.slice(0, 1);
			const { staticData, added } = await activeWithOneNew({
				daysAgo: 2,
				postcode: 'N1 9ZY',
				address: 'Retry Lane',
			});
			await sandbox.control.injectFault({
				path: '/search',
				returnData: '0',
				status: 503,
				times: 1,
			});
			const result = await poll(parameters(watched), staticData);
			expect(result.error).toBeUndefined();
			expect(keyvalsOf(result.output)).toEqual([String(added.keyval)]);
		});

		test('a free count with no answer within the poll budget is not retried past it', async () => {
			const watched = lpaIds.slice(0, 1);
			const { staticData, added } = await activeWithOneNew({
				daysAgo: 2,
				postcode: 'N1 9ZX',
				address: 'Hang Lane',
			});
			const before = JSON.stringify(staticData);
			await sandbox.control.clearLogs();
			// Only the first count hangs: a retry would be answered, but it would begin after the 2 s budget.
			await sandbox.control.injectFault({
				path: '/search',
				returnData: '0',
				delayMs: 4000,
				times: 1,
			});
			const failed = await poll(parameters(watched), staticData, 'trigger', 2000);
			expect(failed.error).toBeDefined();
			expect(failed.error.message).toMatch(/did not answer in time/);
			expect(serializeError(failed.error)).not.toContain(KEY);
			expect(JSON.stringify(failed.staticData)).toBe(before);
			expect(await searchRequests()).toHaveLength(1);
			const retried = await poll(parameters(watched), failed.staticData);
			expect(keyvalsOf(retried.output)).toEqual([String(added.keyval)]);
		});

		test('a free count with no answer within Timeout is retried in the same poll', async () => {
			const watched = lpaIds.slice(0, 1);
			const withTimeout = parameters(watched, { triggerOptions: { timeout: 1000 } });
			const { staticData, added } = await activeWithOneNew({
				daysAgo: 3,
				postcode: 'N1 9ZY',
				address: 'Slow Lane',
				params: withTimeout,
			});
			await sandbox.control.clearLogs();
			// The first count answers after 3 s, past the 1 s Timeout (the poll budget is the default 5 minutes).
			await sandbox.control.injectFault({
				path: '/search',
				returnData: '0',
				delayMs: 3000,
				times: 1,
			});
			const result = await poll(withTimeout, staticData);
			expect(result.error).toBeUndefined();
			expect(keyvalsOf(result.output)).toEqual([String(added.keyval)]);
			const [first, second] = await searchRequests();
			expect(first.query.return_data).toBe('0');
			expect(second.query).toEqual(first.query);
		});

		test('a paid search whose answer was lost after the charge is sent once more in the same poll: delivered now, and the log says credits may have been charged twice', async () => {
			const watched = lpaIds.slice(0, 1);
			const { staticData, added } = await activeWithOneNew({
				daysAgo: 4,
				postcode: 'N1 9ZW',
				address: 'Second Lane',
			});
			await sandbox.control.clearLogs();
			const chargesBefore = (await sandbox.control.charges(KEY)).length;
			// The API runs the paid search and charges for it; a gateway's 502 comes back instead.
			await sandbox.control.injectFault({
				path: '/search',
				returnData: '1',
				status: 502,
				afterRun: true,
				times: 1,
			});
			const warn = jest.spyOn(n8nLogger(), 'warn');
			try {
				const result = await poll(parameters(watched), staticData);
				expect(result.error).toBeUndefined();
				expect(keyvalsOf(result.output)).toEqual([String(added.keyval)]);
				const paid = (await searchRequests()).filter((r) => r.query.return_data === '1');
				expect(paid).toHaveLength(2);
				expect(paid[1].query).toEqual(paid[0].query);
				// Both sendings were charged alike: the lost answer's credits are real.
				const charges = (await sandbox.control.charges(KEY)).slice(chargesBefore);
				expect(charges).toHaveLength(2);
				expect(Number(charges[0].consumed)).toBeGreaterThanOrEqual(1);
				expect(charges[1].consumed).toBe(charges[0].consumed);
				const messages = warn.mock.calls.map(([message]) => message);
				expect(messages).toContainEqual(
					expect.stringMatching(
						/^UK Planning Trigger: 1 paid request\(s\) failed and were answered when sent again in this poll; credits may have been charged for the lost answer\(s\) too \(check Account → Get Credits\): The Planning API had a server error \(HTTP 502\)/,
					),
				);
				// Nothing was left to the next poll, so nothing says so.
				expect(messages.filter((message) => /carried over to the next poll/.test(message))).toEqual(
					[],
				);
				expect(messages.join('\n')).not.toContain(KEY);
				expect(keyvalsOf((await poll(parameters(watched), result.staticData)).output)).toEqual([]);
			} finally {
				warn.mockRestore();
			}
		});
	});

	test('a bad filter fails with a clear message naming the filter', async () => {
		const result = await poll({ ...parameters([]), postcodeExact: 'NOT A POSTCODE' }, {});
		expect(result.error).toBeDefined();
		expect(result.error.message).toMatch(/postcode/i);
	});

	test('state stays bounded: days leaving the window are pruned', async () => {
		const watched = lpaIds.slice(0, 1);
		let { staticData } = await poll(parameters(watched, { lookbackDays: 5 }), {});
		for (let d = 0; d < 12; d++) {
			await advance(24);
			await publishLater([
				{
					lpa_id: watched[0],
					validated: isoDay(await nowMs()),
					postcode: `W${d + 1} 1AA`,
					address: 'Daily Road',
				},
			]);
			const r = await poll(parameters(watched, { lookbackDays: 5 }), staticData);
			expect(r.error).toBeUndefined();
			expect(keyvalsOf(r.output)).toHaveLength(1);
			staticData = r.staticData;
		}
		const days = Object.keys(staticData.state.days);
		expect(days.length).toBeLessThanOrEqual(6);
		expect(days.every((day) => day >= staticData.state.from)).toBe(true);
	});
});

describe('UK Planning Trigger, version 2 (Filters collection, Simplify)', () => {
	async function lateApplication(params) {
		let { staticData, error } = await pollV2(params, {});
		expect(error).toBeUndefined();
		const watched = params.filters.lpaIds;
		const validated = isoDay((await nowMs()) - 4 * DAY);
		const [added] = await publishLater([
			{
				lpa_id: watched[0],
				validated,
				postcode: 'SW1A 2ZZ',
				address: '1 Test Street SW1A 2ZZ',
				lat: '51.5',
				lng: '-0.12',
			},
		]);
		const late = await pollV2(params, staticData);
		expect(late.error).toBeUndefined();
		expect(late.output[0]).toHaveLength(1);
		staticData = late.staticData;
		return { added, json: late.output[0][0].json, staticData };
	}

	test('filters in the collection watch the same applications; Simplify (on by default) emits the compact fields', async () => {
		const { added, json, staticData } = await lateApplication(parametersV2(lpaIds.slice(0, 2)));
		expect(Object.keys(json)).toEqual(SIMPLIFIED);
		expect(json.reference).toBe(String(added.keyval));
		expect(json.postcode).toBe('SW1A 2ZZ');
		expect(json.location).toEqual({ lat: 51.5, lng: -0.12 });
		expect(typeof json.authority).toBe('string');
		const again = await pollV2(parametersV2(lpaIds.slice(0, 2)), staticData);
		expect(again.output).toBeNull();
	});

	test('Simplify off emits every field in camelCase; Omit Personal Data still leaves the personal ones out', async () => {
		const full = await lateApplication(parametersV2(lpaIds.slice(0, 1), { simplify: false }));
		expect(Object.keys(full.json).slice(0, SIMPLIFIED.length)).toEqual(SIMPLIFIED);
		expect(full.json).toHaveProperty('authorityId', lpaIds[0]);
		expect(full.json).toHaveProperty('applicantName');
		expect(full.json).toHaveProperty('agentEmail');
		expect(Object.keys(full.json).some((field) => field.includes('_'))).toBe(false);

		await sandbox.control.reset({ seed: 3 });
		await sandbox.control.setCredits(KEY, 100000);
		const omitted = await lateApplication(
			parametersV2(lpaIds.slice(0, 1), {
				simplify: false,
				outputOptions: { omitPersonalData: true },
			}),
		);
		expect(omitted.json).not.toHaveProperty('applicantName');
		expect(omitted.json).not.toHaveProperty('agentEmail');
		expect(omitted.json).toHaveProperty('address');
	});

	test('a bad filter in the collection fails naming the filter, before any request', async () => {
		const result = await pollV2(
			{ filters: { postcodeExact: 'NOT A POSTCODE' }, lookbackDays: 30 },
			{},
		);
		expect(result.error.message).toBe(
			'Invalid filter "Postcode (Exact)": "NOT A POSTCODE" is not a full UK postcode (e.g. "GU16 7HF")',
		);
		expect(await searchRequests()).toEqual([]);
	});

	test('version 1 still reads its top-level filters; version 2 ignores them and reads the collection', async () => {
		const v1 = await poll({ lpaIds: [lpaIds[0]], lookbackDays: 30 }, {});
		expect(v1.error).toBeUndefined();
		const v1Query = (await searchRequests())[0].query;
		expect(v1Query.lpa_id).toBe(lpaIds[0]);
		await sandbox.control.clearLogs();
		const v2 = await pollV2(
			{ lpaIds: [lpaIds[0]], filters: { lpaIds: [lpaIds[1]] }, lookbackDays: 30 },
			{},
		);
		expect(v2.error).toBeUndefined();
		expect((await searchRequests())[0].query.lpa_id).toBe(lpaIds[1]);
	});
});
