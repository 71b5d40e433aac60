/**
 * Planning API sandbox: the endpoints of api.planning.org.uk/v1 (generatekey, topup, lpas, search) with the
 * same envelope, the same parameters and the same charging, over real HTTP, on seeded data. What the real
 * service charges, this charges; what api-facts.md decides it refuses, this refuses.
 *
 * Not part of the real API: the payment page `/pay/:token` (the stand-in for Stripe) and the control API
 * under `/_sandbox/` (clock, credits, charges and request logs, added applications and authorities,
 * injected faults).
 */
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

const { applyFault, createFaults } = require('../faults');
const { listen } = require('../listen');
const { AUTHORITIES, generateSeedData, createRandom, makeKeyval, isoDay } = require('./data');

const DEFAULT_NOW = '2026-11-20T12:00:00Z';
const EARTH_RADIUS_MILES = 3958.8;

/** The seed's price table: credits bought at once → GBP per credit. */
const PRICE_TABLE = [
	{ credits: 1000, pricePerCredit: 0.1, total: 100 },
	{ credits: 2500, pricePerCredit: 0.09, total: 225 },
	{ credits: 5000, pricePerCredit: 0.08, total: 400 },
	{ credits: 10000, pricePerCredit: 0.07, total: 700 },
	{ credits: 25000, pricePerCredit: 0.06, total: 1500 },
	{ credits: 50000, pricePerCredit: 0.05, total: 2500 },
];

/** Price per credit for a purchase of `credits`: the best tier reached (below the first tier, its price). */
function pricePerCredit(credits) {
	let price = PRICE_TABLE[0].pricePerCredit;
	for (const tier of PRICE_TABLE) if (credits >= tier.credits) price = tier.pricePerCredit;
	return price;
}

