/**
 * UK Planning node and credential, run in real n8n-core execution contexts against the Planning sandbox
 * over real HTTP: every operation, every filter, credit accounting against the sandbox's charge log, the
 * credit guard, bad input (nothing sent), every error path and a search for the API key in everything
 * the node produced.
 */
'use strict';

const { runNode, runLoadOptions, testCredential, serializeError } = require('../harness/n8n');
const { startPlanningSandbox } = require('../../sandbox/planning');
const { UkPlanning } = require('../../nodes/UkPlanning/UkPlanning.node.ts');
const { UkPlanningApi } = require('../../credentials/UkPlanningApi.credentials.ts');
const {
	PERSONAL_FIELDS,
	PERSONAL_OUTPUT_FIELDS,
	SIMPLIFIED_FIELDS: SIMPLIFIED,
} = require('../fixtures/planningApplication');

let sandbox;
let control;
let lpas;
let visible;
let keyCounter = 0;

beforeAll(async () => {
	sandbox = await startPlanningSandbox({ port: 0 });
	control = sandbox.control;
	lpas = await control.lpas();
	const nowIso = await control.now();
	const nowMs = Date.parse(typeof nowIso === 'string' ? nowIso : nowIso.now);
	visible = (await control.applications({ includeUnpublished: false })).filter(
		(app) => !app.published_at || Date.parse(app.published_at) <= nowMs,
	);
});

afterAll(async () => {
	if (sandbox) await sandbox.close();
});

/** A key of its own for each test, so that its charge log and balance are the test's alone. */
async function freshKey(credits = 100000) {
	keyCounter += 1;
	const key = `ukp-node-test-${keyCounter}-Zq9xK2`;
	await control.setCredits(key, credits);
	return key;
}

function credentialsFor(key) {
	// A trailing slash on the Base URL is allowed and stripped.
	return { ukPlanningApi: { apiKey: key, baseUrl: `${sandbox.url}/` } };
}

/** Version 1, as workflows saved before version 2 hold it: top-level filters, Fail Without Spending by default. */
async function run(key, parameters, options = {}) {
	return await runNode(UkPlanning, {
		parameters,
		credentials: credentialsFor(key),
		typeVersion: 1,
		...options,
	});
}

/** The newest version, as a node newly placed in the editor has it. */
async function runV2(key, parameters, options = {}) {
	return await runNode(UkPlanning, { parameters, credentials: credentialsFor(key), ...options });
}

function search(parameters) {
	return { resource: 'application', operation: 'search', ...parameters };
}

/** Injects a fault into the free (count, `return_data=0`) or the paid (`return_data=1`) searches. */
function faultSearches(kind, fault) {
	return control.injectFault({
		path: '/search',
		returnData: kind === 'paid' ? '1' : '0',
		...fault,
	});
}

async function searchRequests(key) {
	return (await control.requests()).filter(
		(entry) => /\/search$/.test(entry.path) && (!key || entry.query.key === key),
	);
}

async function paidRequests(key) {
	return (await searchRequests(key)).filter((entry) => String(entry.query.return_data) === '1');
}

async function chargedCredits(key) {
	return (await control.charges(key)).reduce((sum, charge) => sum + Number(charge.consumed), 0);
}

/** Asserts that nothing the node produced carries the key: thrown error and output items. */
function expectNoKey(result, key) {
	expect(serializeError(result.error)).not.toContain(key);
	expect(JSON.stringify(result.output ?? null)).not.toContain(key);
	if (result.error) {
		expect(JSON.stringify(result.error)).not.toContain(key);
		expect(String(result.error.stack)).not.toContain(key);
	}
}

function countBy(field) {
	const counts = new Map();
	for (const app of visible)
		counts.set(String(app[field]), (counts.get(String(app[field])) ?? 0) + 1);
	return counts;
}

/** How many visible applications have `text` in `field`, in any case (as the API's contains filters). */
function visibleContaining(field, text) {
	return visible.filter((app) =>
		String(app[field] ?? '')
			.toLowerCase()
			.includes(text.toLowerCase()),
	).length;
}

/**
 * An authority and a validated-date range matching between `min` and `max` applications; `filters` are
 * the node's filters that select them (top-level in version 1, the Filters collection in version 2).
 */
function smallSlice(min, max) {
	const byLpa = new Map();
	for (const app of visible) {
		const list = byLpa.get(String(app.lpa_id)) ?? [];
		list.push(app);
		byLpa.set(String(app.lpa_id), list);
	}
	for (const [lpaId, apps] of byLpa) {
		const dates = apps
			.map((app) => app.validated)
			.sort()
			.reverse();
		for (let size = min; size <= max && size <= dates.length; size++) {
			const from = dates[size - 1];
			const to = dates[0];
			const matching = apps.filter((app) => app.validated >= from && app.validated <= to);
			if (matching.length >= min && matching.length <= max)
				return {
					lpaId,
					from,
					to,
					matching,
					filters: { lpaIds: [lpaId], dateFrom: from, dateTo: to },
				};
		}
	}
	throw new Error(`no authority/date slice with ${min}..${max} applications in the seed`);
}

