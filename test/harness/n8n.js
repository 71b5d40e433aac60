/**
 * Runs our nodes and credentials inside real n8n-core execution contexts, the way the n8n process does:
 * a real Workflow, real ExecuteContext / PollContext / LoadOptionsContext, n8n-core's own HTTP helpers
 * (so `httpRequestWithAuthentication`, redirects, error wrapping and binary streams are n8n's), and a real
 * BinaryDataService in filesystem mode. Only the parts that need n8n's database are replaced: the
 * credentials store (plain objects here) and the credential tester's node lookup.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// n8n-core reads its user folder when its services are first built; keep it out of the user's home. Under
// jest it lies in the run's temporary folder (test/harness/globalSetup.js); a plain script (a benchmark)
// removes it on exit.
const harnessFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-harness-'));
process.env.N8N_USER_FOLDER = process.env.N8N_USER_FOLDER || harnessFolder;
if (process.env.JEST_WORKER_ID === undefined)
	process.once('exit', () => fs.rmSync(harnessFolder, { recursive: true, force: true }));

// n8n-core carries its own copies of its DI container and logger; register services in those, not in
// whatever copy the top-level node_modules happens to hold.
const fromN8nCore = (id) =>
	require(require.resolve(id, { paths: [path.dirname(require.resolve('n8n-core'))] }));
fromN8nCore('reflect-metadata');
const { Container } = fromN8nCore('@n8n/di');
const { Logger } = fromN8nCore('@n8n/backend-common');
const {
	BinaryDataService,
	ExecuteContext,
	PollContext,
	LoadOptionsContext,
	RoutingNode,
	CredentialTestContext,
} = require('n8n-core');
const { Workflow, NodeHelpers, createRunExecutionData, BINARY_ENCODING } = require('n8n-workflow');

const PACKAGE_NAME = 'n8n-nodes-planning-datastore';
const credentialClasses = loadCredentialClasses();

/**
 * Credential classes by name. Under jest the TypeScript sources are loaded (ts-jest transforms them); plain
 * Node scripts such as the benchmarks get them bundled from the same sources by esbuild, so they never run
 * a stale build.
 */
function loadCredentialClasses() {
	const underJest = process.env.JEST_WORKER_ID !== undefined;
	const directory = path.join(__dirname, '..', '..', 'credentials');
	const classes = {};
	for (const file of fs.readdirSync(directory)) {
		if (!file.endsWith('.credentials.ts')) continue;
		const moduleExports = underJest
			? require(path.join(directory, file))
			: requireBundled(path.join(directory, file));
		for (const Exported of Object.values(moduleExports)) {
			if (typeof Exported !== 'function') continue;
			const instance = new Exported();
			if (instance && typeof instance.name === 'string') classes[instance.name] = instance;
		}
	}
	return classes;
}

/** Bundles a TypeScript entry as the package build does (n8n-workflow external) and requires it. */
function requireBundled(entry) {
	const esbuild = require('esbuild');
	const outfile = path.join(
		__dirname,
		'..',
		'..',
		'node_modules',
		'.cache',
		'harness',
		`${path.basename(entry, '.ts')}.js`,
	);
	esbuild.buildSync({
		entryPoints: [entry],
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		outfile,
		external: ['n8n-workflow'],
		// The node imports fast-json-patch's ES module files by names without an extension; the build
		// resolves them with a plugin (scripts/build.mjs), which buildSync cannot run: an alias does it here.
		alias: {
			'fast-json-patch/module/core': 'fast-json-patch/module/core.mjs',
			'fast-json-patch/module/duplex': 'fast-json-patch/module/duplex.mjs',
		},
		logLevel: 'silent',
	});
	return require(outfile);
}

let binaryDataReady;
/** One real BinaryDataService per test process, storing in a temp folder like N8N_DEFAULT_BINARY_DATA_MODE=filesystem. */
async function ensureBinaryDataService() {
	if (!binaryDataReady) {
		binaryDataReady = (async () => {
			const storagePath = fs.mkdtempSync(path.join(harnessFolder, 'binary-data-'));
			const config = {
				mode: 'filesystem',
				availableModes: ['filesystem'],
				localStoragePath: storagePath,
				signingSecret: 'harness-signing-secret',
				dbMaxFileSize: 512,
			};
			const errorReporter = { error() {}, warn() {}, info() {} };
			const service = new BinaryDataService(config, errorReporter, Container.get(Logger));
			await service.init();
			Container.set(BinaryDataService, service);
			return service;
		})();
	}
	return await binaryDataReady;
}