function milesBetween(lat1, lng1, lat2, lng2) {
	const rad = Math.PI / 180;
	const dLat = (lat2 - lat1) * rad;
	const dLng = (lng2 - lng1) * rad;
	const a =
		Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
	return 2 * EARTH_RADIUS_MILES * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A real calendar date written yyyy-mm-dd. */
function isIsoDate(value) {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
	const date = new Date(`${value}T00:00:00Z`);
	return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function envelopeDateTime(ms) {
	return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function normalisePostcodeKey(value) {
	return String(value).trim().toUpperCase().replace(/\s+/g, ' ');
}

/** The public fields of an application, in the API's order (the hidden publication time left out). */
function publicApplication(application) {
	const { published_at: _hidden, ...visible } = application;
	return visible;
}

/** The API's order of results: ascending validated date, then keyval (api-facts.md). */
function apiOrder(a, b) {
	if (a.validated !== b.validated) return a.validated < b.validated ? -1 : 1;
	return a.keyval < b.keyval ? -1 : 1;
}

async function startPlanningSandbox({
	port = 0,
	host = '127.0.0.1',
	seed = 1,
	now = DEFAULT_NOW,
	tick = false,
	demoKeys = { 'demo-planning-key': 5000 },
} = {}) {
	const initial = { seed, now, demoKeys };
	const state = {};
	const faults = createFaults({ server: 'planning' });

	function reset({ seed: newSeed } = {}) {
		if (newSeed !== undefined) initial.seed = newSeed;
		// The seed's authorities; a benchmark of the whole country adds the others (addAuthorities).
		state.authorities = [...AUTHORITIES];
		state.authorityById = new Map(state.authorities.map((authority) => [authority.id, authority]));
		const nowMs = Date.parse(initial.now);
		const { postcodes, applications } = generateSeedData({ seed: initial.seed, nowMs });
		state.postcodes = postcodes;
		state.applications = applications;
		state.sorted = undefined;
		state.keyvals = new Set(applications.map((application) => application.keyval));
		state.keys = new Map(
			Object.entries(initial.demoKeys).map(([key, credits]) => [
				key,
				{ email: 'demo@example.org', credits },
			]),
		);
		state.payments = new Map();
		state.charges = [];
		state.requests = [];
		faults.clear();
		state.random = createRandom(initial.seed * 31 + 5);
		setNow(initial.now);
	}

	// The clock: fixed unless `tick`, in which case it runs on from the time set, in real time.
	function setNow(iso) {
		const ms = Date.parse(iso);
		if (Number.isNaN(ms)) throw new Error(`Not a date-time: ${iso}`);
		state.nowMs = ms;
		state.setAt = Date.now();
	}
	function nowMs() {
		return tick ? state.nowMs + (Date.now() - state.setAt) : state.nowMs;
	}
	function nowIso() {
		return new Date(nowMs()).toISOString();
	}

	// Publication times parsed once, and the applications in the API's order (validated, then keyval)
	// sorted once per change: a benchmark sends tens of thousands of searches over as many applications.
	const publishedMs = new WeakMap();
	function publicationMs(application) {
		let ms = publishedMs.get(application);
		if (ms === undefined) {
			ms = Date.parse(application.published_at);
			publishedMs.set(application, ms);
		}
		return ms;
	}
	/** Lists in the API's order to pick a filter's results from: all, or one per authority of the filter. */
	function candidateLists(lpaIds) {
		if (!state.sorted) {
			state.sorted = [...state.applications].sort(apiOrder);
			state.byAuthority = new Map();
			for (const application of state.sorted) {
				if (!state.byAuthority.has(application.lpa_id))
					state.byAuthority.set(application.lpa_id, []);
				state.byAuthority.get(application.lpa_id).push(application);
			}
		}
		if (!lpaIds) return [state.sorted];
		return [...lpaIds].map((id) => state.byAuthority.get(id) || []);
	}

	/**
	 * The part of a list in the API's order validated from `from` to `to` (either may be absent), found
	 * by bisection: a national benchmark counts single days among a hundred thousand applications.
	 */
	function withinDates(list, from, to) {
		const firstAtOrAfter = (day, strictlyAfter) => {
			let low = 0;
			let high = list.length;
			while (low < high) {
				const middle = (low + high) >>> 1;
				const validated = list[middle].validated;
				if (validated < day || (strictlyAfter && validated === day)) low = middle + 1;
				else high = middle;
			}
			return low;
		};
		const start = from ? firstAtOrAfter(from, false) : 0;
		const end = to ? firstAtOrAfter(to, true) : list.length;
		return start === 0 && end === list.length ? list : list.slice(start, Math.max(start, end));
	}

	/** The applications published by now, in the order they were added. */
	function visibleApplications() {
		const cutoff = nowMs();
		return state.applications.filter((application) => publicationMs(application) <= cutoff);
	}

	function addApplications(list) {
		const added = [];
		for (const input of list) {
			const authority = state.authorityById.get(String(input.lpa_id));
			if (!authority) throw new Error(`Unknown lpa_id ${input.lpa_id}`);
			if (!isIsoDate(String(input.validated)))
				throw new Error(`validated must be yyyy-mm-dd, got ${input.validated}`);
			let keyval = input.keyval || makeKeyval(state.random);
			while (!input.keyval && state.keyvals.has(keyval)) keyval = makeKeyval(state.random);
			if (state.keyvals.has(keyval)) throw new Error(`keyval ${keyval} exists already`);
			state.keyvals.add(keyval);
			const postcode = input.postcode === undefined ? null : input.postcode;
			const known = postcode ? state.postcodes.get(normalisePostcodeKey(postcode)) : undefined;
			const application = {
				lpa_id: authority.id,
				lpa_name: authority.name,
				keyval,
				externalLink: `https://${authority.host}/online-applications/applicationDetails.do?activeTab=summary&keyVal=${keyval}`,
				title: input.title || 'Single storey rear extension.',
				address:
					input.address ||
					`${postcode ? `1 High Street ${authority.town} ${postcode}` : `Land at High Street ${authority.town}`}`,
				postcode,
				lat:
					input.lat !== undefined
						? input.lat === null
							? null
							: String(input.lat)
						: known
							? String(known.lat)
							: null,
				lng:
					input.lng !== undefined
						? input.lng === null
							? null
							: String(input.lng)
						: known
							? String(known.lng)
							: null,
				validated: String(input.validated),
				applicant_name: input.applicant_name === undefined ? null : input.applicant_name,
				applicant_address: input.applicant_address === undefined ? null : input.applicant_address,
				agent_name: input.agent_name === undefined ? null : input.agent_name,
				agent_address: input.agent_address === undefined ? null : input.agent_address,
				agent_phone: input.agent_phone === undefined ? null : input.agent_phone,
				agent_email: input.agent_email === undefined ? null : input.agent_email,
				docs: input.docs === undefined ? '0' : String(input.docs),
				published_at: input.published_at ? new Date(input.published_at).toISOString() : nowIso(),
			};
			state.applications.push(application);
			state.sorted = undefined;
			added.push({ ...application });
		}
		return added;
	}

	/**
	 * More authorities than the seed's (the real API lists about 400): `{ id, name, town? }`, ids
	 * numeric and new. Their applications are added with addApplications; a reset removes them again.
	 */
	function addAuthorities(list) {
		const added = [];
		for (const input of list) {
			const id = String(input.id);
			if (!/^\d+$/.test(id)) throw new Error(`LPA ids are numbers, got ${input.id}`);
			if (state.authorityById.has(id)) throw new Error(`lpa_id ${id} exists already`);
			const name = String(input.name || `authority-${id}`);
			if (!/^[a-z0-9-]+$/.test(name))
				throw new Error(`An authority's name is lower case with hyphens, got ${input.name}`);
			const authority = {
				id,
				name,
				town: String(input.town || name),
				host: `planning.${name}.gov.uk`,
				districts: [],
			};
			state.authorities.push(authority);
			state.authorityById.set(id, authority);
			added.push({ id, name });
		}
		state.authorities.sort((a, b) => Number(a.id) - Number(b.id));
		return added;
	}

	function setCredits(key, credits) {
		const account = state.keys.get(key) || { email: 'sandbox@example.org', credits: 0 };
		account.credits = Number(credits);
		state.keys.set(key, account);
		return account.credits;
	}

	reset();

	// ---- The API ----

	function envelope(endpoint, request, query, response, echoKeys) {
		const echo = {
			api_endpoint: endpoint,
			ip_address: request.socket.remoteAddress || '',
			datetime: envelopeDateTime(nowMs()),
		};
		for (const name of echoKeys) if (query[name] !== undefined) echo[name] = query[name];
		return { request: echo, response: { api_version: '1.0', ...response } };
	}

	function errorResponse(message, extra = {}) {
		return { status: 'ERROR', message, ...extra };
	}

	/** Checks the search parameters as the API would; returns the filter or an error message naming the parameter. */
	function parseSearch(query) {
		const filter = {};
		if (query.lpa_id !== undefined && query.lpa_id !== '') {
			const ids = String(query.lpa_id)
				.split(',')
				.map((id) => id.trim());
			for (const id of ids) {
				if (!/^\d+$/.test(id))
					return { error: `Invalid lpa_id "${id}": LPA ids are numbers (see /lpas)` };
				if (!state.authorityById.has(id)) return { error: `Unknown lpa_id ${id} (see /lpas)` };
			}
			filter.lpaIds = new Set(ids);
		}
		for (const name of ['date_from', 'date_to']) {
			if (query[name] !== undefined && query[name] !== '') {
				if (!isIsoDate(query[name]))
					return { error: `Invalid ${name} "${query[name]}": the format is yyyy-mm-dd` };
				filter[name] = query[name];
			}
		}
		if (query.postcode_exact)
			filter.postcodeExact = String(query.postcode_exact).trim().toUpperCase();
		if (query.postcode_start)
			filter.postcodeStart = String(query.postcode_start).trim().toUpperCase();
		if (query.postcode_radius) {
			const [postcode, milesText, ...rest] = String(query.postcode_radius).split(',');
			const miles = Number(milesText);
			if (
				rest.length ||
				milesText === undefined ||
				milesText.trim() === '' ||
				!Number.isFinite(miles) ||
				miles <= 0
			) {
				return {
					error:
						'Invalid postcode_radius: give a full postcode and a positive radius in miles, such as "GU16 7HF,0.5"',
				};
			}
			const centre = state.postcodes.get(normalisePostcodeKey(postcode));
			if (!centre)
				return { error: `Invalid postcode_radius: unknown postcode "${postcode.trim()}"` };
			filter.radius = { lat: centre.lat, lng: centre.lng, miles };
		}
		if (query.address) filter.address = String(query.address).toLowerCase();
		if (query.keyword) filter.keyword = String(query.keyword).toLowerCase();
		return { filter };
	}

	function matches(application, filter) {
		if (filter.lpaIds && !filter.lpaIds.has(application.lpa_id)) return false;
		if (filter.date_from && application.validated < filter.date_from) return false;
		if (filter.date_to && application.validated > filter.date_to) return false;
		// "Exact postcode (with space)": compared as written, case aside.
		if (filter.postcodeExact && (application.postcode || '').toUpperCase() !== filter.postcodeExact)
			return false;
		if (
			filter.postcodeStart &&
			!(application.postcode || '').toUpperCase().startsWith(filter.postcodeStart)
		)
			return false;
		if (filter.radius) {
			if (application.lat === null || application.lng === null) return false;
			const distance = milesBetween(
				filter.radius.lat,
				filter.radius.lng,
				Number(application.lat),
				Number(application.lng),
			);
			if (distance > filter.radius.miles) return false;
		}
		if (filter.address && !(application.address || '').toLowerCase().includes(filter.address))
			return false;
		if (filter.keyword && !(application.title || '').toLowerCase().includes(filter.keyword))
			return false;
		return true;
	}

	function search(query) {
		const parsed = parseSearch(query);
		if (parsed.error) return { status: 400, body: errorResponse(parsed.error) };
		const cutoff = nowMs();
		const picked = candidateLists(parsed.filter.lpaIds).map((list) =>
			withinDates(list, parsed.filter.date_from, parsed.filter.date_to).filter(
				(application) =>
					matches(application, parsed.filter) && publicationMs(application) <= cutoff,
			),
		);
		const results = picked.length === 1 ? picked[0] : picked.flat().sort(apiOrder);
		const account = state.keys.get(query.key);
		const count = results.length;
		if (query.return_data !== '1') {
			return {
				status: 200,
				body: {
					credits: { consumed: 0, remaining: String(account.credits) },
					status: 'OK',
					application_count: count,
				},
			};
		}
		if (count > account.credits) {
			return {
				status: 200,
				body: errorResponse(
					`Not enough credits: this search returns ${count} applications and the key has ${account.credits} credits. Top up with /topup.`,
					{
						credits: { consumed: 0, remaining: String(account.credits) },
						application_count: count,
					},
				),
			};
		}
		account.credits -= count;
		state.charges.push({
			at: nowIso(),
			key: query.key,
			query: { ...query },
			application_count: count,
			consumed: count,
		});
		return {
			status: 200,
			body: {
				credits: { consumed: count, remaining: String(account.credits) },
				status: 'OK',
				application_count: count,
				data: results.map(publicApplication),
			},
		};
	}

	function handleApi(request, path, query, origin) {
		const searchEcho = [
			'key',
			'lpa_id',
			'date_from',
			'date_to',
			'postcode_exact',
			'postcode_start',
			'postcode_radius',
			'address',
			'keyword',
			'return_data',
		];
		const rejectKey = (endpoint) => {
			const message = query.key
				? 'Invalid API key'
				: 'Missing API key: add key= to the query string';
			return {
				status: 403,
				body: envelope(endpoint, request, query, errorResponse(message), ['key']),
			};
		};
		switch (path) {
			case '/generatekey': {
				const email = String(query.email || '').trim();
				if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
					return {
						status: 400,
						body: envelope(
							path,
							request,
							query,
							errorResponse('Invalid email: an email address is required'),
							['email'],
						),
					};
				}
				const key = crypto.randomBytes(8).toString('hex');
				state.keys.set(key, { email, credits: 0 });
				return {
					status: 200,
					body: envelope(path, request, query, { status: 'OK', key }, ['email']),
				};
			}
			case '/topup': {
				if (!query.key || !state.keys.has(query.key)) return rejectKey(path);
				const credits = Number(query.credits);
				if (!/^\d+$/.test(String(query.credits || '')) || credits < 1) {
					return {
						status: 400,
						body: envelope(
							path,
							request,
							query,
							errorResponse('Invalid credits: a whole number of credits to buy is required'),
							['key', 'credits'],
						),
					};
				}
				const token = crypto.randomBytes(12).toString('hex');
				const price = pricePerCredit(credits);
				state.payments.set(token, {
					key: query.key,
					credits,
					pricePerCredit: price,
					amount: +(credits * price).toFixed(2),
					paid: false,
				});
				return { status: 302, headers: { location: `${origin}/pay/${token}` }, body: null };
			}
			case '/lpas': {
				const visible = visibleApplications();
				const counts = new Map();
				for (const application of visible)
					counts.set(application.lpa_id, (counts.get(application.lpa_id) || 0) + 1);
				const data = state.authorities.map((authority) => ({
					id: authority.id,
					name: authority.name,
					application_count: String(counts.get(authority.id) || 0),
				}));
				return { status: 200, body: envelope(path, request, query, { status: 'OK', data }, []) };
			}
			case '/search': {
				if (!query.key || !state.keys.has(query.key)) return rejectKey(path);
				const answer = search(query);
				return {
					status: answer.status,
					body: envelope(path, request, query, answer.body, searchEcho),
				};
			}
			default:
				return {
					status: 404,
					body: envelope(path, request, query, errorResponse(`Unknown endpoint ${path}`), []),
				};
		}
	}

	function paymentPage(token) {
		const payment = state.payments.get(token);
		if (!payment) return { status: 404, html: '<h1>Unknown payment link</h1>' };
		const account = state.keys.get(payment.key);
		if (!payment.paid && account) {
			account.credits += payment.credits;
			payment.paid = true;
		}
		return {
			status: 200,
			html:
				`<!doctype html><title>Payment received</title><h1>Payment received (sandbox)</h1>` +
				`<p>${payment.credits} credits at GBP ${payment.pricePerCredit.toFixed(2)} each: GBP ${payment.amount.toFixed(2)}. ` +
				`They are on your key now; this page adds them once.</p><p>Credits left: ${account ? account.credits : 0}</p>`,
		};
	}

	// ---- Control API (tests, benchmarks, demo) ----

	const control = {
		reset: (options) => reset(options),
		setNow: (iso) => setNow(iso),
		now: () => nowIso(),
		addApplications: (list) => addApplications(list),
		setCredits: (key, credits) => setCredits(key, credits),
		credits: (key) => (state.keys.has(key) ? state.keys.get(key).credits : undefined),
		charges: (key) =>
			state.charges.filter((charge) => !key || charge.key === key).map((charge) => ({ ...charge })),
		requests: () => state.requests.map((entry) => ({ ...entry, query: { ...entry.query } })),
		clearLogs: () => {
			state.charges = [];
			state.requests = [];
		},
		injectFault: (fault) => faults.add(fault),
		clearFaults: () => {
			faults.clear();
		},
		addAuthorities: (list) => addAuthorities(list),
		lpas: () =>
			state.authorities.map((authority) => ({
				id: authority.id,
				name: authority.name,
				postcodes: [...state.postcodes.values()]
					.filter((entry) => entry.lpa_id === authority.id)
					.map((entry) => ({ ...entry })),
			})),
		postcodes: () => [...state.postcodes.values()].map((entry) => ({ ...entry })),
		applications: ({ includeUnpublished = false } = {}) =>
			(includeUnpublished ? state.applications : visibleApplications()).map((application) => ({
				...application,
			})),
		payments: () =>
			[...state.payments.entries()].map(([token, payment]) => ({ token, ...payment })),
	};

	async function readJson(request) {
		const chunks = [];
		for await (const chunk of request) chunks.push(chunk);
		const text = Buffer.concat(chunks).toString('utf8');
		return text ? JSON.parse(text) : {};
	}

	async function handleControl(request, response, path, url) {
		const send = (status, value) => {
			response.writeHead(status, { 'content-type': 'application/json' });
			response.end(JSON.stringify(value === undefined ? null : value));
		};
		const body = request.method === 'POST' ? await readJson(request) : {};
		const route = `${request.method} ${path}`;
		if (route === 'POST /_sandbox/reset') return send(200, control.reset(body) || { ok: true });
		if (route === 'POST /_sandbox/clock')
			return send(200, (control.setNow(body.now), { now: control.now() }));
		if (route === 'GET /_sandbox/clock') return send(200, { now: control.now() });
		if (route === 'POST /_sandbox/applications')
			return send(200, control.addApplications(body.applications || []));
		if (route === 'GET /_sandbox/applications')
			return send(
				200,
				control.applications({
					includeUnpublished: url.searchParams.get('includeUnpublished') === 'true',
				}),
			);
		if (route === 'POST /_sandbox/keys')
			return send(200, { key: body.key, credits: control.setCredits(body.key, body.credits) });
		const keyMatch = path.match(/^\/_sandbox\/keys\/([^/]+)$/);
		if (request.method === 'GET' && keyMatch)
			return send(200, {
				key: decodeURIComponent(keyMatch[1]),
				credits: control.credits(decodeURIComponent(keyMatch[1])),
			});
		if (route === 'GET /_sandbox/charges')
			return send(200, control.charges(url.searchParams.get('key') || undefined));
		if (route === 'GET /_sandbox/requests') return send(200, control.requests());
		if (route === 'POST /_sandbox/logs/clear')
			return send(200, (control.clearLogs(), { ok: true }));
		if (route === 'POST /_sandbox/faults')
			return send(200, (control.injectFault(body), { ok: true }));
		if (route === 'GET /_sandbox/lpas') return send(200, control.lpas());
		if (route === 'POST /_sandbox/authorities')
			return send(200, control.addAuthorities(body.authorities || []));
		return send(404, { error: `Unknown control route ${route}` });
	}

	const server = http.createServer(async (request, response) => {
		const url = new URL(request.url, 'http://sandbox');
		const origin = `http://${request.headers.host || `${host}:${server.address().port}`}`;
		try {
			if (url.pathname.startsWith('/_sandbox/'))
				return await handleControl(request, response, url.pathname, url);
			const payMatch = url.pathname.match(/^\/pay\/([0-9a-f]+)$/);
			if (payMatch) {
				const page = paymentPage(payMatch[1]);
				response.writeHead(page.status, { 'content-type': 'text/html; charset=utf-8' });
				return response.end(page.html);
			}
			if (!url.pathname.startsWith('/v1/') || request.method !== 'GET') {
				response.writeHead(404, { 'content-type': 'application/json' });
				return response.end(
					JSON.stringify({
						response: errorResponse('Not found: the API lives under /v1 and takes GET requests'),
					}),
				);
			}
			const path = url.pathname.slice(3).replace(/\/+$/, '');
			const query = Object.fromEntries(url.searchParams.entries());
			state.requests.push({ at: nowIso(), method: request.method, path, query: { ...query } });

			const fault = faults.take('planning', request.method, path, {
				returnData: query.return_data === '1' ? '1' : '0',
			});
			const errorAnswer = (status) => ({
				contentType: 'application/json',
				body: JSON.stringify({
					response: errorResponse(status === 429 ? 'Too many requests' : `Injected HTTP ${status}`),
				}),
			});
			// `afterRun`: a gateway's error, or a lost answer, after the API ran the request and charged.
			if (fault && fault.afterRun && (fault.status || fault.drop))
				handleApi(request, path, query, origin);
			if (await applyFault(fault, request, response, { errorAnswer })) return undefined;

			const answer = handleApi(request, path, query, origin);
			response.writeHead(answer.status, {
				'content-type': 'application/json',
				...(answer.headers || {}),
			});
			return response.end(answer.body === null ? '' : JSON.stringify(answer.body));
		} catch (error) {
			response.writeHead(500, { 'content-type': 'application/json' });
			return response.end(JSON.stringify({ error: String(error && error.message) }));
		}
	});
	const listening = await listen(server, port, host);
	const { port: actualPort, origin } = listening;

	return {
		url: `${origin}/v1`,
		origin,
		port: actualPort,
		control,
		async close() {
			await listening.close();
		},
	};
}

module.exports = {
	apiOrder,
	startPlanningSandbox,
	PRICE_TABLE,
	pricePerCredit,
	milesBetween,
	DEFAULT_NOW,
	isoDay,
};
