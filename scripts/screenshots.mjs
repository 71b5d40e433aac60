#!/usr/bin/env node
/**
 * Captures the README's screenshots from the real n8n editor: the example workflows on the canvas, each node's
 * panel, and executions' output. Not part of `npm test`: it needs Debian's Chromium (`apt-get install chromium`)
 * and drives it with playwright-core (never a downloaded browser).
 *
 *   node scripts/screenshots.mjs              # builds the package, writes docs/screenshots/*.png
 *   node scripts/screenshots.mjs --no-build   # packs the existing dist/ as it is
 *   node scripts/screenshots.mjs --only panel-,actions   # only some groups of screenshots (name prefixes)
 *
 * Everything runs isolated, on random ports: a fresh n8n user folder with the packed package installed as a
 * community package, the sandboxes of both APIs and the mail sink, the demo credentials and the examples.
 * All of it is stopped and removed at the end, also after a failure.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureN8n } from './install-n8n.mjs';

const require = createRequire(import.meta.url);
const instance = require('./lib/n8n-instance.cjs');
const { CREDENTIAL_IDS, demoCredentials, exampleWorkflows } = require('./lib/demo.cjs');

export const outputFolder = path.join(instance.repoRoot, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const VIEWPORT = { width: 1440, height: 900 };
const OWNER = {
	email: 'screenshots@example.com',
	password: 'Screenshots-password-1',
	firstName: 'Demo',
	lastName: 'User',
};

const say = (message) => console.log(`screenshots: ${message}`);

/** The id of the workflow imported only for the pictures of London Datastore 1.1 (not an example). */
const EDITOR_WORKFLOW_ID = 'pdsScreensDatastore11';

/**
 * London Datastore 1.1 as a user sets it up in the editor, for the pictures the examples (version 1 nodes)
 * do not give: the resource locators (from the list, by the dataset page's address), Get Many's Filters
 * and Simplify. The locators hold what the editor stores when a list entry is picked.
 */