describe('credential', () => {
	test('a known key passes the free test, an unknown key fails with a clear message', async () => {
		const key = await freshKey(0);
		await control.clearLogs();
		expect(
			await testCredential(UkPlanningApi, { apiKey: key, baseUrl: `${sandbox.url}/` }),
		).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		const bad = await testCredential(UkPlanningApi, {
			apiKey: 'not-a-real-key-Qw7',
			baseUrl: sandbox.url,
		});
		expect(bad.status).toBe('Error');
		expect(bad.message).toMatch(/rejected this API key/);
		expect(bad.message).not.toContain('not-a-real-key-Qw7');
		const tests = await searchRequests();
		expect(tests.length).toBe(2);
		for (const entry of tests) expect(String(entry.query.return_data)).toBe('0');
		expect(await control.charges(key)).toEqual([]);
	});
});

describe('authorities', () => {
	test('the multi-select lists every authority by name with its id', async () => {
		const key = await freshKey(0);
		const options = await runLoadOptions(UkPlanning, 'getAuthorities', {
			credentials: credentialsFor(key),
		});
		expect(options).toHaveLength(lpas.length);
		expect(options.map((option) => option.value).sort()).toEqual(
			lpas.map((lpa) => String(lpa.id)).sort(),
		);
		for (const option of options) expect(option.name).toMatch(/^[A-Z0-9]/);
	});

	test('Get Many: limit, return all, name filter, paired items', async () => {
		const key = await freshKey(0);
		const limited = await run(key, { resource: 'authority', operation: 'getAll', limit: 5 });
		expect(limited.error).toBeUndefined();
		expect(limited.output[0]).toHaveLength(5);
		for (const item of limited.output[0]) {
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(typeof item.json.id).toBe('string');
			expect(typeof item.json.application_count).toBe('number');
		}
		const all = await run(key, { resource: 'authority', operation: 'getAll', returnAll: true });
		expect(all.output[0]).toHaveLength(lpas.length);

		const sample = String(lpas[lpas.length - 1].name);
		const fragment = sample.slice(1, 5).toUpperCase();
		const filtered = await run(key, {
			resource: 'authority',
			operation: 'getAll',
			returnAll: true,
			nameFilter: fragment,
		});
		const expected = lpas.filter((lpa) =>
			String(lpa.name).toLowerCase().includes(fragment.toLowerCase()),
		);
		expect(filtered.output[0].map((item) => item.json.id).sort()).toEqual(
			expected.map((lpa) => String(lpa.id)).sort(),
		);
		expect(await control.charges(key)).toEqual([]);
	});
});

describe('search: count mode and filters', () => {
	/** Counts through the node; returns the count and the query the sandbox received. */
	async function nodeCount(parameters) {
		const key = await freshKey(0);
		const result = await run(key, search({ mode: 'count', ...parameters }));
		expect(result.error).toBeUndefined();
		const [request] = await searchRequests(key);
		expect(await control.charges(key)).toEqual([]);
		return { json: result.output[0][0].json, item: result.output[0][0], query: request.query };
	}

	test('no filters: the count of everything, the credits left and the cost, for free', async () => {
		const key = await freshKey(1234);
		const result = await run(key, search({ mode: 'count' }));
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(1);
		const { json, pairedItem } = result.output[0][0];
		expect(pairedItem).toEqual({ item: 0 });
		expect(json.count).toBe(visible.length);
		expect(json.creditsRemaining).toBe(1234);
		expect(json.creditsToFetch).toBe(visible.length);
		expect(json.costToFetch).toMatch(/^£[\d,.]+–£[\d,.]+$/);
		expect(await control.charges(key)).toEqual([]);
		expect(await control.credits(key)).toBe(1234);
	});

	test('authorities (multi-select and expression list)', async () => {
		const counts = countBy('lpa_id');
		const ids = [...counts.keys()].slice(0, 2);
		const one = await nodeCount({ lpaIds: [ids[0]] });
		expect(one.json.count).toBe(counts.get(ids[0]));
		expect(one.query.lpa_id).toBe(ids[0]);
		const two = await nodeCount({ lpaIds: `${ids[0]}, ${ids[1]}` });
		expect(two.json.count).toBe(counts.get(ids[0]) + counts.get(ids[1]));
		expect(two.query.lpa_id).toBe(`${ids[0]},${ids[1]}`);
	});

	test('validated date from / to, inclusive, from the date picker form', async () => {
		const dates = visible.map((app) => app.validated).sort();
		const from = dates[Math.floor(dates.length * 0.6)];
		const to = dates[Math.floor(dates.length * 0.8)];
		const expected = visible.filter((app) => app.validated >= from && app.validated <= to).length;
		const counted = await nodeCount({ dateFrom: `${from}T00:00:00`, dateTo: to });
		expect(counted.json.count).toBe(expected);
		expect(counted.query).toMatchObject({ date_from: from, date_to: to });
		expect(expected).toBeGreaterThan(0);
		expect(expected).toBeLessThan(visible.length);
	});

	test('postcode exact (any spacing and case) and postcode start', async () => {
		const postcode = visible.find((app) => app.postcode && / /.test(app.postcode)).postcode;
		const exact = visible.filter((app) => app.postcode === postcode).length;
		const typed = postcode.replace(/\s+/g, '').toLowerCase();
		const counted = await nodeCount({ postcodeExact: typed });
		expect(counted.query.postcode_exact).toBe(postcode);
		expect(counted.json.count).toBe(exact);

		const outward = postcode.split(' ')[0];
		const starting = visible.filter(
			(app) => app.postcode && app.postcode.startsWith(outward),
		).length;
		const started = await nodeCount({ postcodeStart: outward.toLowerCase() });
		expect(started.query.postcode_start).toBe(outward);
		expect(started.json.count).toBe(starting);
		expect(starting).toBeGreaterThanOrEqual(exact);
	});

	test('postcode radius', async () => {
		const withPosition = lpas
			.flatMap((lpa) => lpa.postcodes ?? [])
			.find((entry) => entry && entry.postcode);
		const postcode = withPosition
			? withPosition.postcode
			: visible.find((app) => app.postcode).postcode;
		const small = await nodeCount({ radiusPostcode: postcode.toLowerCase(), radiusMiles: 0.5 });
		expect(small.query.postcode_radius).toBe(`${postcode},0.5`);
		const large = await nodeCount({ radiusPostcode: postcode, radiusMiles: 5 });
		expect(large.query.postcode_radius).toBe(`${postcode},5`);
		expect(large.json.count).toBeGreaterThanOrEqual(small.json.count);
		expect(large.json.count).toBeGreaterThan(0);
	});

	test('address and keyword (contains, any case)', async () => {
		const sample = visible.find((app) => app.address && app.title);
		const street = sample.address.split(/\s+/).slice(1, 3).join(' ');
		const word =
			sample.title.split(/\s+/).find((part) => part.length > 5) ?? sample.title.split(/\s+/)[0];
		const byAddress = await nodeCount({ address: street.toUpperCase() });
		expect(byAddress.query.address).toBe(street.toUpperCase());
		expect(byAddress.json.count).toBe(visibleContaining('address', street));
		const byKeyword = await nodeCount({ keyword: word.toLowerCase() });
		expect(byKeyword.query.keyword).toBe(word.toLowerCase());
		expect(byKeyword.json.count).toBe(visibleContaining('title', word));
		expect(byKeyword.json.count).toBeGreaterThan(0);
	});
});

