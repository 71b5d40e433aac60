/**
 * Both action nodes run as an AI agent's tools, as n8n 2.x's engine runs a tool call (the tool variant of
 * the node, its output rewired to the agent, the model's arguments as the input item that `$fromAI()`
 * reads), in real n8n-core contexts against the sandboxes over real HTTP. What the model would read: one
 * compact item with a summary line; what the sandboxes charged: never more than Max Credits or than the
 * answer shows; what a bad argument gives: a result naming the argument, with nothing sent.
 */
'use strict';

const { runNode } = require('../harness/n8n');
const { startPlanningSandbox } = require('../../sandbox/planning');
const { startDatastoreSandboxes } = require('../../sandbox/datapress');
const { UkPlanning } = require('../../nodes/UkPlanning/UkPlanning.node.ts');
const { LondonDatastore } = require('../../nodes/LondonDatastore/LondonDatastore.node.ts');
const { SIMPLIFIED_FIELDS } = require('../fixtures/planningApplication');

const TOOL_ITEM_LIMIT = 25;

let planning;
let datastore;
let keyCounter = 0;

beforeAll(async () => {
	planning = await startPlanningSandbox({ port: 0 });
	datastore = await startDatastoreSandboxes({ api: 'v4', port: 0, storagePort: 0 });
});

afterAll(async () => {
	await planning?.close();
	await datastore?.close();
});

async function freshKey(credits = 100000) {
	keyCounter += 1;
	const key = `tool-test-${keyCounter}-Qw7`;
	await planning.control.setCredits(key, credits);
	return key;
}

const fromAi = (key, description, type = 'string') =>
	`={{ $fromAI('${key}', \`${description}\`, '${type}') }}`;

/** The filters a workflow hands to the model, as README's set-up does. */
const MODEL_FILTERS = {
	postcodeExact: fromAi('postcode', 'A full UK postcode such as SE1 7PB, or empty'),
	keyword: fromAi('keyword', 'A word of the description such as loft, or empty'),
	dateFrom: fromAi('validatedFrom', 'First validated day, yyyy-mm-dd, or empty'),
	dateTo: fromAi('validatedTo', 'Last validated day, yyyy-mm-dd, or empty'),
};

async function planningTool(key, parameters, args) {
	const result = await runNode(UkPlanning, {
		parameters: { resource: 'application', operation: 'search', ...parameters },
		credentials: { ukPlanningApi: { apiKey: key, baseUrl: planning.url } },
		items: [{ json: args }],
		asTool: true,
	});
	if (result.error) throw result.error;
	return result.output[0].map((item) => item.json);
}

const charged = (key) =>
	planning.control.charges(key).reduce((sum, charge) => sum + Number(charge.consumed), 0);
const searchesSent = () =>
	planning.control.requests().filter((entry) => entry.path === '/search').length;

const noArgs = { postcode: '', keyword: '', validatedFrom: '', validatedTo: '' };

test('the model asks for everything: never more than Max Credits spent, one item saying how many matched and how to narrow', async () => {
	const key = await freshKey();
	const [answer, ...rest] = await planningTool(
		key,
		{ maxCredits: 10, filters: MODEL_FILTERS },
		noArgs,
	);
	expect(rest).toEqual([]);
	expect(answer.count).toBeGreaterThan(TOOL_ITEM_LIMIT);
	expect(answer.returned).toBe(10);
	expect(answer.applications).toHaveLength(10);
	expect(Object.keys(answer.applications[0])).toEqual(SIMPLIFIED_FIELDS);
	expect(charged(key)).toBe(10);
	expect(answer.creditsSpent).toBe(10);
	expect(answer.summary).toMatch(
		new RegExp(
			`^${answer.count} applications match, more than Max Credits \\(10\\) allows: returned the newest 10`,
		),
	);
	// The model is told which of its own arguments narrow the search.
	expect(answer.summary).toContain('To narrow: for older ones set "validatedTo" to');
	expect(answer.summary).toContain('add a word of the description to "keyword"');
	expect(answer.summary).toContain('give a postcode in "postcode"');
});

