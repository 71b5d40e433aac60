/**
 * Contract tests of the Planning API sandbox (sandbox/planning) over real HTTP with undici: every endpoint
 * of the seed (/generatekey, /topup + the payment page, /lpas, /search with each parameter), the envelope,
 * credit accounting, the ERROR answers decided in /work/shared/api-facts.md, publication-time visibility,
 * injected faults and the control API (in-process and under /_sandbox/).
 *
 * Decided behaviours pinned here (not known from the real service; kept simple and honest):
 * - An unknown query parameter is ignored: the search answers as if it were absent (and does not echo it).
 * - A malformed postcode_exact / postcode_start is not an error: it simply matches no application.
 * - A date_from later than date_to is not an error either: it matches nothing.
 * - Only postcode_radius must name a known full postcode (it needs coordinates), hence its 400.
 */
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

const { request } = require('undici');

const { startPlanningSandbox, PRICE_TABLE } = require('../../sandbox/planning');

const NOW = '2026-11-20T12:00:00Z';
const DEMO_KEY = 'demo-planning-key';
const DATA_FIELDS = [
	'lpa_id',
	'lpa_name',
	'keyval',
	'externalLink',
	'title',
	'address',
	'postcode',
	'lat',
	'lng',
	'validated',
	'applicant_name',
	'applicant_address',
	'agent_name',
	'agent_address',
	'agent_phone',
	'agent_email',
	'docs',
];

let sandbox;
let control;

beforeAll(async () => {
	sandbox = await startPlanningSandbox({ port: 0, now: NOW });
	control = sandbox.control;
});

afterAll(async () => {
	await sandbox.close();
});

beforeEach(async () => {
	await control.reset();
});

/** GET on the API; never follows redirects. */
async function api(endpoint, query = {}, options = {}) {
	const url = new URL(`${sandbox.url}${endpoint}`);
	for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
	const answer = await request(url, { method: 'GET', ...options });
	const text = await answer.body.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: answer.statusCode, headers: answer.headers, text, json };
}