describe('search: applications mode and credit accounting', () => {
	test('one item per application, values normalised, charges equal what the node reports', async () => {
		const slice = smallSlice(5, 40);
		const key = await freshKey(500);
		const parameters = search(slice.filters);
		const result = await run(key, parameters);
		expect(result.error).toBeUndefined();
		const items = result.output[0];
		expect(items).toHaveLength(slice.matching.length);
		expect(items.map((item) => item.json.keyval).sort()).toEqual(
			slice.matching.map((app) => app.keyval).sort(),
		);
		for (const { json, pairedItem } of items) {
			expect(pairedItem).toEqual({ item: 0 });
			expect(json.lpa_id).toBe(slice.lpaId);
			expect(json.validated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
			if (json.lat !== null) expect(typeof json.lat).toBe('number');
			if (json.lng !== null) expect(typeof json.lng).toBe('number');
			if (json.docs !== null) expect(Number.isInteger(json.docs)).toBe(true);
			expect(json).toHaveProperty('applicant_name');
		}
		expect(await chargedCredits(key)).toBe(slice.matching.length);
		expect(await control.credits(key)).toBe(500 - slice.matching.length);
		expect((await paidRequests(key)).length).toBe(1);
	});

	test('summary item: counts and credits match the sandbox', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(300);
		const result = await run(key, search({ ...slice.filters, output: 'summary' }));
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(1);
		const { json } = result.output[0][0];
		expect(json.count).toBe(slice.matching.length);
		expect(json.fetched).toBe(slice.matching.length);
		expect(json.creditsSpent).toBe(await chargedCredits(key));
		expect(json.creditsRemaining).toBe(await control.credits(key));
		expect(json.narrowed).toBe(false);
		expect(json.applications).toHaveLength(slice.matching.length);
	});

	test('omit personal data leaves out applicant and agent details', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(300);
		const result = await run(
			key,
			search({
				...slice.filters,
				outputOptions: { omitPersonalData: true },
			}),
		);
		expect(result.error).toBeUndefined();
		const text = JSON.stringify(result.output);
		for (const item of result.output[0]) {
			for (const field of PERSONAL_FIELDS) {
				expect(item.json).not.toHaveProperty(field);
			}
		}
		for (const app of slice.matching) {
			for (const value of [app.applicant_name, app.agent_name, app.agent_email, app.agent_phone]) {
				if (value && String(value).length > 3) expect(text).not.toContain(String(value));
			}
		}
	});

	test('GeoJSON: one FeatureCollection item with a point per located application', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(300);
		const result = await run(key, search({ ...slice.filters, output: 'geojson' }));
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(1);
		const { json, pairedItem } = result.output[0][0];
		expect(pairedItem).toEqual({ item: 0 });
		expect(json.type).toBe('FeatureCollection');
		expect(json.features).toHaveLength(slice.matching.length);
		for (const feature of json.features) {
			expect(feature.type).toBe('Feature');
			if (feature.geometry) {
				const [lng, lat] = feature.geometry.coordinates;
				expect(Math.abs(lat)).toBeLessThanOrEqual(90);
				expect(Math.abs(lng)).toBeLessThanOrEqual(180);
			}
		}
		expect(json.search.creditsSpent).toBe(await chargedCredits(key));
	});

	test('several items: each gets its own search and paired items', async () => {
		const slice = smallSlice(2, 20);
		const key = await freshKey(300);
		const items = [{ json: { postcode: 'x' } }, { json: {} }];
		const result = await run(
			key,
			search({
				lpaIds: '={{ $itemIndex === 0 ? "' + slice.lpaId + '" : "" }}',
				mode: 'count',
				dateFrom: slice.from,
				dateTo: slice.to,
			}),
			{ items },
		);
		expect(result.error).toBeUndefined();
		expect(result.output[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(result.output[0][0].json.count).toBe(slice.matching.length);
		expect(result.output[0][1].json.count).toBeGreaterThanOrEqual(slice.matching.length);
	});
});

