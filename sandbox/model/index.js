/**
 * A scripted chat model behind an OpenAI-compatible API (`GET /v1/models`, `POST /v1/chat/completions`,
 * plain or streamed, with tool calls), for n8n's OpenAI Chat Model node through its credential's Base URL.
 * No model runs here: for the question it is asked it plays a script (the tool calls a test or the demo
 * wrote down, then a final answer built from what the tools returned), and it records every request it
 * received, so that a test can read exactly what an agent was shown.
 *
 * A script: `{ name, match, steps }`. `match` is a regular expression (case-insensitive) tried on the last
 * user message; its groups fill `$1`…`$9` in tool arguments (`$0`: the whole match). Each step is one
 * answer of the model, in order, counted by the tool-call rounds since that user message:
 * - `{ toolCalls: [{ tool, arguments }], when? }`: call tools (by the names the request's `tools` list
 *   offers). `when: { lastResultMatches }` plays the step only if a tool result of the previous round
 *   matches that expression (case-insensitive); otherwise the model answers instead.
 * - `{ answer }`: the final answer. `{{results}}` becomes what each tool returned (a `summary` field where
 *   the result has one, else its start), `{{lastResult}}` the newest result, `{{question}}` the question.
 *   Without an `answer` step the model answers with `{{results}}`.
 *
 * Not part of OpenAI's API: the control API under `/_sandbox/` (requests, scripts, clearing the log).
 */
'use strict';

const http = require('node:http');

const { listen } = require('../listen');

const DEFAULT_MODEL = 'sandbox-agent-model';
const DEFAULT_KEY = 'demo-model-key';
/** How much of a tool result without a `summary` the final answer quotes. */
const RESULT_EXCERPT = 600;

/** The text of a message's content: a string, or OpenAI's list of parts. */
function contentText(content) {
	if (typeof content === 'string') return content;
	if (Array.isArray(content))
		return content
			.map((part) => (typeof part === 'string' ? part : part && part.text ? part.text : ''))
			.join('');
	return '';
}

/** The current question and what happened since it: tool-call rounds and the tool results. */
function conversationState(messages) {
	let lastUser = -1;
	messages.forEach((message, index) => {
		if (message && message.role === 'user') lastUser = index;
	});
	const question = lastUser === -1 ? '' : contentText(messages[lastUser].content);
	const since = messages.slice(lastUser + 1);
	const toolNames = new Map();
	let rounds = 0;
	const results = [];
	let lastRoundResults = [];
	for (const message of since) {
		if (
			message.role === 'assistant' &&
			Array.isArray(message.tool_calls) &&
			message.tool_calls.length
		) {
			rounds++;
			lastRoundResults = [];
			for (const call of message.tool_calls)
				toolNames.set(call.id, call.function ? call.function.name : '');
		}
		if (message.role === 'tool') {
			const result = {
				tool: toolNames.get(message.tool_call_id) || 'tool',
				content: contentText(message.content),
			};
			results.push(result);
			lastRoundResults.push(result);
		}
	}
	return { question, rounds, results, lastRoundResults };
}

/** What a tool result says, in a line: its `summary` (at any depth of the first items), else its start. */
function resultGist(content) {
	let parsed;
	try {
		parsed = JSON.parse(content);
	} catch {
		return content.slice(0, RESULT_EXCERPT);
	}
	const summaries = [];
	const visit = (value, depth) => {
		if (depth > 3 || value === null || typeof value !== 'object') return;
		if (Array.isArray(value)) return value.slice(0, 5).forEach((entry) => visit(entry, depth + 1));
		if (typeof value.summary === 'string') summaries.push(value.summary);
		else if (typeof value.error === 'string') summaries.push(`error: ${value.error}`);
		else for (const entry of Object.values(value)) visit(entry, depth + 1);
	};
	visit(parsed, 0);
	return summaries.length ? summaries.join(' ') : content.slice(0, RESULT_EXCERPT);
}

function fillArguments(value, groups) {
	if (typeof value === 'string') {
		return value.replace(/\$(\d)/g, (_match, digit) => groups[Number(digit)] ?? '');
	}
	if (Array.isArray(value)) return value.map((entry) => fillArguments(entry, groups));
	if (value && typeof value === 'object')
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [key, fillArguments(entry, groups)]),
		);
	return value;
}

function fillAnswer(template, state) {
	const results = state.results.length
		? state.results.map((result) => `${result.tool}: ${resultGist(result.content)}`).join('\n')
		: '(no tool was called)';
	const last = state.results.length
		? resultGist(state.results[state.results.length - 1].content)
		: '(no tool was called)';
	return template
		.replaceAll('{{results}}', results)
		.replaceAll('{{lastResult}}', last)
		.replaceAll('{{question}}', state.question);
}

class ScriptError extends Error {}

/**
 * The model's next message for a request: `{ content }` or `{ toolCalls: [{ id, name, arguments }] }`.
 * Throws ScriptError when the script calls a tool the request does not offer.
 */