async function controlHttp(method, path, body) {
	const answer = await request(`${sandbox.origin}/_sandbox${path}`, {
		method,
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: answer.statusCode, json: await answer.body.json() };
}

/** Independent great-circle distance (haversine, mean Earth radius 3958.8 miles). */
function haversineMiles(lat1, lng1, lat2, lng2) {
	const toRad = (degrees) => (degrees * Math.PI) / 180;
	const dLat = toRad(lat2 - lat1);
	const dLng = toRad(lng2 - lng1);
	const h =
		Math.sin(dLat / 2) ** 2 +
		Math.cos(toRad(lat1)) * Math.cos(toRad(lat2)) * Math.sin(dLng / 2) ** 2;
	return 2 * 3958.8 * Math.asin(Math.sqrt(h));
}

async function visibleApps() {
	return control.applications({ includeUnpublished: false });
}

async function richKey(credits = 1000000) {
	const key = `contract-${Math.random().toString(16).slice(2)}`;
	await control.setCredits(key, credits);
	return key;
}

/** Runs a paid search and checks the answer's shape; returns the data. */
async function searchData(key, query) {
	const answer = await api('/search', { key, ...query, return_data: 1 });
	expect(answer.status).toBe(200);
	expect(answer.json.response.status).toBe('OK');
	expect(answer.json.response.application_count).toBe(answer.json.response.data.length);
	return answer.json.response.data;
}

const sortedKeyvals = (apps) => apps.map((app) => app.keyval).sort();

describe('seed data', () => {
	test('at least 15 LPAs, several thousand applications over two years, all published by now', async () => {
		const lpas = await control.lpas();
		expect(lpas.length).toBeGreaterThanOrEqual(15);
		const names = lpas.map((lpa) => lpa.name);
		for (const name of [
			'camden',
			'hackney',
			'islington',
			'westminster',
			'southwark',
			'lambeth',
			'tower-hamlets',
			'bromsgrove',
			'chichester',
			'epsom-and-ewell',
		]) {
			expect(names).toContain(name);
		}
		const all = await control.applications({ includeUnpublished: true });
		const visible = await visibleApps();
		expect(all.length).toBeGreaterThan(3000);
		expect(visible).toHaveLength(all.length);
		const nowMs = Date.parse(NOW);
		const twoYearsAgo = new Date(nowMs - 731 * 86400000).toISOString().slice(0, 10);
		const dayMs = 86400000;
		// Collected, not asserted one by one: 13,000 expect calls would be slow and their failures unreadable.
		const outOfRange = all.filter((app) => {
			const publishedMs = Date.parse(app.published_at);
			const validatedMs = Date.parse(`${app.validated}T00:00:00Z`);
			return (
				app.validated < twoYearsAgo ||
				app.validated >= NOW.slice(0, 10) ||
				publishedMs > nowMs ||
				publishedMs < validatedMs ||
				publishedMs >= validatedMs + 22 * dayMs
			);
		});
		expect(
			outOfRange.map(
				(app) => `${app.keyval} validated ${app.validated} published ${app.published_at}`,
			),
		).toEqual([]);
		// Councils in more than one part of the country, and personal data sometimes absent.
		expect(new Set(all.map((app) => app.lpa_id)).size).toBe(lpas.length);
		expect(all.some((app) => app.applicant_name === null)).toBe(true);
		expect(all.some((app) => app.agent_email === null)).toBe(true);
		expect(all.some((app) => app.agent_email !== null)).toBe(true);
		// Postcodes look like UK postcodes, and each application's coordinates are its postcode's.
		const known = new Map(
			(await control.lpas()).flatMap((lpa) =>
				lpa.postcodes.map((entry) => [entry.postcode, entry]),
			),
		);
		const misplaced = all.filter((app) => {
			if (app.postcode === null) return app.lat !== null || app.lng !== null;
			const entry = known.get(app.postcode);
			return (
				!/^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/.test(app.postcode) ||
				!entry ||
				Math.abs(Number(app.lat) - entry.lat) > 1e-6 ||
				Math.abs(Number(app.lng) - entry.lng) > 1e-6
			);
		});
		expect(misplaced.map((app) => `${app.keyval} ${app.postcode} ${app.lat},${app.lng}`)).toEqual(
			[],
		);
		expect(all.filter((app) => app.postcode !== null).length).toBeGreaterThan(all.length * 0.9);
		expect(known.get('GU16 7HF')).toMatchObject({
			lpa_id: lpas.find((lpa) => lpa.name === 'surrey-heath').id,
		});
	});

	test('the same seed gives the same data; another seed gives other data', async () => {
		const first = await control.applications({ includeUnpublished: true });
		const other = await startPlanningSandbox({ port: 0, now: NOW, seed: 1 });
		try {
			expect(other.control.applications({ includeUnpublished: true })).toEqual(first);
		} finally {
			await other.close();
		}
		await control.reset({ seed: 2 });
		const reseeded = await control.applications({ includeUnpublished: true });
		expect(sortedKeyvals(reseeded)).not.toEqual(sortedKeyvals(first));
		await control.reset({ seed: 1 });
		expect(await control.applications({ includeUnpublished: true })).toEqual(first);
	});
});

describe('/generatekey', () => {
	test('gives a new key with 0 credits in the envelope of the seed', async () => {
		const answer = await api('/generatekey', { email: 'planner@example.org' });
		expect(answer.status).toBe(200);
		expect(answer.json.request).toMatchObject({
			api_endpoint: '/generatekey',
			datetime: '2026-11-20 12:00:00',
			email: 'planner@example.org',
		});
		expect(typeof answer.json.request.ip_address).toBe('string');
		expect(answer.json.response).toMatchObject({ api_version: '1.0', status: 'OK' });
		const key = answer.json.response.key;
		expect(key).toMatch(/^[0-9a-z]{16}$/);
		expect(await control.credits(key)).toBe(0);
		const search = await api('/search', { key, lpa_id: 1, return_data: 0 });
		expect(search.json.response.credits).toEqual({ consumed: 0, remaining: '0' });
		const another = await api('/generatekey', { email: 'planner@example.org' });
		expect(another.json.response.key).not.toBe(key);
	});

	test.each([[{}], [{ email: '' }], [{ email: 'not-an-email' }], [{ email: 'a@b' }]])(
		'refuses a bad email %j with 400 ERROR',
		async (query) => {
			const answer = await api('/generatekey', query);
			expect(answer.status).toBe(400);
			expect(answer.json.response.status).toBe('ERROR');
			expect(answer.json.response.message).toMatch(/email/i);
			expect(answer.json.response.key).toBeUndefined();
		},
	);
});

describe('/topup and the payment page', () => {
	test('redirects to a local payment page that adds the credits once', async () => {
		const key = (await api('/generatekey', { email: 'buyer@example.org' })).json.response.key;
		const answer = await api('/topup', { key, credits: 1000 });
		expect(answer.status).toBe(302);
		const location = answer.headers.location;
		expect(location).toMatch(new RegExp(`^${sandbox.origin}/pay/[0-9a-f]+$`));
		// Nothing is added before the page is visited.
		expect(await control.credits(key)).toBe(0);

		const page = await request(location);
		const html = await page.body.text();
		expect(page.statusCode).toBe(200);
		expect(page.headers['content-type']).toMatch(/text\/html/);
		expect(html).toMatch(/payment received/i);
		expect(html).toContain('1000 credits');
		expect(html).toContain('GBP 100.00');
		expect(html).not.toContain(key);
		expect(await control.credits(key)).toBe(1000);

		const again = await request(location);
		await again.body.text();
		expect(again.statusCode).toBe(200);
		expect(await control.credits(key)).toBe(1000);

		const search = await api('/search', { key, lpa_id: 1, return_data: 0 });
		expect(search.json.response.credits.remaining).toBe('1000');
	});

	test('prices follow the seed table: 0.10 each at 1,000 down to 0.05 each at 50,000', async () => {
		expect(PRICE_TABLE.map((tier) => [tier.credits, tier.pricePerCredit])).toEqual([
			[1000, 0.1],
			[2500, 0.09],
			[5000, 0.08],
			[10000, 0.07],
			[25000, 0.06],
			[50000, 0.05],
		]);
		const answer = await api('/topup', { key: DEMO_KEY, credits: 50000 });
		const html = await (await request(answer.headers.location)).body.text();
		expect(html).toContain('GBP 2500.00');
		expect(await control.credits(DEMO_KEY)).toBe(55000);
	});

	test('an unknown or missing key is refused with 403; bad credits with 400; an unknown page with 404', async () => {
		const unknown = await api('/topup', { key: 'nope', credits: 1000 });
		expect(unknown.status).toBe(403);
		expect(unknown.json.response.status).toBe('ERROR');
		const missing = await api('/topup', { credits: 1000 });
		expect(missing.status).toBe(403);
		for (const credits of ['', 'abc', '0', '-5', '1.5']) {
			const bad = await api('/topup', { key: DEMO_KEY, credits });
			expect(bad.status).toBe(400);
			expect(bad.json.response.message).toMatch(/credits/);
		}
		const page = await request(`${sandbox.origin}/pay/0123456789abcdef`);
		await page.body.text();
		expect(page.statusCode).toBe(404);
		expect(await control.credits(DEMO_KEY)).toBe(5000);
	});
});

describe('/lpas', () => {
	test('lists the LPAs with string ids and counts of published applications', async () => {
		const answer = await api('/lpas');
		expect(answer.status).toBe(200);
		expect(answer.json.request).toMatchObject({
			api_endpoint: '/lpas',
			datetime: '2026-11-20 12:00:00',
		});
		expect(answer.json.response).toMatchObject({ api_version: '1.0', status: 'OK' });
		const data = answer.json.response.data;
		expect(data.length).toBeGreaterThanOrEqual(15);
		const visible = await visibleApps();
		for (const lpa of data) {
			expect(Object.keys(lpa)).toEqual(['id', 'name', 'application_count']);
			expect(typeof lpa.id).toBe('string');
			expect(lpa.application_count).toBe(
				String(visible.filter((app) => app.lpa_id === lpa.id).length),
			);
		}
		expect(data.find((lpa) => lpa.id === '1').name).toBe('bromsgrove');
	});

	test('the authorities whose real LPA ids are known have those ids (api-facts.md)', async () => {
		const data = (await api('/lpas')).json.response.data;
		const real = {
			1: 'bromsgrove',
			2: 'chichester',
			106: 'bradford',
			175: 'kirklees',
			205: 'leeds',
			213: 'sheffield',
			245: 'wakefield',
		};
		for (const [id, name] of Object.entries(real)) {
			expect(data.filter((lpa) => lpa.name === name).map((lpa) => lpa.id)).toEqual([id]);
		}
		// Ids are strings of digits and run into the hundreds; no two authorities share one.
		for (const lpa of data) expect(lpa.id).toMatch(/^[1-9]\d*$/);
		expect(new Set(data.map((lpa) => lpa.id)).size).toBe(data.length);
		expect(data.some((lpa) => Number(lpa.id) >= 100)).toBe(true);
	});

	test('counts an application only once it is published', async () => {
		const before = (await api('/lpas')).json.response.data.find((lpa) => lpa.name === 'camden');
		await control.addApplications([
			{ lpa_id: before.id, validated: '2026-11-10', published_at: '2026-11-22T09:00:00Z' },
		]);
		const still = (await api('/lpas')).json.response.data.find((lpa) => lpa.name === 'camden');
		expect(still.application_count).toBe(before.application_count);
		await control.setNow('2026-11-22T09:00:00Z');
		const after = (await api('/lpas')).json.response.data.find((lpa) => lpa.name === 'camden');
		expect(Number(after.application_count)).toBe(Number(before.application_count) + 1);
	});
});

describe('/search', () => {
	test('return_data=0: the envelope echoes the parameters, counts, and charges nothing', async () => {
		const answer = await api('/search', {
			key: DEMO_KEY,
			lpa_id: 2,
			date_from: '2026-10-10',
			date_to: '2026-10-21',
			return_data: 0,
		});
		expect(answer.status).toBe(200);
		expect(answer.json.request).toEqual({
			api_endpoint: '/search',
			ip_address: expect.any(String),
			datetime: '2026-11-20 12:00:00',
			key: DEMO_KEY,
			lpa_id: '2',
			date_from: '2026-10-10',
			date_to: '2026-10-21',
			return_data: '0',
		});
		const expected = (await visibleApps()).filter(
			(app) => app.lpa_id === '2' && app.validated >= '2026-10-10' && app.validated <= '2026-10-21',
		);
		expect(expected.length).toBeGreaterThan(0);
		expect(answer.json.response).toEqual({
			api_version: '1.0',
			credits: { consumed: 0, remaining: '5000' },
			status: 'OK',
			application_count: expected.length,
		});
		expect(await control.charges()).toEqual([]);
		expect(await control.credits(DEMO_KEY)).toBe(5000);
	});

	test('return_data=1: data in the seed shape, charged one credit per application', async () => {
		await control.setCredits(DEMO_KEY, 1000);
		const query = {
			key: DEMO_KEY,
			lpa_id: '3',
			date_from: '2026-09-01',
			date_to: '2026-10-31',
			return_data: 1,
		};
		const answer = await api('/search', query);
		const { response } = answer.json;
		const count = response.application_count;
		expect(count).toBeGreaterThan(5);
		expect(response.status).toBe('OK');
		expect(response.credits).toEqual({ consumed: count, remaining: String(1000 - count) });
		expect(response.data).toHaveLength(count);
		for (const app of response.data) {
			expect(Object.keys(app)).toEqual(DATA_FIELDS);
			for (const field of DATA_FIELDS)
				expect(app[field] === null || typeof app[field] === 'string').toBe(true);
			expect(app.lpa_name).toBe('epsom-and-ewell');
			expect(app.externalLink).toContain(app.keyval);
			expect(app.docs).toMatch(/^\d+$/);
			if (app.lat !== null)
				expect(Number.isFinite(Number(app.lat)) && Number.isFinite(Number(app.lng))).toBe(true);
		}
		// Ascending validated date, then keyval.
		const order = response.data.map((app) => `${app.validated} ${app.keyval}`);
		expect(order).toEqual([...order].sort());
		expect(await control.credits(DEMO_KEY)).toBe(1000 - count);
		const charges = await control.charges(DEMO_KEY);
		expect(charges).toHaveLength(1);
		expect(charges[0]).toMatchObject({
			key: DEMO_KEY,
			application_count: count,
			consumed: count,
			at: '2026-11-20T12:00:00.000Z',
		});
		expect(charges[0].query).toMatchObject({ lpa_id: '3', return_data: '1' });

		// The same paid search again costs the same again: remaining keeps decreasing.
		const second = await api('/search', query);
		expect(second.json.response.credits).toEqual({
			consumed: count,
			remaining: String(1000 - 2 * count),
		});
		expect((await control.charges()).reduce((sum, charge) => sum + charge.consumed, 0)).toBe(
			2 * count,
		);
	});

	test('lpa_id: one id or a comma list', async () => {
		const key = await richKey();
		const visible = await visibleApps();
		const one = await searchData(key, { lpa_id: '5', date_from: '2026-06-01' });
		expect(one.length).toBeGreaterThan(0);
		expect(one.every((app) => app.lpa_id === '5' && app.lpa_name === 'camden')).toBe(true);
		expect(sortedKeyvals(one)).toEqual(
			sortedKeyvals(visible.filter((app) => app.lpa_id === '5' && app.validated >= '2026-06-01')),
		);
		const several = await searchData(key, { lpa_id: '5,6,7', date_from: '2026-06-01' });
		expect(new Set(several.map((app) => app.lpa_id))).toEqual(new Set(['5', '6', '7']));
		expect(sortedKeyvals(several)).toEqual(
			sortedKeyvals(
				visible.filter(
					(app) => ['5', '6', '7'].includes(app.lpa_id) && app.validated >= '2026-06-01',
				),
			),
		);
	});

	test('date_from and date_to are inclusive bounds on the validated date', async () => {
		const key = await richKey();
		const visible = await visibleApps();
		const day = visible.find(
			(app) => app.lpa_id === '8' && app.validated.startsWith('2026-03'),
		).validated;
		const sameDay = await searchData(key, { lpa_id: '8', date_from: day, date_to: day });
		expect(sameDay.length).toBeGreaterThan(0);
		expect(sameDay.every((app) => app.validated === day)).toBe(true);
		expect(sortedKeyvals(sameDay)).toEqual(
			sortedKeyvals(visible.filter((app) => app.lpa_id === '8' && app.validated === day)),
		);
		const fromOnly = await api('/search', { key, date_from: '2026-11-01', return_data: 0 });
		expect(fromOnly.json.response.application_count).toBe(
			visible.filter((app) => app.validated >= '2026-11-01').length,
		);
		const toOnly = await api('/search', { key, date_to: '2025-01-31', return_data: 0 });
		expect(toOnly.json.response.application_count).toBe(
			visible.filter((app) => app.validated <= '2025-01-31').length,
		);
		// Decided: an empty range is not an error, it matches nothing.
		const reversed = await api('/search', {
			key,
			date_from: '2026-10-02',
			date_to: '2026-10-01',
			return_data: 0,
		});
		expect(reversed.status).toBe(200);
		expect(reversed.json.response.application_count).toBe(0);
	});

	test('postcode_exact matches the whole postcode; postcode_start its beginning', async () => {
		const key = await richKey();
		const visible = await visibleApps();
		const postcode = visible.find(
			(app) => app.postcode && app.postcode.startsWith('GU16'),
		).postcode;
		const exact = await searchData(key, { postcode_exact: postcode });
		expect(exact.length).toBeGreaterThan(0);
		expect(exact.every((app) => app.postcode === postcode)).toBe(true);
		expect(sortedKeyvals(exact)).toEqual(
			sortedKeyvals(visible.filter((app) => app.postcode === postcode)),
		);

		const start = await api('/search', { key, postcode_start: 'GU16', return_data: 0 });
		const expectedStart = visible.filter((app) => app.postcode && app.postcode.startsWith('GU16'));
		expect(start.json.response.application_count).toBe(expectedStart.length);
		const startData = await searchData(key, { postcode_start: 'GU16', date_from: '2026-08-01' });
		expect(startData.length).toBeGreaterThan(0);
		expect(startData.every((app) => app.postcode.startsWith('GU16'))).toBe(true);
		// "GU1" is a prefix of GU15 and GU16 postcodes: a prefix, not a district match.
		const shorter = await api('/search', { key, postcode_start: 'GU1', return_data: 0 });
		expect(shorter.json.response.application_count).toBe(
			visible.filter((app) => app.postcode && app.postcode.startsWith('GU1')).length,
		);

		// Decided: a malformed postcode_exact or postcode_start is no error; it matches nothing.
		for (const query of [
			{ postcode_exact: 'not a postcode' },
			{ postcode_exact: 'GU167HF' },
			{ postcode_start: 'ZZ9' },
		]) {
			const none = await api('/search', { key, ...query, return_data: 0 });
			expect(none.status).toBe(200);
			expect(none.json.response).toMatchObject({ status: 'OK', application_count: 0 });
		}
	});

	test('postcode_radius: great-circle miles from a full postcode, checked independently', async () => {
		const key = await richKey();
		const visible = await visibleApps();
		const centre = (await control.lpas())
			.flatMap((lpa) => lpa.postcodes)
			.find((entry) => entry.postcode === 'GU16 7HF');
		for (const miles of [0.5, 1.5]) {
			const data = await searchData(key, { postcode_radius: `GU16 7HF,${miles}` });
			expect(data.length).toBeGreaterThan(0);
			for (const app of data) {
				expect(
					haversineMiles(centre.lat, centre.lng, Number(app.lat), Number(app.lng)),
				).toBeLessThanOrEqual(miles + 1e-9);
			}
			const returned = new Set(data.map((app) => app.keyval));
			// Everything clearly inside the circle is returned (1e-6 miles of slack for rounding at the edge).
			for (const app of visible.filter((candidate) => candidate.lat !== null)) {
				const distance = haversineMiles(centre.lat, centre.lng, Number(app.lat), Number(app.lng));
				if (distance < miles - 1e-6) expect(returned.has(app.keyval)).toBe(true);
			}
		}
		// A bigger circle holds strictly more here, and spaces/case in the postcode do not matter.
		const small = await api('/search', { key, postcode_radius: 'GU16 7HF,0.5', return_data: 0 });
		const big = await api('/search', { key, postcode_radius: 'gu16 7hf, 1.5', return_data: 0 });
		expect(big.json.response.application_count).toBeGreaterThan(
			small.json.response.application_count,
		);
	});

	test('address and keyword match a contained string, case-insensitively', async () => {
		const key = await richKey();
		const visible = await visibleApps();
		const address = await searchData(key, { address: 'CHURCH road', lpa_id: '9' });
		expect(address.length).toBeGreaterThan(0);
		expect(address.every((app) => app.address.toLowerCase().includes('church road'))).toBe(true);
		expect(sortedKeyvals(address)).toEqual(
			sortedKeyvals(
				visible.filter(
					(app) => app.lpa_id === '9' && app.address.toLowerCase().includes('church road'),
				),
			),
		);

		const keyword = await searchData(key, { keyword: 'HEAT PUMP', lpa_id: '10' });
		expect(keyword.length).toBeGreaterThan(0);
		expect(keyword.every((app) => app.title.toLowerCase().includes('heat pump'))).toBe(true);
		expect(sortedKeyvals(keyword)).toEqual(
			sortedKeyvals(
				visible.filter(
					(app) => app.lpa_id === '10' && app.title.toLowerCase().includes('heat pump'),
				),
			),
		);
	});

	test('all filters combine with AND', async () => {
		const key = await richKey();
		const visible = await visibleApps();
		const query = {
			lpa_id: '5,6',
			date_from: '2025-06-01',
			date_to: '2026-06-01',
			keyword: 'extension',
			address: 'road',
		};
		const data = await searchData(key, query);
		const expected = visible.filter(
			(app) =>
				['5', '6'].includes(app.lpa_id) &&
				app.validated >= '2025-06-01' &&
				app.validated <= '2026-06-01' &&
				app.title.toLowerCase().includes('extension') &&
				app.address.toLowerCase().includes('road'),
		);
		expect(expected.length).toBeGreaterThan(0);
		expect(sortedKeyvals(data)).toEqual(sortedKeyvals(expected));
	});

	test('decided: an unknown parameter is ignored and not echoed', async () => {
		const plain = await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 0 });
		const extra = await api('/search', {
			key: DEMO_KEY,
			lpa_id: '1',
			page: '2',
			limit: '5',
			return_data: 0,
		});
		expect(extra.status).toBe(200);
		expect(extra.json.response.application_count).toBe(plain.json.response.application_count);
		expect(extra.json.request.page).toBeUndefined();
	});

	test('some personal data fields come back null', async () => {
		const data = await searchData(await richKey(), { lpa_id: '7', date_from: '2026-01-01' });
		expect(data.some((app) => app.applicant_name === null)).toBe(true);
		expect(
			data.some(
				(app) => app.agent_name === null && app.agent_phone === null && app.agent_email === null,
			),
		).toBe(true);
		expect(data.some((app) => app.applicant_name !== null)).toBe(true);
	});
});