describe('credit guard', () => {
	test('over Max Credits: fails with count, cap and cost, and spends nothing', async () => {
		const key = await freshKey(100000);
		const result = await run(key, search({ maxCredits: 10 }));
		expect(result.error).toBeDefined();
		expect(result.error.message).toContain(`${visible.length} applications`);
		expect(result.error.message).toContain('Max Credits (10)');
		expect(result.error.description).toMatch(/£/);
		expect(await paidRequests(key)).toEqual([]);
		expect(await control.charges(key)).toEqual([]);
		expect(await control.credits(key)).toBe(100000);
	});

	test('newest first up to the cap: never more than the cap, the newest applications, charges as reported', async () => {
		const key = await freshKey(100000);
		const lpaIds = lpas.slice(0, 4).map((lpa) => String(lpa.id));
		const matching = visible.filter((app) => lpaIds.includes(String(app.lpa_id)));
		expect(matching.length).toBeGreaterThan(120);
		const cap = 120;
		const result = await run(
			key,
			search({ lpaIds, maxCredits: cap, overCap: 'newestFirst', output: 'summary' }),
		);
		expect(result.error).toBeUndefined();
		const summary = result.output[0][0].json;
		const spent = await chargedCredits(key);
		expect(spent).toBeLessThanOrEqual(cap);
		expect(summary.creditsSpent).toBe(spent);
		expect(summary.fetched).toBe(spent);
		expect(summary.narrowed).toBe(true);
		expect(summary.count).toBe(matching.length);
		// Filled close to the cap, and nothing left out is newer than what was fetched.
		expect(spent).toBeGreaterThan(cap / 2);
		const fetchedKeys = new Set(summary.applications.map((app) => app.keyval));
		const oldestFetched = summary.applications.map((app) => app.validated).sort()[0];
		const newestLeftOut = matching
			.filter((app) => !fetchedKeys.has(app.keyval))
			.map((app) => app.validated)
			.sort()
			.pop();
		expect(newestLeftOut <= oldestFetched).toBe(true);
		for (const app of summary.applications) expect(lpaIds).toContain(app.lpa_id);
		expect(await control.credits(key)).toBe(100000 - spent);
	});

	test('newest first: a later part failing keeps the parts already paid for and says what is missing', async () => {
		const key = await freshKey(100000);
		const lpaIds = lpas.slice(0, 4).map((lpa) => String(lpa.id));
		// The first paid part goes through; the second loses its connection (it may have been charged, so it is not repeated).
		await faultSearches('paid', { drop: true, skip: 1, times: 1 });
		const result = await run(
			key,
			search({ lpaIds, maxCredits: 120, overCap: 'newestFirst', output: 'summary' }),
		);
		await control.clearFaults();
		expect(result.error).toBeUndefined();
		const summary = result.output[0][0].json;
		expect(await paidRequests(key)).toHaveLength(2);
		expect(summary.incomplete).toBe(
			'The Planning API could not be reached: the connection was dropped',
		);
		const spent = await chargedCredits(key);
		expect(spent).toBeGreaterThan(0);
		expect(summary.creditsSpent).toBe(spent);
		expect(summary.fetched).toBe(spent);
		expect(summary.applications).toHaveLength(spent);
		expectNoKey(result, key);
	});

	test('newest first with fewer credits left than Max Credits: spends at most the balance', async () => {
		const key = await freshKey(30);
		const result = await run(
			key,
			search({
				lpaIds: [String(lpas[0].id)],
				maxCredits: 100,
				overCap: 'newestFirst',
				output: 'summary',
			}),
		);
		expect(result.error).toBeUndefined();
		const summary = result.output[0][0].json;
		const spent = await chargedCredits(key);
		expect(spent).toBeLessThanOrEqual(30);
		expect(spent).toBeGreaterThan(0);
		expect(summary.creditsSpent).toBe(spent);
		expect(summary.coverage.limitedByCreditsLeft).toBe(true);
		expect(await control.credits(key)).toBe(30 - spent);
	});

	test('not enough credits: fails before paying, nothing charged', async () => {
		const slice = smallSlice(5, 40);
		const key = await freshKey(2);
		const result = await run(key, search(slice.filters));
		expect(result.error).toBeDefined();
		expect(result.error.message).toMatch(/Not enough credits/);
		expect(result.error.message).toContain(`${slice.matching.length} applications`);
		expect(result.error.message).toContain('2 credits left');
		expect(await control.charges(key)).toEqual([]);
		expectNoKey(result, key);
	});
});

