/**
 * End to end: both nodes as tools of n8n's own AI Agent, in a real n8n 2.x (2.40.7) with the packed package,
 * its model n8n's OpenAI Chat Model node pointed at the sandbox model through its credential's Base URL.
 * The workflow is the example "Ask about planning applications" (Chat Trigger → AI Agent, the UK Planning
 * and London Datastore tools), published with its chat reachable as a webhook; each conversation is one
 * chat message, the sandbox model playing the test's script. Assertions are on what the sandboxes were
 * asked and charged and on what the model was sent, never on the model's wording.
 */
'use strict';

const { startEnvironment, preparedExamples, waitFor } = require('./support');
const { restClient } = require('../../scripts/lib/queue-mode.cjs');

const SETUP_TIMEOUT = 20 * 60 * 1000;
const STEP_TIMEOUT = 5 * 60 * 1000;
const EXAMPLE_ID = 'pdsExample5Agent';
const SEARCH_TOOL = 'Search_planning_applications';
const DATASET_TOOL = 'Find_London_datasets';
/** The example's Max Credits: the user's, not the model's. */
const MAX_CREDITS = 20;

let env;
let server;
let rest;
let chatUrl;

/** The example, its chat published as a webhook that answers when the agent has (as an embedded chat). */
function exampleWithWebhookChat() {
	const example = preparedExamples().find((workflow) => workflow.id === EXAMPLE_ID);
	const trigger = example.nodes.find((node) => /chatTrigger$/.test(node.type));
	trigger.parameters = { public: true, mode: 'webhook', options: { responseMode: 'lastNode' } };
	const search = example.nodes.find((node) => node.name === 'Search planning applications');
	expect(search.parameters.maxCredits).toBe(MAX_CREDITS);
	return { example, webhookId: trigger.webhookId };
}

beforeAll(async () => {
	env = await startEnvironment({ line: '2' });
	const { example, webhookId } = exampleWithWebhookChat();
	await env.importWorkflows([example]);
	server = await env.startServer();
	rest = await restClient({ url: server.url, installed: env.installed }).login();
	await rest.activate(EXAMPLE_ID);
	chatUrl = `${server.url}/webhook/${webhookId}/chat`;
}, SETUP_TIMEOUT);

afterAll(async () => {
	if (server) await server.stop();
	if (env) await env.close();
});

/** One chat message through the published chat; resolves to the agent's answer. */
async function ask(question) {
	const answer = await fetch(chatUrl, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			action: 'sendMessage',
			sessionId: `e2e-${Date.now()}`,
			chatInput: question,
		}),
	});
	const text = await answer.text();
	if (!answer.ok) throw new Error(`The chat answered ${answer.status}: ${text.slice(0, 2000)}`);
	return JSON.parse(text);
}

/** Every request the model received in this file, kept across the conversations' cleared logs. */
const modelSaw = [];

/** Before each conversation: its script, and clean logs in every sandbox. */
async function conversation(scripts) {
	env.model.control.setScripts(scripts);
	modelSaw.push(...env.model.control.requests());
	env.model.control.clearLogs();
	await env.planning.control.clearLogs();
	await env.datastore.control.clearLogs();
}

const searches = async () =>
	(await env.planning.control.requests()).filter((entry) => entry.path === '/search');
const paidSearches = async () =>
	(await searches()).filter((entry) => entry.query.return_data === '1');
const charged = async () =>
	(await env.planning.control.charges('demo-planning-key')).reduce(
		(sum, charge) => sum + Number(charge.consumed),
		0,
	);

/** The tool messages the model was sent, parsed (n8n sends the tool's items as a JSON array). */
function toolMessages(completion) {
	return completion.body.messages
		.filter((message) => message.role === 'tool')
		.map((message) => JSON.parse(message.content));
}

/** An application the seed has, with a district and a word of its title to ask about. */
async function askableApplication() {
	const applications = await env.planning.control.applications();
	const chosen = applications.find(
		(application) =>
			application.postcode && /\b(extension|loft|dwelling)\b/i.test(application.title),
	);
	const district = chosen.postcode.split(' ')[0];
	const word = /\b(extension|loft|dwelling)\b/i.exec(chosen.title)[1].toLowerCase();
	return { chosen, district, word };
}