function playScript(scripts, body, nextCallId) {
	const messages = Array.isArray(body.messages) ? body.messages : [];
	const state = conversationState(messages);
	let script;
	let groups = [];
	for (const candidate of scripts) {
		const match = new RegExp(candidate.match, 'i').exec(state.question);
		if (match) {
			script = candidate;
			groups = [...match];
			break;
		}
	}
	if (!script) {
		return {
			script: null,
			content:
				`Sandbox model: no script matches "${state.question}". ` +
				`Scripted questions: ${scripts.map((entry) => entry.name).join('; ') || 'none'}.`,
		};
	}
	const toolSteps = script.steps.filter((step) => step.toolCalls);
	const answerStep = script.steps.find((step) => typeof step.answer === 'string');
	const step = toolSteps[state.rounds];
	const stepHolds =
		step &&
		(!step.when ||
			!step.when.lastResultMatches ||
			state.lastRoundResults.some((result) =>
				new RegExp(step.when.lastResultMatches, 'i').test(result.content),
			));
	if (!stepHolds) {
		return {
			script: script.name,
			content: fillAnswer(answerStep ? answerStep.answer : '{{results}}', state),
		};
	}
	const offered = (Array.isArray(body.tools) ? body.tools : [])
		.map((tool) => (tool && tool.function ? tool.function.name : undefined))
		.filter(Boolean);
	const toolCalls = step.toolCalls.map((call) => {
		if (!offered.includes(call.tool))
			throw new ScriptError(
				`Sandbox script "${script.name}" calls the tool "${call.tool}", but the request offers: ${offered.join(', ') || 'no tools'}`,
			);
		return {
			id: nextCallId(),
			name: call.tool,
			arguments: JSON.stringify(fillArguments(call.arguments || {}, groups)),
		};
	});
	return { script: script.name, toolCalls };
}

/** A rough token count (four characters a token), for the usage fields clients read. */
function tokens(text) {
	return Math.max(1, Math.ceil(String(text).length / 4));
}