describe('ERROR answers', () => {
	test('a missing or unknown key: 403 with status ERROR', async () => {
		for (const query of [
			{ lpa_id: '1', return_data: 0 },
			{ key: 'no-such-key', lpa_id: '1', return_data: 1 },
		]) {
			const answer = await api('/search', query);
			expect(answer.status).toBe(403);
			expect(answer.json.response).toMatchObject({
				api_version: '1.0',
				status: 'ERROR',
				message: expect.stringMatching(/key/i),
			});
			expect(answer.json.response.data).toBeUndefined();
		}
		expect(await control.charges()).toEqual([]);
	});

	test('not enough credits for return_data=1: 200 ERROR with application_count, nothing charged', async () => {
		await control.setCredits(DEMO_KEY, 3);
		const answer = await api('/search', { key: DEMO_KEY, lpa_id: '8', return_data: 1 });
		expect(answer.status).toBe(200);
		const { response } = answer.json;
		expect(response.status).toBe('ERROR');
		expect(response.message).toMatch(/credits/i);
		expect(response.application_count).toBe(
			(await visibleApps()).filter((app) => app.lpa_id === '8').length,
		);
		expect(response.data).toBeUndefined();
		expect(await control.credits(DEMO_KEY)).toBe(3);
		expect(await control.charges()).toEqual([]);
		// Exactly enough is enough.
		const small = await api('/search', {
			key: DEMO_KEY,
			postcode_exact: 'GU16 7HF',
			date_from: '2026-01-01',
			return_data: 0,
		});
		await control.setCredits(DEMO_KEY, small.json.response.application_count);
		const exact = await api('/search', {
			key: DEMO_KEY,
			postcode_exact: 'GU16 7HF',
			date_from: '2026-01-01',
			return_data: 1,
		});
		expect(exact.json.response.status).toBe('OK');
		expect(exact.json.response.credits.remaining).toBe('0');
	});

	test.each([
		['date_from', { date_from: '2026-13-01' }],
		['date_from', { date_from: '20-11-2026' }],
		['date_to', { date_to: '2026-02-30' }],
		['date_to', { date_to: 'yesterday' }],
		['lpa_id', { lpa_id: '999' }],
		['lpa_id', { lpa_id: '1,999' }],
		['lpa_id', { lpa_id: 'camden' }],
		['postcode_radius', { postcode_radius: 'ZZ99 9ZZ,0.5' }],
		['postcode_radius', { postcode_radius: 'GU16 7HF,0' }],
		['postcode_radius', { postcode_radius: 'GU16 7HF,-1' }],
		['postcode_radius', { postcode_radius: 'GU16 7HF,half' }],
		['postcode_radius', { postcode_radius: 'GU16 7HF' }],
	])('400 ERROR naming %s for %j, nothing charged', async (parameter, query) => {
		for (const returnData of [0, 1]) {
			const answer = await api('/search', { key: DEMO_KEY, ...query, return_data: returnData });
			expect(answer.status).toBe(400);
			expect(answer.json.response.status).toBe('ERROR');
			expect(answer.json.response.message).toContain(parameter);
			expect(answer.json.response.data).toBeUndefined();
		}
		expect(await control.charges()).toEqual([]);
		expect(await control.credits(DEMO_KEY)).toBe(5000);
	});

	test('an unknown endpoint is 404', async () => {
		const answer = await api('/nothing', { key: DEMO_KEY });
		expect(answer.status).toBe(404);
		expect(answer.json.response.status).toBe('ERROR');
	});
});