/** Resolves `={{ ... }}` values against `$credentials` with n8n's expression engine, as the CLI's CredentialsHelper does. */
function resolveCredentialValue(value, credentials, workflow, node) {
	if (typeof value !== 'string' || value.charAt(0) !== '=') return value;
	const resolved = workflow.expression.getSimpleParameterValue(
		node,
		value,
		'internal',
		{ $credentials: credentials },
		undefined,
		'',
	);
	if (!resolved) return '';
	return resolved.toString();
}

/** Fills in the credential's defaults the way n8n does when it decrypts stored credentials. */
function withCredentialDefaults(type, data) {
	const credentialType = credentialClasses[type];
	if (!credentialType) return { ...data };
	const filled = { ...data };
	for (const property of credentialType.properties || []) {
		if (filled[property.name] === undefined && property.default !== undefined) {
			filled[property.name] = property.default;
		}
	}
	return filled;
}

/** The credentials store of the n8n process, replaced by plain objects; authentication itself is n8n's algorithm. */
function createCredentialsHelper(credentialData) {
	return {
		getParentTypes: () => [],
		isCredentialUsableByNode: () => true,
		async authenticate(credentials, typeName, requestOptions, workflow, node) {
			const credentialType = credentialClasses[typeName];
			if (!credentialType || !credentialType.authenticate) return requestOptions;
			if (typeof credentialType.authenticate === 'function') {
				return await credentialType.authenticate(credentials, requestOptions);
			}
			const { authenticate } = credentialType;
			if (requestOptions.headers === undefined) requestOptions.headers = {};
			if (authenticate.type === 'generic') {
				for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
					for (const [key, value] of Object.entries(outerValue)) {
						const resolvedKey = resolveCredentialValue(key, credentials, workflow, node);
						const resolvedValue = resolveCredentialValue(value, credentials, workflow, node);
						if (!requestOptions[outerKey]) requestOptions[outerKey] = {};
						requestOptions[outerKey][resolvedKey] = resolvedValue;
					}
				}
			}
			return requestOptions;
		},
		preAuthentication: async () => undefined,
		runPreAuthentication: async () => undefined,
		async getCredentials() {
			throw new Error('The harness keeps no encrypted credentials');
		},
		async getDecrypted(_additionalData, _nodeCredentials, type) {
			if (!credentialData || !credentialData[type]) {
				throw new Error(`The test gave no credentials of type "${type}"`);
			}
			return withCredentialDefaults(type, credentialData[type]);
		},
		async updateCredentials() {},
		async updateCredentialsOauthTokenData() {},
		getCredentialsProperties: (type) =>
			credentialClasses[type] ? credentialClasses[type].properties : [],
	};
}

function createAdditionalData(credentialData) {
	return {
		credentialsHelper: createCredentialsHelper(credentialData),
		executeWorkflow: async () => {
			throw new Error('Sub-workflows are not part of these tests');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		executionId: `harness-${process.pid}-${Date.now()}`,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formBaseUrl: 'http://127.0.0.1:5678/form',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1:5678/form-test',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		mcpBaseUrl: 'http://127.0.0.1:5678/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1:5678/mcp-test',
		variables: {},
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('Task runners are not part of these tests');
		},
	};
}

function nodeTypesFor(nodeType) {
	const typeName = `${PACKAGE_NAME}.${nodeType.description.name}`;
	const nodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	return { typeName, nodeTypes };
}

/**
 * Builds the workflow n8n would hold after a user placed the node in the editor: the given parameters
 * completed with the description's defaults (NodeHelpers.getNodeParameters, as the editor does). The node
 * has the newest version of its type, as a node newly placed does, unless `typeVersion` names an older one
 * (a saved workflow's).
 */