test('with a larger Max Credits the answer still holds at most 25 applications, and only those are paid for', async () => {
	const key = await freshKey();
	const [answer] = await planningTool(key, { maxCredits: 500, filters: MODEL_FILTERS }, noArgs);
	// Newest first up to the limit: whole days, then the authorities of one more day that still fit.
	expect(answer.returned).toBeGreaterThan(0);
	expect(answer.returned).toBeLessThanOrEqual(TOOL_ITEM_LIMIT);
	expect(answer.applications).toHaveLength(answer.returned);
	expect(charged(key)).toBe(answer.returned);
	expect(answer.summary).toContain(`more than this tool returns at once (${TOOL_ITEM_LIMIT})`);
	expect(answer.maxCredits).toBe(500);
});

test('a search that fits: every application returned, the summary gives count and credits', async () => {
	const key = await freshKey();
	const application = planning.control.applications()[0];
	const [answer] = await planningTool(
		key,
		{ maxCredits: 100, filters: MODEL_FILTERS },
		{ ...noArgs, postcode: application.postcode },
	);
	expect(answer.count).toBeGreaterThan(0);
	expect(answer.count).toBeLessThanOrEqual(TOOL_ITEM_LIMIT);
	expect(answer.returned).toBe(answer.count);
	expect(charged(key)).toBe(answer.count);
	expect(answer.query).toEqual({ postcode_exact: application.postcode });
	expect(answer.summary).toMatch(
		new RegExp(
			`^${answer.count} applications? match(es)?; all ${answer.count} returned below \\(${answer.count} credits? spent, \\d+ credits left\\)\\.$`,
		),
	);
});

test('an invalid postcode and a date in words come back as results naming the argument; nothing is sent', async () => {
	const key = await freshKey();
	planning.control.clearLogs();
	const [badPostcode] = await planningTool(
		key,
		{ maxCredits: 10, filters: MODEL_FILTERS },
		{ ...noArgs, postcode: 'near SE1' },
	);
	expect(badPostcode.error).toBe(
		'Invalid filter "Postcode (Exact)" (tool argument "postcode"): "near SE1" is not a full UK postcode (e.g. "GU16 7HF")',
	);
	expect(badPostcode.description).toBe('Fix this filter; no request was sent to the Planning API.');

	const [badDate] = await planningTool(
		key,
		{ maxCredits: 10, filters: MODEL_FILTERS },
		{ ...noArgs, validatedFrom: 'last week' },
	);
	expect(badDate.error).toBe(
		'Invalid filter "Validated From" (tool argument "validatedFrom"): "last week" is not a real date in the form yyyy-mm-dd (e.g. 2026-11-01)',
	);
	expect(searchesSent()).toBe(0);
	expect(charged(key)).toBe(0);
});

test('Max Credits filled by the model is refused before any request', async () => {
	const key = await freshKey();
	planning.control.clearLogs();
	const [answer] = await planningTool(
		key,
		{
			maxCredits: fromAi('maxCredits', 'How many credits to spend', 'number'),
			filters: MODEL_FILTERS,
		},
		{ ...noArgs, maxCredits: 100000 },
	);
	expect(answer.error).toBe(
		'"Max Credits" is filled by the model ($fromAI); it must be a fixed value set in the workflow',
	);
	expect(planning.control.requests()).toEqual([]);
});

test('If Over Max Credits "Fail Without Spending": the refusal is the result, with the count and how to narrow; nothing charged', async () => {
	const key = await freshKey();
	const [answer] = await planningTool(
		key,
		{ maxCredits: 10, overCap: 'fail', filters: MODEL_FILTERS },
		noArgs,
	);
	expect(answer.error).toMatch(
		/^The search matches \d+ applications, more than Max Credits \(10\); nothing was fetched or charged$/,
	);
	expect(answer.description).toMatch(/Narrow the filters/);
	expect(charged(key)).toBe(0);
});