describe('publication time (councils publish late)', () => {
	test('an added application with an earlier validated date appears only once published', async () => {
		const key = await richKey();
		const [added] = await control.addApplications([
			{
				lpa_id: '11',
				validated: '2026-11-05',
				published_at: '2026-11-21T10:00:00Z',
				postcode: 'E1 6AN',
				title: 'Roof terrace with glass balustrade',
			},
		]);
		expect(added.keyval).toMatch(/^[0-9A-Z]{13}$/);
		expect(added.lpa_name).toBe('tower-hamlets');
		const query = { lpa_id: '11', date_from: '2026-11-05', date_to: '2026-11-05' };
		const before = await searchData(key, query);
		expect(before.map((app) => app.keyval)).not.toContain(added.keyval);
		expect(
			(await control.applications({ includeUnpublished: true })).map((app) => app.keyval),
		).toContain(added.keyval);

		await control.setNow('2026-11-21T10:00:00Z');
		expect(await control.now()).toBe('2026-11-21T10:00:00.000Z');
		const after = await api('/search', { key, ...query, return_data: 1 });
		expect(after.json.request.datetime).toBe('2026-11-21 10:00:00');
		const found = after.json.response.data.find((app) => app.keyval === added.keyval);
		expect(found).toMatchObject({
			title: 'Roof terrace with glass balustrade',
			postcode: 'E1 6AN',
			validated: '2026-11-05',
			lpa_id: '11',
		});
		expect(found.published_at).toBeUndefined();
		expect(after.json.response.application_count).toBe(before.length + 1);
		const keyword = await api('/search', { key, keyword: 'glass balustrade', return_data: 0 });
		expect(keyword.json.response.application_count).toBe(1);
	});

	test('moving the clock back hides applications published after it', async () => {
		const all = (await api('/search', { key: DEMO_KEY, return_data: 0 })).json.response
			.application_count;
		await control.setNow('2026-11-01T00:00:00Z');
		const earlier = (await api('/search', { key: DEMO_KEY, return_data: 0 })).json.response
			.application_count;
		const expected = (await control.applications({ includeUnpublished: true })).filter(
			(app) => Date.parse(app.published_at) <= Date.parse('2026-11-01T00:00:00Z'),
		).length;
		expect(earlier).toBe(expected);
		expect(earlier).toBeLessThan(all);
	});

	test('addApplications refuses an unknown lpa_id or a malformed validated date', async () => {
		expect(() => control.addApplications([{ lpa_id: '999', validated: '2026-11-01' }])).toThrow(
			/lpa_id/,
		);
		expect(() => control.addApplications([{ lpa_id: '1', validated: '01/11/2026' }])).toThrow(
			/validated/,
		);
	});
});