test(
	"the tools as n8n offers them to the model: names, the user's descriptions, only the $fromAI arguments",
	async () => {
		await conversation([{ name: 'hello', match: 'hello', steps: [{ answer: 'Hello.' }] }]);
		const answer = await ask('hello');
		expect(answer.output).toBe('Hello.');
		const [completion] = env.model.control.completions();
		expect(completion.body.model).toBe('sandbox-agent-model');
		const tools = Object.fromEntries(
			completion.body.tools.map((tool) => [tool.function.name, tool.function]),
		);
		expect(Object.keys(tools).sort()).toEqual([DATASET_TOOL, SEARCH_TOOL]);
		expect(tools[SEARCH_TOOL].description).toMatch(
			/^Search UK planning applications, newest first/,
		);
		expect(Object.keys(tools[SEARCH_TOOL].parameters.properties).sort()).toEqual([
			'keyword',
			'postcode',
			'validatedFrom',
			'validatedTo',
		]);
		expect(tools[SEARCH_TOOL].parameters.properties.postcode.description).toMatch(/e\.g\. SE1/);
		expect(Object.keys(tools[DATASET_TOOL].parameters.properties)).toEqual(['search']);
		// The key of the model's credential went as a bearer token only; the sandbox checked it.
		expect(env.model.control.requests().every((entry) => entry.authorized)).toBe(true);
	},
	STEP_TIMEOUT,
);

test(
	'a search filled from the question: the right query reaches the Planning sandbox, the model then reads the compact answer',
	async () => {
		const { district, word } = await askableApplication();
		await conversation([
			{
				name: 'filled from the question',
				match: `applications for (\\w+) near (${district})\\?`,
				steps: [
					{
						toolCalls: [
							{
								tool: SEARCH_TOOL,
								arguments: { postcode: '$2', keyword: '$1', validatedFrom: '', validatedTo: '' },
							},
						],
					},
					{ answer: 'Found: {{results}}' },
				],
			},
		]);
		const answer = await ask(`Which planning applications for ${word} near ${district}?`);

		const sent = await searches();
		expect(sent.length).toBeGreaterThan(0);
		for (const entry of sent) {
			expect(entry.query.postcode_start).toBe(district);
			expect(entry.query.keyword).toBe(word);
		}
		const [first, second] = env.model.control.completions();
		expect(first.reply.toolCalls[0].name).toBe(SEARCH_TOOL);
		const [[result]] = toolMessages(second);
		expect(result.count).toBeGreaterThan(0);
		expect(result.returned).toBe(result.applications.length);
		expect(result.returned).toBeLessThanOrEqual(MAX_CREDITS);
		expect(result.creditsSpent).toBe(await charged());
		expect(result.creditsSpent).toBe(result.returned);
		expect(result.summary).toMatch(new RegExp(`^${result.count} applications? match`));
		// Simplified, without personal data: what the model reads is compact.
		expect(Object.keys(result.applications[0]).sort()).toEqual(
			[
				'address',
				'authority',
				'link',
				'location',
				'postcode',
				'reference',
				'title',
				'validated',
			].sort(),
		);
		expect(answer.output).toBe(`Found: ${SEARCH_TOOL}: ${result.summary}`);
	},
	STEP_TIMEOUT,
);

test(
	"the model asks for everything: charged no more than the user's Max Credits, and told how to narrow",
	async () => {
		await conversation([
			{
				name: 'everything',
				match: 'every planning application',
				steps: [
					{
						toolCalls: [
							{
								tool: SEARCH_TOOL,
								arguments: { postcode: '', keyword: '', validatedFrom: '', validatedTo: '' },
							},
						],
					},
					{ answer: '{{results}}' },
				],
			},
		]);
		await ask('Show me every planning application in England.');
		const spent = await charged();
		expect(spent).toBeGreaterThan(0);
		expect(spent).toBeLessThanOrEqual(MAX_CREDITS);
		// Only paid searches charge, each within the cap; the rest were free counts.
		expect((await paidSearches()).length).toBeGreaterThan(0);
		const [, second] = env.model.control.completions();
		const [[result]] = toolMessages(second);
		expect(result.creditsSpent).toBe(spent);
		expect(result.count).toBeGreaterThan(MAX_CREDITS);
		expect(result.maxCredits).toBe(MAX_CREDITS);
		expect(result.summary).toContain(`more than Max Credits (${MAX_CREDITS}) allows`);
		expect(result.summary).toMatch(
			/To narrow: for older ones set "validatedTo" to \d{4}-\d{2}-\d{2}/,
		);
		expect(result.summary).toContain('"keyword"');
		expect(result.summary).toContain('"postcode"');
		console.log(`what the model was told (charged ${spent} credits): ${result.summary}`);
	},
	STEP_TIMEOUT,
);