describe('bad input fails the item before any request', () => {
	test.each([
		[{ postcodeExact: 'NOT A POSTCODE' }, /Postcode \(Exact\).*NOT A POSTCODE/],
		[{ postcodeStart: '99' }, /Postcode Starts With/],
		[{ dateFrom: '2026-02-30' }, /Validated From.*2026-02-30/],
		[{ dateFrom: '2026-11-10', dateTo: '2026-11-01' }, /Validated From/],
		[{ radiusPostcode: 'GU16 7HF', radiusMiles: -1 }, /Radius \(Miles\)/],
		[{ radiusPostcode: 'GU16 7HF', radiusMiles: 0 }, /Radius \(Miles\)/],
		[{ radiusMiles: 3 }, /Radius Postcode/],
		[{ lpaIds: 'camden' }, /Planning Authority.*camden/],
	])(
		'%j (top-level in version 1, in the Filters collection in version 2)',
		async (filters, message) => {
			const key = await freshKey(100);
			await control.clearLogs();
			for (const result of [
				await run(key, search({ mode: 'applications', ...filters })),
				await runV2(key, search({ mode: 'applications', filters })),
			]) {
				expect(result.error).toBeDefined();
				expect(result.error.message).toMatch(message);
				expect(result.error.constructor.name).toBe('NodeOperationError');
				expect(result.error.context.itemIndex).toBe(0);
			}
			expect(await control.requests()).toEqual([]);
		},
	);

	test('an unknown authority id is caught by the free /lpas lookup, no search is sent', async () => {
		const key = await freshKey(100);
		await control.clearLogs();
		const unknownId = String(Math.max(...lpas.map((lpa) => Number(lpa.id))) + 1000);
		const result = await run(key, search({ lpaIds: [String(lpas[0].id), unknownId] }));
		expect(result.error.message).toMatch(new RegExp(`unknown authority id ${unknownId}`));
		expect(await searchRequests()).toEqual([]);
	});

	test('continueOnFail: the bad item becomes an error item, the good one still runs', async () => {
		const key = await freshKey(100);
		const result = await run(
			key,
			search({ mode: 'count', postcodeExact: '={{ $json.postcode }}' }),
			{
				items: [{ json: { postcode: 'nonsense' } }, { json: { postcode: '' } }],
				continueOnFail: true,
			},
		);
		expect(result.error).toBeUndefined();
		const [bad, good] = result.output[0];
		expect(bad.pairedItem).toEqual({ item: 0 });
		expect(bad.json.error).toMatch(/Postcode \(Exact\)/);
		expect(good.pairedItem).toEqual({ item: 1 });
		expect(good.json.count).toBe(visible.length);
	});

	test('Generate Key and Top-Up check their input', async () => {
		const key = await freshKey(0);
		await control.clearLogs();
		const email = await run(key, {
			resource: 'account',
			operation: 'generateKey',
			email: 'not-an-email',
		});
		expect(email.error.message).toMatch(/Email/);
		const credits = await run(key, { resource: 'account', operation: 'getTopUpLink', credits: 0 });
		expect(credits.error.message).toMatch(/Credits/);
		expect(await control.requests()).toEqual([]);
	});
});