function buildWorkflow(
	nodeType,
	{ parameters = {}, credentials, continueOnFail = false, staticData, typeVersion, asTool = false },
) {
	const { typeName, nodeTypes } = nodeTypesFor(nodeType);
	const node = {
		id: 'node-under-test',
		name: nodeType.description.defaults?.name || nodeType.description.displayName,
		// As an agent's tool the node is the variant n8n makes of it (`<name>Tool`).
		type: asTool ? `${typeName}Tool` : typeName,
		typeVersion:
			typeVersion ??
			(Array.isArray(nodeType.description.version)
				? Math.max(...nodeType.description.version)
				: nodeType.description.version),
		position: [0, 0],
		parameters: {},
		credentials: {},
	};
	if (continueOnFail) node.onError = 'continueRegularOutput';
	for (const type of Object.keys(credentials || {}))
		node.credentials[type] = { id: `cred-${type}`, name: type };
	node.parameters =
		NodeHelpers.getNodeParameters(
			nodeType.description.properties,
			parameters,
			true,
			false,
			node,
			nodeType.description,
		) || {};
	const workflow = new Workflow({
		id: 'harness-workflow',
		name: 'Harness workflow',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		staticData: staticData ? { [`node:${node.name}`]: staticData } : {},
		settings: { executionOrder: 'v1' },
	});
	const placed = workflow.getNode(node.name);
	// n8n 2.x's engine runs an agent's tool call as a node whose output goes back to the agent.
	if (asTool) placed.rewireOutputLogTo = 'ai_tool';
	return { workflow, node: placed };
}

/**
 * Runs an action node's `execute` in a real ExecuteContext. Returns `{ output, error }`; never throws.
 * `asTool`: as n8n 2.x's engine runs an AI agent's tool call, the tool's arguments as the one input item
 * (what `$fromAI()` reads).
 */
async function runNode(
	NodeClass,
	{
		parameters = {},
		credentials,
		items = [{ json: {} }],
		continueOnFail = false,
		typeVersion,
		asTool = false,
	} = {},
) {
	await ensureBinaryDataService();
	const nodeType = typeof NodeClass === 'function' ? new NodeClass() : NodeClass;
	const { workflow, node } = buildWorkflow(nodeType, {
		parameters,
		credentials,
		continueOnFail,
		typeVersion,
		asTool,
	});
	const additionalData = createAdditionalData(credentials);
	const runExecutionData = createRunExecutionData();
	const inputData = { main: [items] };
	const executeData = { node, data: inputData, source: { main: [{ previousNode: 'Input' }] } };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'manual',
		runExecutionData,
		0,
		items,
		inputData,
		executeData,
		[],
	);
	try {
		const output = await nodeType.execute.call(context);
		return { output, error: undefined, context };
	} catch (error) {
		return { output: undefined, error, context };
	}
}

/**
 * Runs a polling trigger's `poll` in a real PollContext. Pass the same `staticData` object to consecutive
 * calls to play consecutive polls of one active workflow. Returns `{ output, staticData, error }`.
 */
async function runPoll(
	TriggerClass,
	{
		parameters = {},
		credentials,
		staticData = {},
		mode = 'trigger',
		pollBudgetMs,
		typeVersion,
	} = {},
) {
	await ensureBinaryDataService();
	const nodeType = typeof TriggerClass === 'function' ? new TriggerClass() : TriggerClass;
	const { workflow, node } = buildWorkflow(nodeType, {
		parameters,
		credentials,
		staticData,
		typeVersion,
	});
	const additionalData = createAdditionalData(credentials);
	const activation = mode === 'manual' ? 'manual' : 'activate';
	const emitted = [];
	const context = new PollContext(
		workflow,
		node,
		additionalData,
		mode,
		activation,
		(data) => emitted.push(data),
		(error) => emitted.push(error),
		undefined,
		undefined,
		undefined,
		pollBudgetMs === undefined ? undefined : () => pollBudgetMs,
	);
	try {
		const output = await nodeType.poll.call(context);
		return { output, staticData: workflow.staticData[`node:${node.name}`], error: undefined };
	} catch (error) {
		return { output: undefined, staticData: workflow.staticData[`node:${node.name}`], error };
	}
}

