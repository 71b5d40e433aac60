/**
 * n8n in queue mode on loopback: PostgreSQL and Redis from Debian's packages, each with its own data
 * directory under the run's folder and a free port, one `n8n start` main and two `n8n worker` processes of
 * the same n8n, each with its own user folder holding the packed package as a community package (as on
 * separate machines). Used by `npm start -- --queue`, the queue-mode end-to-end tests and the queue
 * benchmark. Everything started here is stopped by its process id: by `stop()`, and on exit as a last resort.
 */
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const instance = require('./n8n-instance.cjs');

const DB_NAME = 'n8n';
const DB_USER = 'n8n';

/** Every child still running, by pid: killed on exit if `stop()` never ran (a crash, an uncaught error). */
const running = new Map();
let exitHookInstalled = false;
function track(child, lastResortSignal) {
	running.set(child.pid, lastResortSignal);
	child.once('close', () => running.delete(child.pid));
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		const killAll = () => {
			for (const [pid, signal] of running) {
				try {
					process.kill(pid, signal);
				} catch {
					// already gone
				}
			}
		};
		process.once('exit', killAll);
		// A signal ends Node without 'exit' unless someone listens; when only we listen (a script without its
		// own handler), end the children, then exit as the signal would have.
		for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
			process.on(signal, () => {
				if (process.listenerCount(signal) > 1) return;
				killAll();
				process.exit(128 + require('node:os').constants.signals[signal]);
			});
		}
	}
}

function findPostgresBin() {
	const root = '/usr/lib/postgresql';
	if (!fs.existsSync(root)) return null;
	const versions = fs
		.readdirSync(root)
		.filter((version) => fs.existsSync(path.join(root, version, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(root, versions[0], 'bin') : null;
}

function findRedisServer() {
	for (const folder of (process.env.PATH || '')
		.split(path.delimiter)
		.concat(['/usr/bin', '/usr/sbin'])) {
		const candidate = path.join(folder, 'redis-server');
		if (folder && fs.existsSync(candidate)) return candidate;
	}
	return null;
}

/**
 * Finds PostgreSQL and Redis; installs them with apt-get when missing and we are root on Debian (CI's fresh
 * machine), otherwise says exactly what to install.
 */
function ensureServices({ say = () => {} } = {}) {
	let pgBin = findPostgresBin();
	let redisServer = findRedisServer();
	const missing = [];
	if (!pgBin) missing.push('postgresql');
	if (!redisServer) missing.push('redis-server');
	if (missing.length) {
		const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
		if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
			throw new Error(
				`queue mode needs ${missing.join(' and ')}: install with \`sudo apt-get install -y ${missing.join(' ')}\` (Debian/Ubuntu) and run again`,
			);
		}
		say(`installing ${missing.join(' and ')} from Debian's packages (apt-get, about a minute)`);
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		execFileSync('apt-get', ['update'], { stdio: ['ignore', 2, 2], env });
		execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
			stdio: ['ignore', 2, 2],
			env,
		});
		pgBin = findPostgresBin();
		redisServer = findRedisServer();
		if (!pgBin || !redisServer)
			throw new Error(
				`apt-get installed ${missing.join(', ')} but ${!pgBin ? 'initdb' : 'redis-server'} is still missing`,
			);
	}
	return { pgBin, redisServer, versions: serviceVersions({ pgBin, redisServer }) };
}

function serviceVersions({ pgBin, redisServer }) {
	return {
		postgres: execFileSync(path.join(pgBin, 'postgres'), ['--version'], {
			encoding: 'utf8',
		}).trim(),
		redis: execFileSync(redisServer, ['--version'], { encoding: 'utf8' }).trim().split(' sha=')[0],
	};
}

/** PostgreSQL refuses to run as root: as root, its files and process belong to the `postgres` user. */
function postgresUser() {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
	const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
	return { uid, gid };
}

function waitForLine(child, pattern, what) {
	let log = '';
	return new Promise((resolve, reject) => {
		const onData = (chunk) => {
			log += chunk;
			if (pattern.test(log)) resolve(() => log);
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.once('close', (code) =>
			reject(new Error(`${what} exited ${code} before it was ready:\n${log}`)),
		);
	});
}

function stopper(child, signal) {
	const exited = new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve();
		else child.once('close', resolve);
	});
	return async () => {
		if (child.exitCode === null && child.signalCode === null) child.kill(signal);
		await exited;
	};
}