describe('API errors become clear NodeApiErrors without the key', () => {
	afterEach(async () => {
		// Faults a test did not use up must not leak into the next one.
		await control.clearFaults();
	});

	test('403: an unknown key', async () => {
		const key = 'unknown-key-Hh31-secret';
		const result = await run(key, search({ mode: 'count' }));
		expect(result.error.constructor.name).toBe('NodeApiError');
		expect(result.error.message).toBe('The Planning API rejected the API key');
		expect(result.error.httpCode).toBe('403');
		expect(result.error.description).toMatch(/credential/);
		expectNoKey(result, key);
		const withContinue = await run(key, search({ mode: 'count' }), { continueOnFail: true });
		expect(withContinue.output[0][0].json.error).toMatch(/rejected the API key/);
		expectNoKey(withContinue, key);
	});

	test('400: a postcode the API does not know for a radius search', async () => {
		const key = await freshKey(100);
		const result = await run(
			key,
			search({ mode: 'count', radiusPostcode: 'ZE3 9ZZ', radiusMiles: 1 }),
		);
		expect(result.error.constructor.name).toBe('NodeApiError');
		expect(result.error.httpCode).toBe('400');
		expect(result.error.message).toMatch(/refused the search: .*postcode_radius/);
		expectNoKey(result, key);
	});

	test('429 on a free call is retried after Retry-After and then succeeds', async () => {
		const key = await freshKey(100);
		await faultSearches('free', { status: 429, retryAfter: 1, times: 1 });
		const result = await run(key, search({ mode: 'count' }));
		expect(result.error).toBeUndefined();
		expect(result.output[0][0].json.count).toBe(visible.length);
		expect((await searchRequests(key)).length).toBe(2);
	});

	test('429 that persists: the message gives the Retry-After; bounded attempts', async () => {
		const key = await freshKey(100);
		await faultSearches('free', { status: 429, retryAfter: 1, times: 10 });
		const result = await run(key, search({ mode: 'count' }));
		expect(result.error.constructor.name).toBe('NodeApiError');
		expect(result.error.httpCode).toBe('429');
		expect(result.error.message).toMatch(/try again after 1 second/);
		expect((await searchRequests(key)).length).toBe(4);
		expectNoKey(result, key);
	});

	test('429 on a paid call: repeated after Retry-After (a refused call ran nothing), charged once', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(100);
		await faultSearches('paid', { status: 429, retryAfter: 1, times: 1 });
		const result = await run(key, search(slice.filters));
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(3);
		expect((await paidRequests(key)).length).toBe(2);
		expect(await chargedCredits(key)).toBe(3);
	});

	test('429 with a Retry-After past the cap (3600 s) fails at once, saying when to try again', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(100);
		await faultSearches('paid', { status: 429, retryAfter: 3600, times: 1 });
		const result = await run(key, search(slice.filters));
		await control.clearFaults();
		expect(result.error.httpCode).toBe('429');
		expect(result.error.message).toMatch(/try again after 3600 seconds/);
		expect(result.error.description).toMatch(/longer than the 30 s/);
		expect(result.error.description).toMatch(/nothing was charged/);
		expect(result.error.description).not.toMatch(/attempts/);
		expect((await paidRequests(key)).length).toBe(1);
		expect(await control.charges(key)).toEqual([]);
		expectNoKey(result, key);
	});

	test('5xx on free calls: retried, up to four attempts', async () => {
		const key = await freshKey(100);
		await faultSearches('free', { status: 503, times: 2 });
		const retried = await run(key, search({ mode: 'count' }));
		expect(retried.error).toBeUndefined();
		expect((await searchRequests(key)).length).toBe(3);

		await faultSearches('free', { status: 500, times: 10 });
		const failed = await run(key, search({ mode: 'count' }));
		expect(failed.error.httpCode).toBe('500');
		expect(failed.error.message).toBe('The Planning API had a server error (HTTP 500)');
		expect((await searchRequests(key)).length).toBe(3 + 4);
		expectNoKey(failed, key);
		await control.clearFaults();
	});

	test.each([[500], [502], [503], [504]])(
		'a paid search answered %s after the API ran it: not repeated, charged once, and the error says so',
		async (status) => {
			const slice = smallSlice(3, 30);
			const key = await freshKey(100);
			await faultSearches('paid', { status, afterRun: true, times: 1 });
			const result = await run(key, search(slice.filters));
			expect(result.error.constructor.name).toBe('NodeApiError');
			expect(result.error.httpCode).toBe(String(status));
			expect(result.error.message).toBe(
				`The Planning API had a server error (HTTP ${status}): credits may have been charged; check Account → Get Credits`,
			);
			expect(result.error.description).toMatch(/It was not sent again/);
			expect(result.error.description).not.toMatch(/nothing was charged/);
			expect((await paidRequests(key)).length).toBe(1);
			expect(await chargedCredits(key)).toBe(3);
			expectNoKey(result, key);
		},
	);

	test('a paid search answered 503 with Retry-After (a refusal): repeated after the wait, charged once', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(100);
		await faultSearches('paid', { status: 503, retryAfter: 1, times: 1 });
		const result = await run(key, search(slice.filters));
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(3);
		expect((await paidRequests(key)).length).toBe(2);
		expect(await chargedCredits(key)).toBe(3);
	});

	test('a dropped connection: free calls retried, a paid call is not', async () => {
		const key = await freshKey(100);
		await faultSearches('free', { drop: true, times: 1 });
		const retried = await run(key, search({ mode: 'count' }));
		expect(retried.error).toBeUndefined();

		const slice = smallSlice(3, 30);
		const paidKey = await freshKey(100);
		await faultSearches('paid', { drop: true, times: 1 });
		const paid = await run(paidKey, search(slice.filters));
		expect(paid.error.constructor.name).toBe('NodeApiError');
		expect(paid.error.message).toBe(
			'The Planning API could not be reached: the connection was dropped',
		);
		expect(paid.error.description).toMatch(/Get Credits/);
		expect((await paidRequests(paidKey)).length).toBe(1);
		expect(await control.charges(paidKey)).toEqual([]);
		expectNoKey(paid, paidKey);

		await control.injectFault({ path: '/lpas', drop: true, times: 10 });
		const lpasDown = await run(
			key,
			{ resource: 'authority', operation: 'getAll' },
			{ continueOnFail: true },
		);
		expect(lpasDown.output[0][0].json.error).toMatch(/could not be reached/);
		expectNoKey(lpasDown, key);
	});

	test('the key appears in no output of a successful run either', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(300);
		for (const output of ['items', 'summary', 'geojson']) {
			const result = await run(key, search({ ...slice.filters, output }));
			expect(result.error).toBeUndefined();
			expectNoKey(result, key);
		}
		const counted = await run(key, search({ mode: 'count' }));
		expectNoKey(counted, key);
		const topUp = await run(key, { resource: 'account', operation: 'getTopUpLink', credits: 1000 });
		expectNoKey(topUp, key);
	});
});