test(
	"an invalid postcode: the model reads the tool's error, corrects the argument, and only the corrected search is sent",
	async () => {
		const { district } = await askableApplication();
		await conversation([
			{
				name: 'postcode in words, then corrected',
				match: `applications near (${district})`,
				steps: [
					{
						toolCalls: [
							{
								tool: SEARCH_TOOL,
								arguments: {
									postcode: 'near $1',
									keyword: '',
									validatedFrom: '',
									validatedTo: '',
								},
							},
						],
					},
					{
						when: { lastResultMatches: 'tool argument \\\\"postcode\\\\"' },
						toolCalls: [
							{
								tool: SEARCH_TOOL,
								arguments: { postcode: '$1', keyword: '', validatedFrom: '', validatedTo: '' },
							},
						],
					},
					{ answer: '{{results}}' },
				],
			},
		]);
		await ask(`Any applications near ${district} this year?`);
		const completions = env.model.control.completions();
		expect(completions).toHaveLength(3);
		const [[refused]] = toolMessages(completions[1]);
		expect(refused.error).toBe(
			`Invalid filter "Postcode Starts With" (tool argument "postcode"): "near ${district}" is not the start of a UK postcode (e.g. "GU16" or "SW1A 2")`,
		);
		expect(completions[1].reply.toolCalls[0].arguments.postcode).toBe(district);
		const results = toolMessages(completions[2]);
		expect(results).toHaveLength(2);
		expect(results[1][0].summary).toMatch(/applications? match/);
		// Nothing was sent for the bad value; every search sent was the corrected one.
		const sent = await searches();
		expect(sent.length).toBeGreaterThan(0);
		expect(sent.every((entry) => entry.query.postcode_start === district)).toBe(true);
		expect(await charged()).toBe(results[1][0].creditsSpent);
		// The failed call did not fail the execution: the agent answered, and the run ended in success.
		const filter = encodeURIComponent(JSON.stringify({ workflowId: EXAMPLE_ID }));
		const newest = await waitFor(async () => {
			const list = await rest.call('GET', `/executions?filter=${filter}`);
			const [latest] = (list && list.results) || [];
			return latest && !['new', 'running'].includes(latest.status) ? latest : undefined;
		}, 'the newest execution of the example to end');
		expect(newest.status).toBe('success');
	},
	STEP_TIMEOUT,
);

test(
	'a dataset lookup on the DataPress 4 sandbox: one read of the catalogue, nothing changed, the model gets the compact list',
	async () => {
		await conversation([
			{
				name: 'dataset',
				match: 'dataset about (.+?)\\?',
				steps: [
					{ toolCalls: [{ tool: DATASET_TOOL, arguments: { search: '$1' } }] },
					{ answer: '{{results}}' },
				],
			},
		]);
		const before = await env.datastore.control.dataset('c5ext');
		await ask('Is there a London Datastore dataset about planning applications?');
		const requests = await env.datastore.control.requests();
		expect(requests.length).toBeGreaterThan(0);
		expect(requests.every((entry) => entry.method === 'GET')).toBe(true);
		expect(await env.datastore.control.dataset('c5ext')).toEqual(before);
		expect(await charged()).toBe(0);
		const [, second] = env.model.control.completions();
		const [[result]] = toolMessages(second);
		expect(result.datasets.map((dataset) => dataset.id)).toContain('c5ext');
		expect(result.datasets.find((dataset) => dataset.id === 'c5ext')).toMatchObject({
			title: 'Planning applications: monthly extract',
			fileCount: 1,
		});
		expect(result.summary).toMatch(/^\d+ datasets? match\./);
	},
	STEP_TIMEOUT,
);

test('no API key of either service ever reached the model', () => {
	modelSaw.push(...env.model.control.requests());
	expect(modelSaw.length).toBeGreaterThan(8);
	const sent = JSON.stringify(modelSaw);
	for (const key of ['demo-planning-key', 'demo-editor-key']) expect(sent).not.toContain(key);
});