function datastoreWorkflow({ datastoreUrl, fertility }) {
	const credentials = {
		londonDatastoreApi: {
			id: CREDENTIAL_IDS.londonDatastoreApi,
			name: 'London Datastore API (sandbox)',
		},
	};
	const node = (name, position, parameters) => ({
		id: `screens-${position[1]}`,
		name,
		type: `${instance.PACKAGE_NAME}.londonDatastore`,
		typeVersion: 1.1,
		position,
		parameters,
		credentials,
	});
	const nodes = [
		{
			id: 'screens-start',
			name: 'Run now',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 160],
			parameters: {},
		},
		node('Planning datasets', [260, 0], {
			resource: 'dataset',
			operation: 'getAll',
			returnAll: true,
			filters: {
				team: { __rl: true, mode: 'list', value: 'p9lan', cachedResultName: 'GLA Planning' },
				search: 'planning',
			},
		}),
		node('Fertility rates', [260, 160], {
			resource: 'dataset',
			operation: 'get',
			datasetId: {
				__rl: true,
				mode: 'list',
				value: fertility.id,
				cachedResultName: fertility.title,
				cachedResultUrl: `${datastoreUrl}${fertility.canonical}`,
			},
		}),
		node('Download the rates', [260, 320], {
			resource: 'file',
			operation: 'download',
			datasetId: { __rl: true, mode: 'url', value: `${datastoreUrl}${fertility.canonical}` },
			resourceId: {
				__rl: true,
				mode: 'list',
				value: '4nz',
				cachedResultName: fertility.resources['4nz'].title,
			},
			binaryPropertyName: 'data',
		}),
	];
	return {
		id: EDITOR_WORKFLOW_ID,
		name: 'London Datastore 1.1 (screenshots)',
		active: false,
		nodes,
		connections: {
			'Run now': {
				main: [nodes.slice(1).map((target) => ({ node: target.name, type: 'main', index: 0 }))],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

/**
 * Starts the sandboxes and an n8n with the package, credentials and examples, with an owner account.
 * Returns `{ url, workflows, stop() }`; `stop()` undoes everything, whatever step failed.
 */
export async function startEnvironment({ build = true } = {}) {
	const cleanups = [];
	const stop = async () => {
		// Each cleanup runs once, newest first, even if stop() is called again.
		while (cleanups.length) {
			const cleanup = cleanups.pop();
			try {
				await cleanup();
			} catch (error) {
				say(`cleanup: ${error.message}`);
			}
		}
	};
	try {
		const installed = ensureN8n({ line: '2' });
		say(build ? 'building and packing the package' : 'packing the package');
		const tarball = instance.packPackage({ build });
		cleanups.push(() => fs.rmSync(path.dirname(tarball), { recursive: true, force: true }));
		const userFolder = instance.createUserFolder({ tarball });
		cleanups.push(() => fs.rmSync(userFolder, { recursive: true, force: true }));
		const filesFolder = path.join(userFolder, 'files');
		fs.mkdirSync(filesFolder, { recursive: true });

		const { startPlanningSandbox } = require('../sandbox/planning');
		const { startDatastoreSandboxes } = require('../sandbox/datapress');
		const { startMailSink } = require('../sandbox/mail');
		const { startModelSandbox } = require('../sandbox/model');
		const { DEMO_SCRIPTS } = require('../sandbox/model/demoScripts');
		// The examples' date filters use n8n's $now, so the Planning sandbox runs on the real clock too.
		const planning = await startPlanningSandbox({ port: 0, now: new Date().toISOString() });
		cleanups.push(() => planning.close());
		const datastore = await startDatastoreSandboxes({ port: 0, storagePort: 0 });
		cleanups.push(() => datastore.close());
		const mailbox = await startMailSink();
		cleanups.push(() => mailbox.close());
		const model = await startModelSandbox({ scripts: DEMO_SCRIPTS });
		cleanups.push(() => model.close());

		say('importing credentials and the example workflows');
		const credentials = demoCredentials({
			planningUrl: planning.url,
			datapressUrl: datastore.url,
			smtpHost: mailbox.smtpHost,
			smtpPort: mailbox.smtpPort,
			modelUrl: model.url,
		});
		const workflows = exampleWorkflows();
		const extra = datastoreWorkflow({
			datastoreUrl: datastore.url,
			fertility: await datastore.control.dataset('vd4q4'),
		});
		// The import files go into the user folder, so they are removed with it.
		for (const [kind, data] of [
			['credentials', credentials],
			['workflow', [...workflows.map(({ workflow }) => workflow), extra]],
		]) {
			const file = path.join(userFolder, `import-${kind}.json`);
			fs.writeFileSync(file, JSON.stringify(data));
			await instance.runCli({ installed, userFolder, args: [`import:${kind}`, `--input=${file}`] });
		}

		say('starting n8n');
		const server = await instance.startServer({
			installed,
			userFolder,
			extraEnv: { N8N_RESTRICT_FILE_ACCESS_TO: filesFolder },
		});
		cleanups.push(() => server.stop());
		const answer = await fetch(`${server.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!answer.ok)
			throw new Error(`owner setup answered ${answer.status}: ${await answer.text()}`);
		return { url: server.url, workflows, planning, datastore, mailbox, model, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}

/** A Chromium page logged in to the editor (the login cookie is shared by the context's request API). */
export async function openEditor(url) {
	const { chromium } = require('playwright-core');
	if (!fs.existsSync(CHROMIUM))
		throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
	// launch() gives the browser a new, empty profile folder of its own and removes it on close.
	// Playwright's own signal handlers would exit the process before n8n and the sandboxes are stopped.
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: CHROMIUM_ARGS,
		handleSIGINT: false,
		handleSIGTERM: false,
		handleSIGHUP: false,
	});
	try {
		const context = await browser.newContext({
			viewport: VIEWPORT,
			deviceScaleFactor: 1,
			locale: 'en-GB',
			timezoneId: 'UTC',
		});
		const login = await context.request.post(`${url}/rest/login`, {
			data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password },
		});
		if (!login.ok()) throw new Error(`login answered ${login.status()}: ${await login.text()}`);
		const page = await context.newPage();
		page.setDefaultTimeout(30_000);
		return { browser, context, page };
	} catch (error) {
		await browser.close();
		throw error;
	}
}

async function main() {
	const build = !process.argv.includes('--no-build');
	fs.mkdirSync(outputFolder, { recursive: true });
	const environment = await startEnvironment({ build });
	let browser;
	// Ctrl-C skips `finally`; stop n8n and the sandboxes and remove the user folder all the same.
	const interrupted = async () => {
		say('interrupted; stopping');
		if (browser) await browser.close().catch(() => {});
		await environment.stop();
		process.exit(130);
	};
	process.once('SIGINT', interrupted);
	process.once('SIGTERM', interrupted);
	try {
		const editor = await openEditor(environment.url);
		browser = editor.browser;
		const onlyIndex = process.argv.indexOf('--only');
		const only = onlyIndex > 0 ? process.argv[onlyIndex + 1].split(',') : undefined;
		const { written, failed } = await captureAll(editor.page, environment, { only });
		say(`wrote ${written.length} file(s):`);
		for (const file of written) console.log(`  ${path.relative(instance.repoRoot, file)}`);
		if (failed.length) {
			say(
				`failed: ${failed.join(', ')} (what the page showed: ${path.join(os.tmpdir(), 'screenshots-failed-<name>.png')})`,
			);
			process.exitCode = 1;
		}
	} finally {
		process.removeListener('SIGINT', interrupted);
		process.removeListener('SIGTERM', interrupted);
		if (browser) await browser.close();
		await environment.stop();
	}
}

/** File names for the examples: `example-<name in kebab case>.png`. */
function slug(text) {
	return text
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '');
}

/** Closes whatever n8n pops up over the editor (what's new, surveys, toasts), so it stays out of the picture. */
async function dismissPopups(page) {
	for (const selector of [
		'[data-test-id="dialog-close-button"]',
		'.el-dialog__headerbtn',
		'.el-drawer__close-btn',
		'.el-notification__closeBtn',
	]) {
		for (const button of await page.locator(selector).all()) {
			if (await button.isVisible()) await button.click({ timeout: 2_000 }).catch(() => {});
		}
	}
}

async function openWorkflow(page, url, id) {
	await page.setViewportSize(VIEWPORT);
	await page.goto(`${url}/workflow/${id}`);
	await page.locator('[data-test-id="canvas-node"]').first().waitFor();
	await page.waitForLoadState('networkidle');
	await dismissPopups(page);
	await page.locator('[data-test-id="zoom-to-fit"]').click();
	// The canvas animates the zoom; keep the pointer off the nodes so no hover toolbar shows.
	await page.mouse.move(VIEWPORT.width - 20, VIEWPORT.height / 2);
	await page.waitForTimeout(800);
}

function canvasNode(page, name) {
	return page.locator(
		`[data-test-id="canvas-node"][data-node-name="${name.replace(/"/g, '\\"')}"]`,
	);
}

/**
 * Opens a node's panel (NDV) by double-clicking it on the canvas, then makes the window tall enough to show
 * all its parameters without scrolling (up to `maxHeight`).
 */
async function openNodePanel(page, name, { maxHeight = 2000 } = {}) {
	await canvasNode(page, name).dblclick();
	const panel = page.locator('[data-test-id="ndv"]');
	await panel.waitFor();
	await panel.locator('[data-test-id="node-parameters"]').waitFor();
	// Remote options (authorities, teams, files) load from the sandboxes after the panel opens.
	await page.waitForLoadState('networkidle');
	await page.waitForTimeout(1_000);
	await fitPanelHeight(page, maxHeight);
	return panel;
}

/** Grows the window by what the parameter list scrolls, so one picture shows every parameter. */
async function fitPanelHeight(page, maxHeight = 2000) {
	const hidden = await page.locator('[data-test-id="node-parameters"]').evaluate((element) => {
		for (let node = element; node; node = node.parentElement) {
			const overflow = getComputedStyle(node).overflowY;
			if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) {
				return node.scrollHeight - node.clientHeight;
			}
		}
		return 0;
	});
	const current = page.viewportSize();
	const height = Math.min(maxHeight, current.height + hidden + 24);
	if (height !== current.height) {
		await page.setViewportSize({ width: current.width, height });
		await page.waitForTimeout(500);
	}
	await page.mouse.move(current.width / 2, 40);
}

/** Picks an option of an `options` parameter in the open panel, by its display name. */
async function chooseOption(page, parameterName, optionName) {
	await page
		.locator(`[data-test-id="ndv"] [data-test-id="parameter-input-${parameterName}"]`)
		.click();
	await page.locator('.el-select-dropdown__item:visible', { hasText: optionName }).first().click();
	await page.waitForTimeout(500);
}

/** Drags the panel's parameter column to the left, giving the output more room (the editor remembers it). */
async function widenOutput(page) {
	const handle = page.locator('[data-test-id="ndv"] [data-test-id="panel-drag-button"]');
	const box = await handle.boundingBox();
	if (!box || box.x < VIEWPORT.width * 0.4) return;
	const y = box.y + box.height / 2;
	await page.mouse.move(box.x + box.width / 2, y);
	await page.mouse.down();
	await page.mouse.move(box.x - 250, y, { steps: 10 });
	await page.mouse.up();
	await page.waitForTimeout(500);
}

/** Switches the output panel to Schema, Table or JSON and moves the pointer where it shows no tooltip. */
async function showOutputAs(page, mode) {
	await page
		.locator('[data-test-id="output-panel"] [data-test-id="ndv-run-data-display-mode"]')
		.getByText(mode, { exact: true })
		.click();
	await page.mouse.move(page.viewportSize().width / 2, 20);
	await page.waitForTimeout(800);
}

async function closeNodePanel(page) {
	await page.locator('[data-test-id="ndv-close-button"]').click();
	await page.locator('[data-test-id="ndv"]').waitFor({ state: 'hidden' });
	await page.setViewportSize(VIEWPORT);
}

/** Opens the node creator, searches for a node and shows its list of actions. */
async function showNodeActions(page, displayName) {
	await page.locator('[data-test-id="node-creator-plus-button"]').click();
	await page.locator('[data-test-id="node-creator"]').waitFor();
	await page.locator('[data-test-id="node-creator-search-bar"]').fill(displayName);
	await page
		.locator('[data-test-id="node-creator-item-name"]', { hasText: new RegExp(`^${displayName}$`) })
		.first()
		.click();
	await page
		.getByText(/actions/i)
		.first()
		.waitFor();
	// A node with a trigger lists it in a section that opens on a click ("On new ... event").
	const triggers = page.locator('[data-test-id="node-creator"]').getByText(/^Triggers \(\d+\)/);
	if (await triggers.count()) {
		const triggerItem = page.locator('[data-test-id="node-creator"]').getByText(/^On new /);
		for (let attempt = 0; attempt < 2 && !(await triggerItem.first().isVisible()); attempt++) {
			await triggers.first().click();
			await page.waitForTimeout(500);
		}
	}
	await page.mouse.move(VIEWPORT.width / 2, 20);
	await page.waitForTimeout(500);
}

/**
 * Takes every screenshot; `only` (a list of name prefixes) limits it to some, which helps when adjusting one.
 * Returns `{ written, failed }`: the files written and the names of the groups of screenshots that failed.
 */
export async function captureAll(page, environment, { only } = {}) {
	const written = [];
	const failed = [];
	const wanted = (name) =>
		!only || only.some((prefix) => name.startsWith(prefix) || prefix.startsWith(name));
	// One failing picture (a changed selector, say) must not cost the others; failures are listed at the end.
	const section = async (name, capture) => {
		if (!wanted(name)) return;
		try {
			await capture();
		} catch (error) {
			failed.push(name);
			say(`FAILED ${name}: ${error.message.split('\n')[0]}`);
			await page
				.screenshot({ path: path.join(os.tmpdir(), `screenshots-failed-${name}.png`) })
				.catch(() => {});
		}
	};
	const shoot = async (name, description) => {
		// "Node executed successfully" and other toasts would cover the output.
		for (const close of await page.locator('.el-notification__closeBtn').all())
			if (await close.isVisible()) await close.click({ timeout: 2_000 }).catch(() => {});
		await page
			.locator('.el-notification')
			.first()
			.waitFor({ state: 'hidden', timeout: 5_000 })
			.catch(() => {});
		const file = path.join(outputFolder, `${name}.png`);
		await page.screenshot({ path: file });
		written.push(file);
		say(`${name}.png: ${description}`);
	};
	const { url } = environment;
	const example = (fileStart) => {
		const found = environment.workflows.find(({ file }) => file.startsWith(fileStart));
		if (!found) throw new Error(`no example file starts with ${fileStart}`);
		return found.workflow;
	};

	for (const { file, workflow } of environment.workflows) {
		const name = `example-${slug(file.replace(/\.json$/, '').replace(/^\d+-/, ''))}`;
		await section(name, async () => {
			await openWorkflow(page, url, workflow.id);
			await shoot(name, `"${workflow.name}" on the canvas`);
		});
	}

	await section('actions', async () => {
		await openWorkflow(page, url, example('4-').id);
		await showNodeActions(page, 'UK Planning');
		await shoot(
			'actions-uk-planning',
			'the node creator listing the UK Planning actions and trigger',
		);
		await openWorkflow(page, url, example('4-').id);
		await showNodeActions(page, 'London Datastore');
		await shoot(
			'actions-london-datastore',
			'the node creator listing the London Datastore actions',
		);
	});

	await section('panel-uk-planning-search', async () => {
		await openWorkflow(page, url, example('2-').id);
		await openNodePanel(page, "Last month's applications");
		await shoot(
			'panel-uk-planning-search',
			'UK Planning, Application → Search: authorities, dates, filters, credit guard',
		);
		await closeNodePanel(page);
	});

	await section('panel-london-datastore', async () => {
		await openWorkflow(page, url, example('2-').id);
		await openNodePanel(page, 'Replace the CSV');
		await shoot(
			'panel-london-datastore-file-upload',
			'London Datastore, File → Upload (replace, skip if unchanged) with its options',
		);
		await closeNodePanel(page);
		await openNodePanel(page, 'Describe the extract');
		// Chosen explicitly so the picture shows the Set Fields form whatever the example stores.
		await chooseOption(page, 'updateMode', 'Set Fields');
		await fitPanelHeight(page);
		await shoot(
			'panel-london-datastore-dataset-update',
			'London Datastore, Dataset → Update with Set Fields',
		);
		await closeNodePanel(page);
	});

	await section('panel-london-datastore-locators', async () => {
		await openWorkflow(page, url, EDITOR_WORKFLOW_ID);
		await openNodePanel(page, 'Download the rates');
		await shoot(
			'panel-london-datastore-file-download',
			"London Datastore 1.1, File → Download: the dataset by its page's address, the file from the list",
		);
		await closeNodePanel(page);
		await openNodePanel(page, 'Fertility rates');
		await page
			.locator(
				'[data-test-id="ndv"] [data-test-id="resource-locator-datasetId"] [data-test-id="rlc-input"]',
			)
			.click();
		// The list comes from the sandbox's dataset export: wait for an entry other than the chosen one.
		await page.getByText('Borough population estimates', { exact: true }).first().waitFor();
		await page.waitForTimeout(800);
		await shoot(
			'panel-london-datastore-dataset-list',
			'London Datastore 1.1, Dataset → Get: the Dataset field From List, searchable, listing the datasets the key may read',
		);
		await page.keyboard.press('Escape');
		await closeNodePanel(page);
	});

	await section('panel-london-datastore-get-many', async () => {
		await openWorkflow(page, url, EDITOR_WORKFLOW_ID);
		await page.setViewportSize({ width: VIEWPORT.width, height: 1000 });
		await openNodePanel(page, 'Planning datasets', { maxHeight: 1000 });
		await page.locator('[data-test-id="ndv"] [data-test-id="node-execute-button"]').first().click();
		await page
			.locator('[data-test-id="output-panel"] [data-test-id="ndv-items-count"]')
			.waitFor({ timeout: 120_000 });
		await showOutputAs(page, 'Table');
		await shoot(
			'panel-london-datastore-get-many',
			"London Datastore 1.1, Dataset → Get Many: Filters (team from the list, search) and Simplify's output",
		);
		await closeNodePanel(page);
	});

	const triggerName = () => {
		const trigger = example('1-').nodes.find((node) => node.type.endsWith('.ukPlanningTrigger'));
		if (!trigger) throw new Error('example 1 has no UK Planning Trigger node');
		return trigger.name;
	};
	await section('panel-uk-planning-trigger', async () => {
		await openWorkflow(page, url, example('1-').id);
		await openNodePanel(page, triggerName());
		await shoot(
			'panel-uk-planning-trigger',
			'UK Planning Trigger: poll times, postcode and radius, look-back, credit cap',
		);
		await closeNodePanel(page);
	});

	await section('output-uk-planning-trigger', async () => {
		await openWorkflow(page, url, example('1-').id);
		await page.setViewportSize({ width: VIEWPORT.width, height: 1000 });
		await openNodePanel(page, triggerName(), { maxHeight: 1000 });
		await page.locator('[data-test-id="ndv"] [data-test-id="node-execute-button"]').first().click();
		await page
			.locator('[data-test-id="output-panel"] [data-test-id="ndv-items-count"]')
			.waitFor({ timeout: 120_000 });
		await widenOutput(page);
		await showOutputAs(page, 'JSON');
		await shoot(
			'output-uk-planning-trigger',
			'the trigger\'s "Fetch Test Event": the newest application near GU16 7HF, as JSON',
		);
		await closeNodePanel(page);
	});

	// Last: widening the output panel is remembered by the editor for the panels opened after it.
	await section('execution-count-before-you-pay', async () => {
		await openWorkflow(page, url, example('4-').id);
		await page.locator('[data-test-id="execute-workflow-button"]').click();
		const outcome = page.getByText(/Workflow executed successfully|Problem in node/).first();
		await outcome.waitFor({ timeout: 120_000 });
		const message = await outcome.innerText();
		if (!/successfully/.test(message)) throw new Error(`the run failed: ${message}`);
		await page.mouse.move(VIEWPORT.width - 20, VIEWPORT.height / 2);
		await page.waitForTimeout(1_000);
		await shoot(
			'execution-count-before-you-pay',
			'"Count before you pay" after "Execute workflow": item counts on every connection',
		);

		await page.setViewportSize({ width: VIEWPORT.width, height: 1000 });
		await openNodePanel(page, 'Count (free)', { maxHeight: 1000 });
		await widenOutput(page);
		await showOutputAs(page, 'JSON');
		await shoot(
			'execution-count-output',
			"the Count step's output: matches, credits left, cost of fetching them",
		);
		await closeNodePanel(page);

		await page.setViewportSize({ width: VIEWPORT.width, height: 1000 });
		await openNodePanel(page, 'Fetch applications', { maxHeight: 1000 });
		await showOutputAs(page, 'Table');
		await shoot(
			'execution-fetch-applications-output',
			"the Search step's output: one item per application, as a table",
		);
		await closeNodePanel(page);
	});

	await section('chat-ask-about-planning-applications', async () => {
		const workflow = example('5-');
		await openWorkflow(page, url, workflow.id);
		await page.locator('[data-test-id="workflow-chat-button"]').click();
		const chat = page.locator('[data-test-id="canvas-chat"]');
		const input = chat.locator('textarea').first();
		await input.fill('Which planning applications for extension near GU16?');
		await input.press('Enter');
		// The sandbox model's answer quotes the search tool's summary.
		await chat
			.getByText('Here is what the Planning API search returned')
			.waitFor({ timeout: 120_000 });
		await dismissPopups(page);
		// Tall enough for the question and the answer in the chat pane, the question in view.
		await page.setViewportSize({ width: VIEWPORT.width, height: 1400 });
		await chat
			.getByText('Which planning applications for extension near GU16?')
			.scrollIntoViewIfNeeded();
		// The editor may show "Offline" for a moment while its push connection settles.
		await page
			.getByText('Offline', { exact: true })
			.waitFor({ state: 'hidden', timeout: 15_000 })
			.catch(() => {});
		await shoot(
			'chat-ask-about-planning-applications',
			'"Ask about planning applications": a question in n8n\'s chat, the agent\'s answer from the search tool',
		);
	});

	return { written, failed };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
	main().catch((error) => {
		console.error(`screenshots: ${error.stack || error.message}`);
		process.exitCode = 1;
	});
}