describe('account', () => {
	test('Generate Key: a new working key with no credits, sent without the saved key', async () => {
		const key = await freshKey(10);
		await control.clearLogs();
		const result = await run(key, {
			resource: 'account',
			operation: 'generateKey',
			email: 'watcher@example.com',
		});
		expect(result.error).toBeUndefined();
		const { json, pairedItem } = result.output[0][0];
		expect(pairedItem).toEqual({ item: 0 });
		expect(typeof json.key).toBe('string');
		expect(json.key).not.toBe(key);
		expect(json.email).toBe('watcher@example.com');
		const [request] = await control.requests();
		expect(request.path).toMatch(/\/generatekey$/);
		expect(request.query.key).toBeUndefined();
		expect(
			await testCredential(UkPlanningApi, { apiKey: json.key, baseUrl: sandbox.url }),
		).toMatchObject({ status: 'OK' });
		expect(await control.credits(json.key)).toBe(0);
	});

	test('Get Top-Up Link: the payment URL without opening it, and the price per credit', async () => {
		const key = await freshKey(10);
		const result = await run(key, {
			resource: 'account',
			operation: 'getTopUpLink',
			credits: 2500,
		});
		expect(result.error).toBeUndefined();
		const { json } = result.output[0][0];
		expect(json.paymentUrl.startsWith(`${sandbox.origin}/pay/`)).toBe(true);
		expect(json.pricePerCredit).toBe(0.09);
		expect(json.estimatedCost).toBe(225);
		expect(json.currency).toBe('GBP');
		// Not followed: the credits are unchanged until someone pays on that page.
		expect(await control.credits(key)).toBe(10);
		const paid = await fetch(json.paymentUrl);
		expect(paid.ok).toBe(true);
		expect(await control.credits(key)).toBe(2510);
	});

	test('Get Credits: the balance, for free', async () => {
		const key = await freshKey(4321);
		const result = await run(key, { resource: 'account', operation: 'getCredits' });
		expect(result.error).toBeUndefined();
		expect(result.output[0][0].json.creditsRemaining).toBe(4321);
		expect(await control.charges(key)).toEqual([]);
	});
});