/** Calls a `methods.loadOptions` method in a real LoadOptionsContext, as the editor's dropdowns do. */
async function runLoadOptions(NodeClass, methodName, { parameters = {}, credentials } = {}) {
	const nodeType = typeof NodeClass === 'function' ? new NodeClass() : NodeClass;
	const { workflow, node } = buildWorkflow(nodeType, { parameters, credentials });
	const additionalData = createAdditionalData(credentials);
	additionalData.currentNodeParameters = node.parameters;
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters');
	const method = nodeType.methods?.loadOptions?.[methodName];
	if (!method) throw new Error(`The node has no loadOptions method "${methodName}"`);
	return await method.call(context);
}

/**
 * Calls a `methods.listSearch` method (a resource locator's From List) in a real LoadOptionsContext, as the
 * editor does when the list opens or its search text changes. Returns `{ results, paginationToken }`.
 */
async function runListSearch(
	NodeClass,
	methodName,
	{ parameters = {}, credentials, filter, paginationToken } = {},
) {
	const nodeType = typeof NodeClass === 'function' ? new NodeClass() : NodeClass;
	const { workflow, node } = buildWorkflow(nodeType, { parameters, credentials });
	const additionalData = createAdditionalData(credentials);
	additionalData.currentNodeParameters = node.parameters;
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters');
	const method = nodeType.methods?.listSearch?.[methodName];
	if (!method) throw new Error(`The node has no listSearch method "${methodName}"`);
	return await method.call(context, filter, paginationToken);
}

/**
 * The package's node classes (package.json's n8n.nodes, from their TypeScript sources), loaded as
 * loadCredentialClasses loads the credentials.
 */