/** A PostgreSQL server on a free loopback port with its data under `folder` (initialised once). */
async function startPostgres({ pgBin, folder }) {
	const owner = postgresUser();
	const dataDir = path.join(folder, 'data');
	fs.mkdirSync(folder, { recursive: true });
	if (owner.uid !== undefined) {
		// The postgres user must pass through the run's folders (a mkdtemp folder is 0700): traverse only.
		for (let dir = path.dirname(folder); dir !== path.dirname(dir); dir = path.dirname(dir)) {
			const mode = fs.statSync(dir).mode & 0o7777;
			if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
		}
		fs.chownSync(folder, owner.uid, owner.gid);
	}
	if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
		execFileSync(
			path.join(pgBin, 'initdb'),
			['-D', dataDir, '-U', DB_USER, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
			{ stdio: ['ignore', 'ignore', 'pipe'], cwd: folder, ...owner },
		);
	}
	const port = await instance.freePort();
	const child = spawn(
		path.join(pgBin, 'postgres'),
		[
			'-D',
			dataDir,
			'-p',
			String(port),
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			'unix_socket_directories=',
			'-c',
			'max_connections=200',
		],
		{ stdio: ['ignore', 'pipe', 'pipe'], cwd: folder, ...owner },
	);
	// SIGQUIT (immediate shutdown) as a last resort also ends the server's own children.
	track(child, 'SIGQUIT');
	const stop = stopper(child, 'SIGINT');
	try {
		await waitForLine(child, /database system is ready to accept connections/, 'postgres');
		const psql = (sql) =>
			execFileSync(
				path.join(pgBin, 'psql'),
				['-h', '127.0.0.1', '-p', String(port), '-U', DB_USER, '-d', 'postgres', '-tAc', sql],
				{
					encoding: 'utf8',
					cwd: folder,
				},
			).trim();
		if (psql(`SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'`) !== '1')
			psql(`CREATE DATABASE ${DB_NAME}`);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		port,
		pid: child.pid,
		process: child,
		/** Runs one SQL statement against n8n's database; returns psql's unaligned rows. */
		query(sql) {
			return execFileSync(
				path.join(pgBin, 'psql'),
				['-h', '127.0.0.1', '-p', String(port), '-U', DB_USER, '-d', DB_NAME, '-tAc', sql],
				{
					encoding: 'utf8',
					cwd: folder,
					maxBuffer: 256 * 1024 * 1024,
				},
			).trim();
		},
		stop,
	};
}

/** A Redis server on a free loopback port, its working directory under `folder`, nothing saved to disk. */
async function startRedis({ redisServer, folder }) {
	fs.mkdirSync(folder, { recursive: true });
	const port = await instance.freePort();
	const child = spawn(
		redisServer,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			folder,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
		],
		{ stdio: ['ignore', 'pipe', 'pipe'], cwd: folder },
	);
	track(child, 'SIGKILL');
	const stop = stopper(child, 'SIGTERM');
	try {
		await waitForLine(child, /Ready to accept connections/, 'redis-server');
	} catch (error) {
		await stop();
		throw error;
	}
	return { port, pid: child.pid, process: child, stop };
}

/** The settings every n8n process of the cluster shares (the CLI's imports included). */
function queueEnvironment({ postgresPort, redisPort, extraEnv = {} }) {
	return {
		EXECUTIONS_MODE: 'queue',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(postgresPort),
		DB_POSTGRESDB_DATABASE: DB_NAME,
		DB_POSTGRESDB_USER: DB_USER,
		DB_POSTGRESDB_PASSWORD: '',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redisPort),
		// Runs from the editor (and the tests' REST runs) go to the workers as well, not only triggered ones.
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// Each finished node is saved as the execution goes: an execution whose worker died can then be retried
		// from the node that was running (without it n8n refuses: "aborted before starting").
		EXECUTIONS_DATA_SAVE_ON_PROGRESS: 'true',
		// n8n's own default for queue mode (the single-process setup pins filesystem); see README, Scaling out.
		N8N_DEFAULT_BINARY_DATA_MODE: null,
		...extraEnv,
	};
}