describe('version 2: Filters collection, Simplify, newest first by default', () => {
	test('the description: filters top-level in version 1 only, the collection and Simplify in version 2; If Over Max Credits defaults by version', () => {
		const { properties, version, defaultVersion } = new UkPlanning().description;
		expect(version).toEqual([1, 2]);
		expect(defaultVersion).toBe(2);
		const named = (name) => properties.filter((property) => property.name === name);
		expect(named('lpaIds')[0].displayOptions.show['@version']).toEqual([1]);
		expect(named('filters')[0].displayOptions.show['@version']).toEqual([{ _cnd: { gte: 2 } }]);
		expect(named('simplify')[0].displayOptions.show['@version']).toEqual([{ _cnd: { gte: 2 } }]);
		expect(
			named('overCap').map((property) => [
				property.displayOptions.show['@version'],
				property.default,
			]),
		).toEqual([
			[[1], 'fail'],
			[[{ _cnd: { gte: 2 } }], 'newestFirst'],
		]);
		// The choices every search makes stay above the Filters collection.
		const order = properties
			.filter((property) => property.displayOptions?.show?.operation?.[0] === 'search')
			.map((p) => p.name);
		const filtersAt = order.indexOf('filters');
		for (const name of ['mode', 'maxCredits', 'output', 'simplify'])
			expect(order.indexOf(name)).toBeLessThan(filtersAt);
	});

	test('the same filters, top-level in version 1 or in the collection in version 2, send the same query', async () => {
		const key = await freshKey(0);
		const filters = {
			lpaIds: [String(lpas[0].id)],
			dateFrom: '2026-10-01T00:00:00',
			postcodeStart: 'gu',
			keyword: 'extension',
		};
		await control.clearLogs();
		const v1 = await run(key, search({ mode: 'count', ...filters }));
		const v2 = await runV2(key, search({ mode: 'count', filters }));
		expect(v1.error).toBeUndefined();
		expect(v2.error).toBeUndefined();
		expect(v2.output[0][0].json).toEqual(v1.output[0][0].json);
		const [first, second] = await searchRequests(key);
		expect(second.query).toEqual(first.query);
		expect(first.query).toMatchObject({
			lpa_id: String(lpas[0].id),
			date_from: '2026-10-01',
			postcode_start: 'GU',
			keyword: 'extension',
		});
	});

	test('the first search of a new node (no filters, Max Credits 100) returns the newest 100, says what was left out, spends 100', async () => {
		const key = await freshKey(5000);
		const result = await runV2(key, search({}));
		expect(result.error).toBeUndefined();
		const items = result.output[0];
		const spent = await chargedCredits(key);
		expect(items.length).toBe(spent);
		expect(spent).toBeLessThanOrEqual(100);
		expect(spent).toBeGreaterThan(50);
		for (const { json } of items) expect(Object.keys(json)).toEqual(SIMPLIFIED);
		// Nothing left out is newer than what was returned.
		const returned = new Set(items.map((item) => item.json.reference));
		const oldestReturned = items.map((item) => item.json.validated).sort()[0];
		const newestLeftOut = visible
			.filter((app) => !returned.has(app.keyval))
			.map((app) => app.validated)
			.sort()
			.pop();
		expect(newestLeftOut <= oldestReturned).toBe(true);
		const hints = result.context.hints.map((hint) => hint.message);
		expect(hints).toContainEqual(
			expect.stringMatching(
				new RegExp(
					`^${visible.length} applications match, more than Max Credits \\(100\\): returned the newest ${spent}.*; ${visible.length - spent} older ones were left out and not charged`,
				),
			),
		);
	});

	test('the summary of a narrowed search gives the count, what was fetched and what was left out', async () => {
		const key = await freshKey(5000);
		const result = await runV2(key, search({ maxCredits: 30, output: 'summary' }));
		expect(result.error).toBeUndefined();
		const summary = result.output[0][0].json;
		expect(summary.count).toBe(visible.length);
		expect(summary.fetched).toBe(await chargedCredits(key));
		expect(summary.leftOut).toBe(visible.length - summary.fetched);
		expect(summary.narrowed).toBe(true);
		expect(summary.coverage.newestFirst).toBe(true);
		expect(summary.applications).toHaveLength(summary.fetched);
		for (const application of summary.applications)
			expect(Object.keys(application)).toEqual(SIMPLIFIED);
	});

	test('If Over Max Credits set to Fail Without Spending still refuses with nothing charged', async () => {
		const key = await freshKey(5000);
		const result = await runV2(key, search({ maxCredits: 10, overCap: 'fail' }));
		expect(result.error.message).toContain('Max Credits (10)');
		expect(await control.charges(key)).toEqual([]);
	});

	test('Simplify off: every field in camelCase, the same applications; Omit Personal Data still applies', async () => {
		const slice = smallSlice(3, 30);
		const { filters } = slice;
		const key = await freshKey(300);
		const simple = await runV2(key, search({ filters }));
		const full = await runV2(key, search({ filters, simplify: false }));
		const omitted = await runV2(
			key,
			search({ filters, simplify: false, outputOptions: { omitPersonalData: true } }),
		);
		for (const result of [simple, full, omitted]) expect(result.error).toBeUndefined();
		const references = (result) => result.output[0].map((item) => item.json.reference).sort();
		expect(references(simple)).toEqual(slice.matching.map((app) => app.keyval).sort());
		expect(references(full)).toEqual(references(simple));
		for (const [index, { json }] of full.output[0].entries()) {
			expect(Object.keys(json).slice(0, SIMPLIFIED.length)).toEqual(SIMPLIFIED);
			expect(json).toMatchObject(simple.output[0][index].json);
			expect(json.authorityId).toBe(slice.lpaId);
			expect(json).toHaveProperty('applicantName');
			expect(json).toHaveProperty('documents');
			expect(Object.keys(json).some((field) => field.includes('_'))).toBe(false);
			expect(Object.keys(json.location)).toEqual(['lat', 'lng']);
			expect(json.location.lat === null).toBe(json.location.lng === null);
			if (json.location.lat !== null) expect(typeof json.location.lat).toBe('number');
		}
		for (const { json } of omitted.output[0]) {
			for (const field of PERSONAL_OUTPUT_FIELDS) {
				expect(json).not.toHaveProperty(field);
			}
		}
	});

	test('GeoJSON: the location is the geometry, the simplified fields the properties', async () => {
		const slice = smallSlice(3, 30);
		const key = await freshKey(300);
		const result = await runV2(
			key,
			search({
				filters: slice.filters,
				output: 'geojson',
			}),
		);
		expect(result.error).toBeUndefined();
		const { features, search: summary } = result.output[0][0].json;
		expect(features).toHaveLength(slice.matching.length);
		expect(summary.leftOut).toBe(0);
		for (const feature of features) {
			expect(feature.id).toBe(feature.properties.reference);
			expect(Object.keys(feature.properties)).toEqual(
				SIMPLIFIED.filter((field) => field !== 'location'),
			);
			if (feature.geometry) expect(feature.geometry.coordinates).toHaveLength(2);
		}
	});

	test('Authority → Get Many names its count applicationCount', async () => {
		const key = await freshKey(0);
		const result = await runV2(key, { resource: 'authority', operation: 'getAll', limit: 3 });
		expect(result.error).toBeUndefined();
		for (const { json } of result.output[0]) {
			expect(Object.keys(json)).toEqual(['id', 'name', 'applicationCount']);
			expect(typeof json.applicationCount).toBe('number');
		}
	});
});