describe('request log', () => {
	test('every /v1 request is logged with its query, key verbatim; clearLogs empties it', async () => {
		await api('/lpas');
		await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 0 });
		await api('/search', { key: 'wrong-key', return_data: 1 });
		const log = await control.requests();
		expect(log.map((entry) => [entry.method, entry.path])).toEqual([
			['GET', '/lpas'],
			['GET', '/search'],
			['GET', '/search'],
		]);
		expect(log[1].query).toEqual({ key: DEMO_KEY, lpa_id: '1', return_data: '0' });
		expect(log[2].query.key).toBe('wrong-key');
		expect(log[0].at).toBe('2026-11-20T12:00:00.000Z');
		await control.clearLogs();
		expect(await control.requests()).toEqual([]);
	});
});

describe('injected faults', () => {
	test('429 with Retry-After for the next matching request only; charges nothing', async () => {
		await control.injectFault({ path: '/search', returnData: '1', status: 429, retryAfter: 7 });
		// return_data=0 does not match a returnData '1' fault.
		const free = await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 0 });
		expect(free.status).toBe(200);
		const limited = await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 1 });
		expect(limited.status).toBe(429);
		expect(limited.headers['retry-after']).toBe('7');
		expect(await control.charges()).toEqual([]);
		expect(await control.credits(DEMO_KEY)).toBe(5000);
		const next = await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 1 });
		expect(next.status).toBe(200);
		expect(next.json.response.status).toBe('OK');
		expect(await control.credits(DEMO_KEY)).toBe(5000 - next.json.response.application_count);
	});

	test('500 for `times` requests, on the matching path only', async () => {
		await control.injectFault({ path: '/search', status: 500, times: 2 });
		expect((await api('/lpas')).status).toBe(200);
		expect((await api('/search', { key: DEMO_KEY, return_data: 0 })).status).toBe(500);
		expect((await api('/search', { key: DEMO_KEY, lpa_id: '2', return_data: 1 })).status).toBe(500);
		expect((await api('/search', { key: DEMO_KEY, return_data: 0 })).status).toBe(200);
		expect(await control.charges()).toEqual([]);
	});

	test('afterRun: the search runs and charges, then the answer is a 502 (a gateway after the API) or lost', async () => {
		await control.injectFault({ path: '/search', returnData: '1', status: 502, afterRun: true });
		const gateway = await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 1 });
		expect(gateway.status).toBe(502);
		const charged = await control.charges(DEMO_KEY);
		expect(charged).toHaveLength(1);
		expect(charged[0].consumed).toBeGreaterThan(0);
		await control.injectFault({ path: '/search', returnData: '1', drop: true, afterRun: true });
		await expect(api('/search', { key: DEMO_KEY, lpa_id: '2', return_data: 1 })).rejects.toThrow();
		expect(await control.charges(DEMO_KEY)).toHaveLength(2);
		expect(await control.credits(DEMO_KEY)).toBe(
			5000 - (await control.charges(DEMO_KEY)).reduce((sum, charge) => sum + charge.consumed, 0),
		);
	});

	test('drop closes the connection without an answer; nothing charged', async () => {
		await control.injectFault({ path: '/search', drop: true });
		await expect(api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 1 })).rejects.toThrow();
		expect(await control.charges()).toEqual([]);
		expect(await control.credits(DEMO_KEY)).toBe(5000);
		expect((await api('/search', { key: DEMO_KEY, lpa_id: '1', return_data: 0 })).status).toBe(200);
	});

	test('delay alone still answers normally (and charges); a client timeout fires first when shorter', async () => {
		await control.injectFault({ path: '/search', delayMs: 300 });
		const started = Date.now();
		const slow = await api('/search', {
			key: DEMO_KEY,
			lpa_id: '3',
			date_from: '2026-11-01',
			return_data: 1,
		});
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
		expect(slow.status).toBe(200);
		expect(slow.json.response.credits.consumed).toBe(slow.json.response.application_count);
		expect(await control.charges()).toHaveLength(1);

		await control.injectFault({ path: '/search', delayMs: 1500 });
		await expect(
			api('/search', { key: DEMO_KEY, return_data: 0 }, { headersTimeout: 100 }),
		).rejects.toThrow(/timeout/i);
	});

	test('a delay still pending when its sandbox closes keeps nothing alive: its process ends', async () => {
		// In a process of its own, so that nothing else of this test's process is counted.
		const child = spawn(
			process.execPath,
			[path.join(__dirname, '..', 'fixtures', 'delayedSandboxChild.js')],
			{ stdio: ['ignore', 'pipe', 'inherit'] },
		);
		let stdout = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		const closed = new Promise((resolve) => child.on('close', resolve));
		try {
			await new Promise((resolve) => child.stdout.once('data', resolve));
			// Timers still keeping the child's event loop alive once the sandbox has closed.
			const report = JSON.parse(stdout.split('\n')[0]);
			expect(report).toEqual({ clientGaveUp: true, timers: [] });
			expect(await closed).toBe(0);
		} finally {
			if (child.exitCode === null) child.kill();
		}
	});

	test('delay plus status answers the status late', async () => {
		await control.injectFault({ path: '/search', delayMs: 100, status: 503, retryAfter: 1 });
		const answer = await api('/search', { key: DEMO_KEY, return_data: 1, lpa_id: '1' });
		expect(answer.status).toBe(503);
		expect(answer.headers['retry-after']).toBe('1');
		expect(await control.charges()).toEqual([]);
	});
});