/**
 * Brings up the whole cluster under `folder`. Returns `{ env, main, workers, postgres, redis, cli(),
 * importJson(), startMain(), stop() }`; `env` is what n8n CLI commands against the cluster need.
 */
async function startQueueCluster({
	installed,
	tarball,
	folder,
	extraEnv = {},
	mainPort,
	workers = 2,
	concurrency = 10,
	say = () => {},
	onLine,
}) {
	const services = ensureServices({ say });
	fs.mkdirSync(folder, { recursive: true });
	const stops = [];
	const cluster = {
		services,
		folder,
		workers: [],
		async stop() {
			while (stops.length) {
				try {
					await stops.pop()();
				} catch {
					// keep stopping the rest
				}
			}
		},
	};
	try {
		say(
			`starting PostgreSQL (${services.versions.postgres}) and Redis (${services.versions.redis})`,
		);
		cluster.postgres = await startPostgres({
			pgBin: services.pgBin,
			folder: path.join(folder, 'postgres'),
		});
		stops.push(() => cluster.postgres.stop());
		cluster.redis = await startRedis({
			redisServer: services.redisServer,
			folder: path.join(folder, 'redis'),
		});
		stops.push(() => cluster.redis.stop());
		cluster.env = queueEnvironment({
			postgresPort: cluster.postgres.port,
			redisPort: cluster.redis.port,
			extraEnv,
		});

		const userFolders = { main: path.join(folder, 'main') };
		for (let index = 1; index <= workers; index++)
			userFolders[`worker${index}`] = path.join(folder, `worker${index}`);
		for (const userFolder of Object.values(userFolders)) {
			fs.mkdirSync(userFolder, { recursive: true });
			instance.createUserFolder({ tarball, folder: userFolder });
		}
		cluster.userFolders = userFolders;
		cluster.cli = (args) =>
			instance.runCli({ installed, userFolder: userFolders.main, args, extraEnv: cluster.env });
		cluster.importJson = (kind, data) =>
			instance.importJson({
				installed,
				userFolder: userFolders.main,
				kind,
				data,
				extraEnv: cluster.env,
			});

		let mainStop = null;
		cluster.startMain = async () => {
			say('starting the n8n main (n8n start)');
			cluster.main = await instance.startServer({
				installed,
				userFolder: userFolders.main,
				port: mainPort,
				extraEnv: cluster.env,
				onLine: onLine && ((line) => onLine('main', line)),
			});
			track(cluster.main.process, 'SIGKILL');
			if (!mainStop) {
				mainStop = () => (cluster.main ? cluster.main.stop() : undefined);
				stops.push(() => mainStop());
			}
			return cluster.main;
		};
		// The first main start creates the schema; workers need it to exist.
		await cluster.startMain();
		let workersStop = null;
		/** Starts (or starts again, after a kill) the worker of that name. */
		cluster.startWorker = async (name) => {
			say(`starting ${name} (n8n worker)`);
			const worker = await instance.startProcess({
				installed,
				userFolder: userFolders[name],
				command: 'worker',
				args: [`--concurrency=${concurrency}`],
				readyPattern: /n8n worker is now ready/,
				extraEnv: cluster.env,
				onLine: onLine && ((line) => onLine(name, line)),
			});
			worker.name = name;
			track(worker.process, 'SIGKILL');
			const index = cluster.workers.findIndex((candidate) => candidate.name === name);
			if (index === -1) cluster.workers.push(worker);
			else {
				// Keep the dead process's log: it tells which executions it had started.
				worker.previousOutput = cluster.workers[index].output();
				cluster.workers[index] = worker;
			}
			if (!workersStop) {
				workersStop = () =>
					Promise.allSettled(cluster.workers.map((candidate) => candidate.stop()));
				stops.push(() => workersStop());
			}
			return worker;
		};
		for (let index = 1; index <= workers; index++) await cluster.startWorker(`worker${index}`);
		return cluster;
	} catch (error) {
		await cluster.stop();
		throw error;
	}
}

const OWNER = {
	email: 'demo@example.com',
	password: 'Demo-password-1',
	firstName: 'Demo',
	lastName: 'User',
};
// n8n binds its session to the browser id it was issued with; one constant id for every request.
const BROWSER_ID = 'pds-queue-client';

