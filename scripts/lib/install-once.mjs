/**
 * Builds a cache folder once, however many processes ask for it at the same time (`npm start` in one
 * terminal and `npm test` in another, or two jest workers):
 *
 * - a folder is complete when it holds the marker file `.complete`; a complete folder is returned at once;
 * - otherwise the caller takes the folder's lock (`<folder>.lock`, created atomically, naming its owner's
 *   process and host), checks again (the owner before it may have finished), and builds into a staging
 *   folder (`<folder>.partial-<pid>`) that is renamed into place only once complete, marker included;
 * - a waiting process prints who holds the lock and polls it; a lock whose owner process is gone (killed
 *   midway) is broken, and what the dead install left (its staging folder, or a final folder without its
 *   marker from an install done in place) is removed and built again, never used.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const COMPLETE_MARKER = '.complete';
const POLL_MS = 500;
/** How long a lock breaker may hold its own short lock before another process takes it as abandoned. */
const BREAKER_STALE_MS = 30_000;

export function isComplete(folder) {
	return fs.existsSync(path.join(folder, COMPLETE_MARKER));
}

/** Sleeps without an event loop: the installers are synchronous, as their callers expect. */
function sleepSync(ms) {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a process of this host is running (EPERM: it is, under another user). */
export function isProcessAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return error.code === 'EPERM';
	}
}

function readOwner(lockPath) {
	try {
		return JSON.parse(fs.readFileSync(lockPath, 'utf8'));
	} catch {
		return null; // gone since, or not ours to read
	}
}

/** A lock is stale when its owner ran on this host and is no longer running. */
function isStale(owner) {
	return Boolean(owner) && owner.host === os.hostname() && !isProcessAlive(owner.pid);
}

/**
 * Creates the lock file in one step: written in full under a private name, then hard-linked to the lock's
 * name, which fails when the lock exists. Readers never see a half-written owner.
 */
function tryAcquire(lockPath, what) {
	const draft = `${lockPath}.${process.pid}.draft`;
	const owner = { pid: process.pid, host: os.hostname(), what, since: new Date().toISOString() };
	fs.writeFileSync(draft, JSON.stringify(owner));
	try {
		fs.linkSync(draft, lockPath);
		return true;
	} catch (error) {
		if (error.code === 'EEXIST') return false;
		throw error;
	} finally {
		fs.rmSync(draft, { force: true });
	}
}

/**
 * Removes a stale lock. Breakers take turns through a short lock of their own and read the lock again under
 * it, so a lock that another process took after the stale one was removed is never removed in its place.
 */
function breakIfStale(lockPath) {
	const breaker = `${lockPath}.breaking`;
	try {
		fs.writeFileSync(breaker, String(process.pid), { flag: 'wx' });
	} catch (error) {
		if (error.code !== 'EEXIST') throw error;
		const since = fs.statSync(breaker, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
		if (Date.now() - since > BREAKER_STALE_MS) fs.rmSync(breaker, { force: true });
		return false;
	}
	try {
		if (!isStale(readOwner(lockPath))) return false;
		fs.rmSync(lockPath, { force: true });
		return true;
	} finally {
		fs.rmSync(breaker, { force: true });
	}
}

function withLock(folder, what, progress, work) {
	const lockPath = `${folder}.lock`;
	let announced = false;
	while (!tryAcquire(lockPath, what)) {
		const owner = readOwner(lockPath);
		if (isStale(owner) && breakIfStale(lockPath)) {
			progress(
				`an earlier install of ${what} (process ${owner.pid}) stopped midway: starting over`,
			);
			continue;
		}
		if (!announced && owner) {
			progress(
				`waiting for process ${owner.pid} on ${owner.host}, which is installing ${what} since ${owner.since}`,
			);
			announced = true;
		}
		sleepSync(POLL_MS);
	}
	try {
		return work();
	} finally {
		fs.rmSync(lockPath, { force: true });
	}
}

/**
 * Returns once `folder` is complete, building it with `build(stagingFolder)` if no process has. `build`
 * fills the empty staging folder and returns the marker's line (a version), or throws to leave nothing.
 */
export function installOnce(folder, { what, build, progress = () => {} }) {
	if (isComplete(folder)) return folder;
	fs.mkdirSync(path.dirname(folder), { recursive: true });
	return withLock(folder, what, progress, () => {
		if (isComplete(folder)) return folder; // finished by the process we waited for
		const parent = path.dirname(folder);
		const stagingPrefix = `${path.basename(folder)}.partial-`;
		// Holding the lock, every staging folder left here belongs to an install that died.
		for (const entry of fs.readdirSync(parent)) {
			if (entry.startsWith(stagingPrefix))
				fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
		}
		if (fs.existsSync(folder)) {
			progress(`${folder} holds an unfinished install of ${what}: removing it`);
			fs.rmSync(folder, { recursive: true, force: true });
		}
		const staging = path.join(parent, `${stagingPrefix}${process.pid}`);
		fs.mkdirSync(staging);
		try {
			const markerLine = build(staging) ?? what;
			fs.writeFileSync(path.join(staging, COMPLETE_MARKER), `${markerLine}\n`);
			fs.renameSync(staging, folder);
		} catch (error) {
			fs.rmSync(staging, { recursive: true, force: true });
			throw error;
		}
		return folder;
	});
}