describe('control API over HTTP (/_sandbox/)', () => {
	test('clock, keys, applications, charges, requests, faults, lpas and reset', async () => {
		expect((await controlHttp('GET', '/clock')).json).toEqual({ now: '2026-11-20T12:00:00.000Z' });
		expect((await controlHttp('POST', '/clock', { now: '2026-11-25T08:00:00Z' })).json).toEqual({
			now: '2026-11-25T08:00:00.000Z',
		});
		expect(await control.now()).toBe('2026-11-25T08:00:00.000Z');

		expect((await controlHttp('POST', '/keys', { key: 'http-key', credits: 40 })).json).toEqual({
			key: 'http-key',
			credits: 40,
		});
		expect((await controlHttp('GET', '/keys/http-key')).json).toEqual({
			key: 'http-key',
			credits: 40,
		});

		const added = await controlHttp('POST', '/applications', {
			applications: [
				{
					lpa_id: '6',
					validated: '2026-11-20',
					published_at: '2026-11-24T09:00:00Z',
					postcode: 'E8 1AA',
				},
			],
		});
		expect(added.status).toBe(200);
		const keyval = added.json[0].keyval;
		const paid = await api('/search', {
			key: 'http-key',
			lpa_id: '6',
			date_from: '2026-11-20',
			return_data: 1,
		});
		expect(paid.json.response.data.map((app) => app.keyval)).toContain(keyval);

		const charges = await controlHttp('GET', '/charges?key=http-key');
		expect(charges.json).toHaveLength(1);
		expect(charges.json[0]).toMatchObject({
			key: 'http-key',
			consumed: paid.json.response.application_count,
		});
		expect((await controlHttp('GET', '/keys/http-key')).json.credits).toBe(
			40 - paid.json.response.application_count,
		);

		const requests = await controlHttp('GET', '/requests');
		expect(requests.json.map((entry) => entry.query.key)).toContain('http-key');
		await controlHttp('POST', '/logs/clear', {});
		expect((await controlHttp('GET', '/requests')).json).toEqual([]);

		await controlHttp('POST', '/faults', { path: '/lpas', status: 429, retryAfter: 3 });
		const limited = await api('/lpas');
		expect(limited.status).toBe(429);
		expect(limited.headers['retry-after']).toBe('3');

		const lpas = await controlHttp('GET', '/lpas');
		expect(lpas.json.length).toBeGreaterThanOrEqual(15);
		expect(lpas.json[0].postcodes[0]).toEqual({
			postcode: expect.any(String),
			lat: expect.any(Number),
			lng: expect.any(Number),
			lpa_id: lpas.json[0].id,
		});

		expect((await controlHttp('POST', '/reset', {})).status).toBe(200);
		expect(await control.now()).toBe('2026-11-20T12:00:00.000Z');
		expect(await control.credits('http-key')).toBeUndefined();
		expect(
			(await control.applications({ includeUnpublished: true })).map((app) => app.keyval),
		).not.toContain(keyval);
	});

	test('authorities beyond the seed: listed in id order, searchable, refused when malformed or known; a reset removes them', async () => {
		const added = await controlHttp('POST', '/authorities', {
			authorities: [{ id: '390', name: 'authority-390' }, { id: 17 }],
		});
		expect(added.status).toBe(200);
		expect(added.json).toEqual([
			{ id: '390', name: 'authority-390' },
			{ id: '17', name: 'authority-17' },
		]);
		const ids = (await api('/lpas')).json.response.data.map((lpa) => lpa.id);
		expect(ids).toEqual(expect.arrayContaining(['17', '390']));
		expect(ids).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
		const [app] = await control.addApplications([
			{ lpa_id: '390', validated: '2026-11-19', published_at: '2026-11-19T10:00:00Z' },
		]);
		const key = await richKey();
		const found = await searchData(key, {
			lpa_id: '390,17',
			date_from: '2026-11-19',
			date_to: '2026-11-19',
		});
		expect(found.map((entry) => [entry.keyval, entry.lpa_name])).toEqual([
			[app.keyval, 'authority-390'],
		]);
		expect(() => control.addAuthorities([{ id: '390' }])).toThrow('lpa_id 390 exists already');
		expect(() => control.addAuthorities([{ id: 'x1' }])).toThrow('LPA ids are numbers');
		expect(() => control.addAuthorities([{ id: '391', name: 'Not Lower' }])).toThrow('lower case');
		await control.reset();
		expect((await api('/lpas')).json.response.data.map((lpa) => lpa.id)).not.toContain('390');
		const refused = await api('/search', { key: DEMO_KEY, lpa_id: '390', return_data: 0 });
		expect(refused.status).toBe(400);
		expect(refused.json.response.message).toBe('Unknown lpa_id 390 (see /lpas)');
	});

	test('reset restores keys, credits, logs and the clock', async () => {
		const key = (await api('/generatekey', { email: 'x@example.org' })).json.response.key;
		await control.setCredits(DEMO_KEY, 7);
		await control.setNow('2027-01-01T00:00:00Z');
		await control.injectFault({ path: '/search', status: 500, times: 5 });
		await control.reset();
		expect(await control.credits(DEMO_KEY)).toBe(5000);
		expect(await control.credits(key)).toBeUndefined();
		expect(await control.now()).toBe('2026-11-20T12:00:00.000Z');
		expect(await control.requests()).toEqual([]);
		expect((await api('/search', { key, return_data: 0 })).status).toBe(403);
		expect((await api('/search', { key: DEMO_KEY, return_data: 0 })).status).toBe(200);
	});
});