/**
 * The main's REST API as the editor uses it: the owner account (created on first use), manual runs, which
 * queue mode sends to the workers (OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS), and executions read back.
 */
function restClient({ url, installed, owner = OWNER }) {
	// Execution data is stored in flatted form; read it with the flatted of the n8n that wrote it.
	const flatted = require(path.join(installed.folder, 'node_modules', 'flatted'));
	let cookie = null;
	async function call(method, route, body) {
		const answer = await fetch(`${url}/rest${route}`, {
			method,
			headers: {
				'content-type': 'application/json',
				'browser-id': BROWSER_ID,
				...(cookie ? { cookie } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await answer.text();
		const setCookie = answer.headers.get('set-cookie');
		if (setCookie && /n8n-auth=/.test(setCookie)) cookie = setCookie.match(/n8n-auth=[^;]*/)[0];
		if (!answer.ok)
			throw Object.assign(
				new Error(`${method} /rest${route} answered ${answer.status}: ${text.slice(0, 500)}`),
				{ status: answer.status },
			);
		return text ? JSON.parse(text).data : undefined;
	}
	const client = {
		call,
		async login() {
			try {
				await call('POST', '/owner/setup', owner);
			} catch (error) {
				// The owner exists already (a second start of the same folder): log in instead.
				if (error.status !== 400) throw error;
				await call('POST', '/login', { emailOrLdapLoginId: owner.email, password: owner.password });
			}
			return client;
		},
		/** Starts a manual run of a stored workflow from its trigger node; resolves to the execution id. */
		async run(workflowId, triggerName) {
			const workflow = await call('GET', `/workflows/${workflowId}`);
			const trigger =
				triggerName || workflow.nodes.find((node) => /manualTrigger$/.test(node.type)).name;
			const started = await call('POST', `/workflows/${workflowId}/run`, {
				triggerToStartFrom: { name: trigger },
			});
			if (!started || !started.executionId)
				throw new Error(`n8n started no execution of ${workflowId}: ${JSON.stringify(started)}`);
			return String(started.executionId);
		},
		/** The execution as `{ status, finished, data }`, `data` in the shape `n8n execute --rawOutput` prints. */
		async execution(executionId) {
			const record = await call('GET', `/executions/${executionId}`);
			return {
				...record,
				data: typeof record.data === 'string' ? flatted.parse(record.data) : record.data,
			};
		},
		/** Waits until the execution has ended (generous bound: a 1 GiB upload on a busy machine). */
		async waitForExecution(executionId, limitMs = 15 * 60 * 1000) {
			const started = Date.now();
			for (;;) {
				const record = await call('GET', `/executions/${executionId}`);
				if (record && !['new', 'running', 'waiting'].includes(record.status))
					return await client.execution(executionId);
				if (Date.now() - started > limitMs)
					throw new Error(
						`execution ${executionId} still ${record && record.status} after ${limitMs} ms`,
					);
				await new Promise((resolve) => setTimeout(resolve, 500));
			}
		},
		async runAndWait(workflowId, triggerName) {
			const executionId = await client.run(workflowId, triggerName);
			return { executionId, ...(await client.waitForExecution(executionId)) };
		},
		/** Retries an ended execution as the editor's Retry button does; n8n answers with the new execution. */
		async retry(executionId) {
			return await call('POST', `/executions/${executionId}/retry`, { loadWorkflow: false });
		},
		/** Activates (publishes) a stored workflow on the main, as the editor's toggle does. */
		async activate(workflowId) {
			const workflow = await call('GET', `/workflows/${workflowId}`);
			return await call('POST', `/workflows/${workflowId}/activate`, {
				versionId: workflow.versionId,
			});
		},
	};
	return client;
}

/** Which worker's log says it started the execution, or undefined. */
function workerOf(cluster, executionId) {
	const pattern = new RegExp(`Worker started execution ${executionId} \\(`);
	const worker = cluster.workers.find((candidate) =>
		pattern.test(`${candidate.previousOutput || ''}${candidate.output()}`),
	);
	return worker && worker.name;
}

module.exports = {
	OWNER,
	ensureServices,
	startPostgres,
	startRedis,
	queueEnvironment,
	startQueueCluster,
	restClient,
	workerOf,
};