function loadNodeClasses() {
	const root = path.join(__dirname, '..', '..');
	const underJest = process.env.JEST_WORKER_ID !== undefined;
	const { n8n } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
	return n8n.nodes.flatMap((built) => {
		const source = path.join(root, built.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
		const moduleExports = underJest ? require(source) : requireBundled(source);
		return Object.values(moduleExports).filter((Exported) => typeof Exported === 'function');
	});
}

/**
 * The function a node names in `testedBy` for this credential, found as n8n's CredentialsTester finds it
 * when the credential has no declarative test.
 */
function nodeCredentialTest(credentialName) {
	for (const NodeClass of loadNodeClasses()) {
		const nodeType = new NodeClass();
		for (const { name, testedBy } of nodeType.description.credentials || []) {
			if (name === credentialName && typeof testedBy === 'string')
				return nodeType.methods.credentialTest[testedBy];
		}
	}
	throw new Error(`Neither credential ${credentialName} nor any node has a test for it`);
}

/**
 * Tests a credential the way n8n's CredentialsTester does. A declarative `test` runs as a temporary node
 * whose only property routes the test request, executed by n8n-core's RoutingNode with the credential's
 * authenticate, then the test's rules. Without one, the function a node names in `testedBy` runs in n8n-core's
 * CredentialTestContext with the credential's data (defaults filled in). Returns `{ status, message }`.
 */
async function testCredential(CredentialClass, data) {
	await ensureBinaryDataService();
	const credentialType =
		typeof CredentialClass === 'function' ? new CredentialClass() : CredentialClass;
	const credentialsDecrypted = {
		id: `cred-${credentialType.name}`,
		name: credentialType.name,
		type: credentialType.name,
		data: withCredentialDefaults(credentialType.name, data),
	};
	const testRequest = credentialType.test;
	if (!testRequest) {
		const test = nodeCredentialTest(credentialType.name);
		return await test.call(new CredentialTestContext(), credentialsDecrypted);
	}
	if (!testRequest.request)
		throw new Error(`Credential ${credentialType.name} has no test request`);
	const nodeType = {
		description: {
			displayName: 'Temp',
			name: 'credentialTest',
			group: ['transform'],
			version: 1,
			defaults: { name: 'Temp-Node' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: credentialType.name, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: testRequest.request },
					default: '',
				},
			],
		},
	};
	const credentials = { [credentialType.name]: data };
	const { workflow, node } = buildWorkflow(nodeType, { parameters: { temp: '' }, credentials });
	const additionalData = createAdditionalData(credentials);
	const runExecutionData = createRunExecutionData();
	const inputData = { main: [[{ json: {} }]] };
	const executeData = { node, data: inputData, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		runExecutionData,
		0,
		[],
		inputData,
		executeData,
		[],
	);
	let response;
	try {
		response = await new RoutingNode(context, nodeType, credentialsDecrypted).runNode();
	} catch (error) {
		const failedResponse = error.cause && error.cause.response;
		if (failedResponse) {
			const statusCode = failedResponse.status;
			for (const rule of testRequest.rules || []) {
				if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			if (statusCode < 199 || statusCode > 299) {
				return {
					status: 'Error',
					message: failedResponse.statusText || `Received HTTP status code: ${statusCode}`,
				};
			}
		} else if (error.cause && error.cause.code) {
			return { status: 'Error', message: error.cause.code };
		}
		return { status: 'Error', message: String(error.message) };
	}
	if (testRequest.rules && Array.isArray(response && response[0])) {
		const body = response[0][0] && response[0][0].json;
		for (const rule of testRequest.rules) {
			if (
				rule.type === 'responseSuccessBody' &&
				getPath(body, rule.properties.key) === rule.properties.value
			) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

function getPath(object, dottedKey) {
	return String(dottedKey)
		.split('.')
		.reduce(
			(value, key) => (value === undefined || value === null ? undefined : value[key]),
			object,
		);
}

/**
 * An item whose binary `data` lives in the filesystem binary data service (it has an `id`), as the output of
 * n8n's Read File or HTTP Request nodes does; `getBinaryStream` then streams it from disk.
 */
async function binaryItem(
	bufferOrFilePath,
	{ fileName, mimeType = 'application/octet-stream', json = {}, property = 'data' } = {},
) {
	const service = await ensureBinaryDataService();
	const location = {
		type: 'execution',
		workflowId: 'harness-workflow',
		executionId: `harness-${process.pid}`,
	};
	const name =
		fileName ||
		(typeof bufferOrFilePath === 'string' ? path.basename(bufferOrFilePath) : 'file.bin');
	const binaryData = { data: '', mimeType, fileName: name };
	const stored =
		typeof bufferOrFilePath === 'string'
			? await service.copyBinaryFile(location, binaryData, bufferOrFilePath)
			: await service.store(location, bufferOrFilePath, binaryData);
	return { json, binary: { [property]: stored } };
}

/** An item whose binary data is held inline as base64 (no `id`), as n8n's default in-memory mode produces. */
function inlineBinaryItem(
	buffer,
	{
		fileName = 'file.bin',
		mimeType = 'application/octet-stream',
		json = {},
		property = 'data',
	} = {},
) {
	return {
		json,
		binary: {
			[property]: {
				data: buffer.toString(BINARY_ENCODING),
				mimeType,
				fileName,
				fileSize: `${buffer.length} B`,
			},
		},
	};
}

/** Everything an error carries, as one string, so leak tests can search it for secrets. */
function serializeError(error) {
	const seen = new Set();
	const parts = [];
	const visit = (value, depth) => {
		if (value === null || value === undefined || depth > 6) return;
		if (typeof value !== 'object' && typeof value !== 'function') {
			parts.push(String(value));
			return;
		}
		if (seen.has(value)) return;
		seen.add(value);
		if (value instanceof Error) {
			parts.push(String(value.message), String(value.stack));
		}
		for (const key of Object.getOwnPropertyNames(value)) {
			let child;
			try {
				child = value[key];
			} catch {
				continue;
			}
			if (typeof child === 'function') continue;
			parts.push(key);
			visit(child, depth + 1);
		}
		if (typeof value.toJSON === 'function') {
			try {
				parts.push(JSON.stringify(value.toJSON()));
			} catch {
				// a toJSON that throws carries nothing more to search
			}
		}
	};
	visit(error, 0);
	return parts.join('\n');
}

/** The logger n8n-core's contexts write to (`this.logger` in a node), for tests that read what was logged. */
function n8nLogger() {
	return Container.get(Logger);
}

module.exports = {
	PACKAGE_NAME,
	n8nLogger,
	requireBundled,
	runNode,
	runPoll,
	runLoadOptions,
	runListSearch,
	testCredential,
	binaryItem,
	inlineBinaryItem,
	serializeError,
	ensureBinaryDataService,
};
