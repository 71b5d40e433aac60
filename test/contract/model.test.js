/**
 * Contract tests of the sandbox chat model (sandbox/model) over real HTTP with undici: OpenAI's chat
 * completions (plain and streamed) with tool calls, the model list, the key check, and the record of every
 * request.
 *
 * Decided behaviours pinned here (the sandbox plays scripts; no real model's behaviour is claimed):
 * - The script is chosen by the last user message; the step by the tool-call rounds since that message, so
 *   the same conversation replayed gets the same answers, and a new question starts its script again.
 * - A step with `when.lastResultMatches` is played only if a result of the previous round matches it;
 *   otherwise the model gives its final answer (it corrects a call only when told it was wrong).
 * - A script calling a tool the request does not offer is the script's mistake: a 400 naming the tool and
 *   the tools offered, not a made-up call.
 * - A question no script matches gets a plain answer saying so (200, no tool calls).
 * - A wrong or missing key is OpenAI's 401 `invalid_api_key`; the key itself is never recorded.
 */
'use strict';

const { request } = require('undici');

const { startModelSandbox, resultGist } = require('../../sandbox/model');

const KEY = 'demo-model-key';
const SEARCH_TOOL = {
	type: 'function',
	function: {
		name: 'Search_applications',
		description: 'Search planning applications',
		parameters: {
			type: 'object',
			properties: { keyword: { type: 'string' }, postcode: { type: 'string' } },
		},
	},
};
const SCRIPTS = [
	{
		name: 'applications near a postcode',
		match: 'applications for (.+?) near (\\S+ ?\\S*)\\?',
		steps: [
			{
				toolCalls: [{ tool: 'Search_applications', arguments: { keyword: '$1', postcode: '$2' } }],
			},
			{
				when: { lastResultMatches: 'postcode' },
				toolCalls: [
					{ tool: 'Search_applications', arguments: { keyword: '$1', postcode: 'SE1 7PB' } },
				],
			},
			{ answer: 'Here is what I found. {{results}}' },
		],
	},
	{
		name: 'a tool that is not there',
		match: 'weather',
		steps: [{ toolCalls: [{ tool: 'Weather', arguments: {} }] }],
	},
];

let model;

beforeAll(async () => {
	model = await startModelSandbox({ scripts: SCRIPTS });
});

afterAll(async () => {
	await model.close();
});

beforeEach(() => model.control.clearLogs());

async function chat(body, key = KEY) {
	const answer = await request(`${model.url}/chat/completions`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
		body: JSON.stringify(body),
	});
	return {
		status: answer.statusCode,
		contentType: answer.headers['content-type'],
		text: await answer.body.text(),
	};
}

const question = {
	role: 'user',
	content: 'Which applications for loft conversions near near SE1?',
};

test('GET /v1/models lists the sandbox model; a wrong key is 401 invalid_api_key and is not recorded', async () => {
	const listed = await request(`${model.url}/models`, {
		headers: { authorization: `Bearer ${KEY}` },
	});
	expect(listed.statusCode).toBe(200);
	const models = await listed.body.json();
	expect(models).toMatchObject({ object: 'list', data: [{ id: model.model, object: 'model' }] });

	const refused = await chat({ messages: [question] }, 'not-the-key');
	expect(refused.status).toBe(401);
	expect(JSON.parse(refused.text).error).toMatchObject({ code: 'invalid_api_key' });
	const recorded = model.control.requests();
	expect(recorded.map((entry) => [entry.path, entry.authorized, entry.status])).toEqual([
		['/v1/models', true, 200],
		['/v1/chat/completions', false, 401],
	]);
	expect(JSON.stringify(recorded)).not.toContain('not-the-key');
	expect(JSON.stringify(recorded)).not.toContain(KEY);
});

test('a scripted conversation: tool call filled from the question, a correction only when told, then an answer from the results', async () => {
	const system = { role: 'system', content: 'You are a helpful assistant' };
	const first = await chat({ model: 'any', messages: [system, question], tools: [SEARCH_TOOL] });
	expect(first.status).toBe(200);
	const firstAnswer = JSON.parse(first.text);
	expect(firstAnswer.object).toBe('chat.completion');
	const [choice] = firstAnswer.choices;
	expect(choice.finish_reason).toBe('tool_calls');
	expect(choice.message.content).toBeNull();
	const [call] = choice.message.tool_calls;
	expect(call).toMatchObject({ type: 'function', function: { name: 'Search_applications' } });
	expect(JSON.parse(call.function.arguments)).toEqual({
		keyword: 'loft conversions',
		postcode: 'near SE1',
	});

	// The tool said the postcode was wrong: the next step (the correction) is played.
	const toolError = JSON.stringify([
		{ error: 'Invalid filter "Postcode": "near SE1" is not a postcode' },
	]);
	const afterError = [
		system,
		question,
		choice.message,
		{ role: 'tool', tool_call_id: call.id, content: toolError },
	];
	const second = JSON.parse((await chat({ messages: afterError, tools: [SEARCH_TOOL] })).text);
	const [retry] = second.choices[0].message.tool_calls;
	expect(JSON.parse(retry.function.arguments)).toEqual({
		keyword: 'loft conversions',
		postcode: 'SE1 7PB',
	});
	expect(retry.id).not.toBe(call.id);

	const toolResult = JSON.stringify([
		{ summary: '3 applications match; returned 3 for 3 credits.' },
	]);
	const third = JSON.parse(
		(
			await chat({
				messages: [
					...afterError,
					second.choices[0].message,
					{ role: 'tool', tool_call_id: retry.id, content: toolResult },
				],
				tools: [SEARCH_TOOL],
			})
		).text,
	);
	expect(third.choices[0].finish_reason).toBe('stop');
	expect(third.choices[0].message.tool_calls).toBeUndefined();
	expect(third.choices[0].message.content).toBe(
		'Here is what I found. Search_applications: error: Invalid filter "Postcode": "near SE1" is not a postcode\n' +
			'Search_applications: 3 applications match; returned 3 for 3 credits.',
	);

	// Every completion request is recorded whole, with what the model answered.
	const completions = model.control.completions();
	expect(completions).toHaveLength(3);
	expect(completions[1].body.messages[3]).toEqual({
		role: 'tool',
		tool_call_id: call.id,
		content: toolError,
	});
	expect(completions.map((entry) => entry.script)).toEqual([
		'applications near a postcode',
		'applications near a postcode',
		'applications near a postcode',
	]);
	expect(completions[2].reply).toEqual({ content: third.choices[0].message.content });
});