test('Count as a tool: one summary item, free', async () => {
	const key = await freshKey();
	const [answer] = await planningTool(key, { mode: 'count', filters: MODEL_FILTERS }, noArgs);
	expect(answer.count).toBeGreaterThan(TOOL_ITEM_LIMIT);
	expect(answer.summary).toMatch(
		new RegExp(
			`^${answer.count} applications match \\(counting is free; fetching costs one credit each\\)\\. The key has 100000 credits left\\. A search returns at most the newest 25 at once\\. To narrow: `,
		),
	);
	expect(charged(key)).toBe(0);
});

test('Authority → Get Many as a tool: ids and names, bounded, said when cut', async () => {
	const key = await freshKey();
	const result = await runNode(UkPlanning, {
		parameters: { resource: 'authority', operation: 'getAll', returnAll: true },
		credentials: { ukPlanningApi: { apiKey: key, baseUrl: planning.url } },
		asTool: true,
	});
	const [answer, ...rest] = result.output[0].map((item) => item.json);
	expect(rest).toEqual([]);
	const total = planning.control.lpas().length;
	expect(answer.count).toBe(total);
	expect(answer.returned).toBe(Math.min(total, TOOL_ITEM_LIMIT));
	expect(Object.keys(answer.authorities[0])).toEqual(['id', 'name']);
	if (total > TOOL_ITEM_LIMIT) expect(answer.summary).toContain('give part of the authority');
	else
		expect(answer.summary).toBe(
			`${total} authorities. Use an id to search one authority's applications.`,
		);
});

describe('London Datastore as a tool (DataPress 4)', () => {
	const credentials = {
		londonDatastoreApi: { apiKey: 'demo-editor-key', baseUrl: '', apiVersion: 'auto' },
	};
	async function datastoreTool(parameters, args = {}) {
		credentials.londonDatastoreApi.baseUrl = datastore.url;
		const result = await runNode(LondonDatastore, {
			parameters,
			credentials,
			items: [{ json: args }],
			asTool: true,
		});
		if (result.error) throw result.error;
		return result.output[0].map((item) => item.json);
	}

	test('Get Many: one item, datasets without their file lists, a summary line', async () => {
		const [answer] = await datastoreTool(
			{
				resource: 'dataset',
				operation: 'getAll',
				simplify: false,
				filters: { search: fromAi('search', 'Words of the dataset title') },
			},
			{ search: 'planning' },
		);
		expect(answer.count).toBeGreaterThan(0);
		expect(answer.datasets.map((dataset) => dataset.id)).toContain('c5ext');
		expect(answer.datasets[0]).not.toHaveProperty('files');
		expect(answer.datasets.find((dataset) => dataset.id === 'c5ext').fileCount).toBe(1);
		expect(answer.summary).toMatch(
			/^\d+ datasets? match\. Dataset → Get gives a dataset's files\.$/,
		);
	});

	test('Get: the simplified dataset with a summary, whatever Simplify says', async () => {
		const [answer] = await datastoreTool(
			{
				resource: 'dataset',
				operation: 'get',
				simplify: false,
				datasetId: { __rl: true, mode: 'id', value: fromAi('datasetId', 'The dataset id') },
			},
			{ datasetId: 'vd4q4' },
		);
		expect(answer.summary).toMatch(
			/^Dataset "Age specific fertility rates" \(id vd4q4\): \d+ files/,
		);
		expect(answer.files.length).toBeGreaterThan(1);
		expect(answer).not.toHaveProperty('resources');
	});

	test('File → Download gives the address, and the file is not downloaded', async () => {
		datastore.control.clearLogs();
		const [answer] = await datastoreTool({
			resource: 'file',
			operation: 'download',
			datasetId: { __rl: true, mode: 'id', value: 'vd4q4' },
			resourceId: { __rl: true, mode: 'id', value: '4nz' },
		});
		expect(answer.url).toBe(`${datastore.url}/download/vd4q4/4nz/age_specific_fertility_rates.csv`);
		expect(answer.summary).toContain(answer.url);
		expect(answer.bytes).toBe(29385778);
		const paths = datastore.control.requests().map((entry) => entry.path);
		expect(paths.some((path) => path.startsWith('/download/'))).toBe(false);
	});
});