async function startModelSandbox({
	port = 0,
	host = '127.0.0.1',
	key = DEFAULT_KEY,
	model = DEFAULT_MODEL,
	scripts = [],
} = {}) {
	const state = { scripts: [...scripts], requests: [], completions: 0, calls: 0 };
	const nextCallId = () => `call_sandbox_${++state.calls}`;

	const control = {
		setScripts: (list) => {
			state.scripts = [...list];
		},
		scripts: () => state.scripts.map((script) => ({ ...script })),
		/** Every request received, oldest first: method, path, whether the key was right, the JSON body. */
		requests: () => state.requests.map((entry) => JSON.parse(JSON.stringify(entry))),
		/** The chat completion requests only, with what the model answered to each. */
		completions: () =>
			state.requests
				.filter((entry) => entry.path === '/v1/chat/completions' && entry.status === 200)
				.map((entry) => JSON.parse(JSON.stringify(entry))),
		clearLogs: () => {
			state.requests = [];
		},
	};

	async function readBody(request) {
		const chunks = [];
		for await (const chunk of request) chunks.push(chunk);
		return Buffer.concat(chunks).toString('utf8');
	}

	function openAiError(response, status, message, type, code = null) {
		response.writeHead(status, { 'content-type': 'application/json' });
		response.end(JSON.stringify({ error: { message, type, param: null, code } }));
	}

	function completion(body, reply) {
		const id = `chatcmpl-sandbox-${++state.completions}`;
		const created = Math.floor(Date.now() / 1000);
		const promptTokens = tokens(JSON.stringify(body.messages || []));
		const completionText = reply.content ?? JSON.stringify(reply.toolCalls);
		const usage = {
			prompt_tokens: promptTokens,
			completion_tokens: tokens(completionText),
			total_tokens: promptTokens + tokens(completionText),
		};
		const toolCalls = reply.toolCalls
			? reply.toolCalls.map((call) => ({
					id: call.id,
					type: 'function',
					function: { name: call.name, arguments: call.arguments },
				}))
			: undefined;
		const message = { role: 'assistant', content: reply.content ?? null, refusal: null };
		if (toolCalls) message.tool_calls = toolCalls;
		return {
			id,
			created,
			usage,
			message,
			finishReason: toolCalls ? 'tool_calls' : 'stop',
		};
	}

	function sendCompletion(response, body, reply) {
		const made = completion(body, reply);
		const modelName = body.model || model;
		if (!body.stream) {
			response.writeHead(200, { 'content-type': 'application/json' });
			response.end(
				JSON.stringify({
					id: made.id,
					object: 'chat.completion',
					created: made.created,
					model: modelName,
					choices: [
						{ index: 0, message: made.message, logprobs: null, finish_reason: made.finishReason },
					],
					usage: made.usage,
				}),
			);
			return;
		}
		response.writeHead(200, {
			'content-type': 'text/event-stream',
			'cache-control': 'no-cache',
			connection: 'keep-alive',
		});
		const chunk = (choices, extra = {}) =>
			response.write(
				`data: ${JSON.stringify({ id: made.id, object: 'chat.completion.chunk', created: made.created, model: modelName, choices, ...extra })}\n\n`,
			);
		chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
		if (made.message.tool_calls) {
			made.message.tool_calls.forEach((call, index) =>
				chunk([
					{
						index: 0,
						delta: { tool_calls: [{ index, ...call }] },
						finish_reason: null,
					},
				]),
			);
		} else {
			// The answer in a few pieces, as a streaming model sends it.
			const text = made.message.content;
			for (let start = 0; start < text.length; start += 80)
				chunk([
					{ index: 0, delta: { content: text.slice(start, start + 80) }, finish_reason: null },
				]);
		}
		chunk([{ index: 0, delta: {}, finish_reason: made.finishReason }]);
		if (body.stream_options && body.stream_options.include_usage) chunk([], { usage: made.usage });
		response.end('data: [DONE]\n\n');
	}

	const server = http.createServer(async (request, response) => {
		const url = new URL(request.url, 'http://sandbox');
		const path = url.pathname.replace(/\/+$/, '');
		try {
			if (path.startsWith('/_sandbox/')) {
				const send = (value) => {
					response.writeHead(200, { 'content-type': 'application/json' });
					response.end(JSON.stringify(value));
				};
				const route = `${request.method} ${path}`;
				if (route === 'GET /_sandbox/requests') return send(control.requests());
				if (route === 'GET /_sandbox/scripts') return send(control.scripts());
				if (route === 'POST /_sandbox/scripts') {
					control.setScripts(JSON.parse((await readBody(request)) || '[]'));
					return send({ ok: true, scripts: state.scripts.length });
				}
				if (route === 'POST /_sandbox/logs/clear') return send((control.clearLogs(), { ok: true }));
				response.writeHead(404, { 'content-type': 'application/json' });
				return response.end(JSON.stringify({ error: `Unknown control route ${route}` }));
			}
			const text = await readBody(request);
			// The key is checked, never recorded.
			const authorized = request.headers.authorization === `Bearer ${key}`;
			const entry = { at: new Date().toISOString(), method: request.method, path, authorized };
			state.requests.push(entry);
			if (!authorized) {
				entry.status = 401;
				return openAiError(
					response,
					401,
					'Incorrect API key provided. The sandbox model takes the key it was started with.',
					'invalid_request_error',
					'invalid_api_key',
				);
			}
			if (request.method === 'GET' && path === '/v1/models') {
				entry.status = 200;
				response.writeHead(200, { 'content-type': 'application/json' });
				return response.end(
					JSON.stringify({
						object: 'list',
						data: [{ id: model, object: 'model', created: 1767225600, owned_by: 'sandbox' }],
					}),
				);
			}
			if (request.method === 'POST' && path === '/v1/chat/completions') {
				let body;
				try {
					body = JSON.parse(text);
				} catch {
					entry.status = 400;
					return openAiError(response, 400, 'The body is not JSON', 'invalid_request_error');
				}
				entry.body = body;
				if (!Array.isArray(body.messages) || !body.messages.length) {
					entry.status = 400;
					return openAiError(
						response,
						400,
						"'messages' must be a non-empty array",
						'invalid_request_error',
					);
				}
				let reply;
				try {
					reply = playScript(state.scripts, body, nextCallId);
				} catch (error) {
					if (!(error instanceof ScriptError)) throw error;
					entry.status = 400;
					return openAiError(response, 400, error.message, 'invalid_request_error');
				}
				entry.status = 200;
				entry.script = reply.script;
				entry.reply = reply.toolCalls
					? {
							toolCalls: reply.toolCalls.map((call) => ({
								id: call.id,
								name: call.name,
								arguments: JSON.parse(call.arguments),
							})),
						}
					: { content: reply.content };
				return sendCompletion(response, body, reply);
			}
			entry.status = 404;
			return openAiError(
				response,
				404,
				`Unknown path ${request.method} ${path}: the sandbox model serves GET /v1/models and POST /v1/chat/completions`,
				'invalid_request_error',
			);
		} catch (error) {
			response.writeHead(500, { 'content-type': 'application/json' });
			return response.end(
				JSON.stringify({
					error: { message: String(error && error.message), type: 'server_error' },
				}),
			);
		}
	});
	const listening = await listen(server, port, host);
	return {
		url: `${listening.origin}/v1`,
		origin: listening.origin,
		port: listening.port,
		key,
		model,
		control,
		async close() {
			await listening.close();
		},
	};
}

module.exports = {
	startModelSandbox,
	playScript,
	resultGist,
	DEFAULT_MODEL,
	DEFAULT_KEY,
};