test('a conditional step is skipped when the previous result does not call for it', async () => {
	const first = JSON.parse((await chat({ messages: [question], tools: [SEARCH_TOOL] })).text);
	const call = first.choices[0].message.tool_calls[0];
	const answer = JSON.parse(
		(
			await chat({
				messages: [
					question,
					first.choices[0].message,
					{ role: 'tool', tool_call_id: call.id, content: '[{"summary":"2 applications match."}]' },
				],
				tools: [SEARCH_TOOL],
			})
		).text,
	);
	expect(answer.choices[0].message.content).toBe(
		'Here is what I found. Search_applications: 2 applications match.',
	);
});

test('streamed: the same answer as server-sent chunks, tool calls with their index, usage when asked, [DONE]', async () => {
	const streamed = await chat({
		messages: [question],
		tools: [SEARCH_TOOL],
		stream: true,
		stream_options: { include_usage: true },
	});
	expect(streamed.status).toBe(200);
	expect(streamed.contentType).toMatch(/^text\/event-stream/);
	const events = streamed.text
		.split('\n\n')
		.filter(Boolean)
		.map((event) => event.replace(/^data: /, ''));
	expect(events.pop()).toBe('[DONE]');
	const chunks = events.map((event) => JSON.parse(event));
	expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
	const toolDelta = chunks.find((chunk) => chunk.choices[0] && chunk.choices[0].delta.tool_calls);
	expect(toolDelta.choices[0].delta.tool_calls[0]).toMatchObject({
		index: 0,
		type: 'function',
		function: { name: 'Search_applications' },
	});
	expect(
		chunks.some((chunk) => chunk.choices[0] && chunk.choices[0].finish_reason === 'tool_calls'),
	).toBe(true);
	expect(chunks[chunks.length - 1].usage.total_tokens).toBeGreaterThan(0);
});

test('a script calling a tool the request does not offer is a 400 naming both; an unscripted question gets a plain answer', async () => {
	const missing = await chat({
		messages: [{ role: 'user', content: 'What is the weather?' }],
		tools: [SEARCH_TOOL],
	});
	expect(missing.status).toBe(400);
	expect(JSON.parse(missing.text).error.message).toBe(
		'Sandbox script "a tool that is not there" calls the tool "Weather", but the request offers: Search_applications',
	);
	const unscripted = JSON.parse(
		(await chat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] })).text,
	);
	expect(unscripted.choices[0].message.content).toMatch(
		/^Sandbox model: no script matches "Hello"/,
	);
});

test('the control API over HTTP: scripts replaced, requests listed, log cleared', async () => {
	const post = async (path, body) =>
		(
			await request(`${model.origin}${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
			})
		).body.json();
	await post('/_sandbox/scripts', [{ name: 'hello', match: 'hello', steps: [{ answer: 'Hi.' }] }]);
	const hi = JSON.parse((await chat({ messages: [{ role: 'user', content: 'hello' }] })).text);
	expect(hi.choices[0].message.content).toBe('Hi.');
	const listed = await (await request(`${model.origin}/_sandbox/requests`)).body.json();
	expect(listed).toHaveLength(1);
	expect(listed[0].body.messages).toEqual([{ role: 'user', content: 'hello' }]);
	await post('/_sandbox/logs/clear', {});
	expect(model.control.requests()).toEqual([]);
	model.control.setScripts(SCRIPTS);
});

test('resultGist: summaries found in n8n-shaped results, else the start of the text', () => {
	expect(resultGist('[{"summary":"a"},{"summary":"b"}]')).toBe('a b');
	expect(resultGist('[{"response":[{"summary":"nested"}]}]')).toBe('nested');
	expect(resultGist('plain text')).toBe('plain text');
});

test('the demo scripts call the tools of the example "Ask about planning applications" with its $fromAI arguments', () => {
	const { nodeNameToToolName, traverseNodeParameters } = require('n8n-workflow');
	const { DEMO_SCRIPTS, DEMO_TOOLS } = require('../../sandbox/model/demoScripts');
	const example = require('../../examples/5-ask-about-planning-applications.json');
	const tools = Object.fromEntries(
		example.nodes
			.filter((node) => /Tool$/.test(node.type))
			.map((node) => {
				const found = [];
				traverseNodeParameters(node.parameters, found);
				return [nodeNameToToolName(node), found.map((argument) => argument.key).sort()];
			}),
	);
	expect(Object.keys(tools).sort()).toEqual(Object.values(DEMO_TOOLS).sort());
	for (const script of DEMO_SCRIPTS)
		for (const step of script.steps)
			for (const call of step.toolCalls || [])
				expect(Object.keys(call.arguments).sort()).toEqual(tools[call.tool]);
});
