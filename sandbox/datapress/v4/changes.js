/**
 * The sandbox's own publishing (not part of the real API): changes to datasets and files made as the site's
 * editors would make them, for demos and for tests of whatever watches the site (the London Datastore
 * Trigger). Each change goes through the same state rules as the API: a new file is stored on disk with its
 * MD5 as `hash` (as a one-request upload), and every file change and visible edit moves `updatedAt` (a
 * `silent` edit does not, as a PATCH that leaves `/updatedAt` alone). A schedule applies a list of changes,
 * or generated demo changes, one every `everyMs` milliseconds.
 *
 * Changes (`kind`):
 * - `publishDataset` `{ team, title, sharing?, tags?, topics?, masthead?, description?, custom?, files? }`
 * - `editDataset` `{ id, set: { field: value, ... }, silent? }` (set `null` removes a custom field)
 * - `removeDataset` `{ id }`
 * - `addFile` `{ id, fileName, content, title? }`
 * - `replaceFile` `{ id, resourceId, content, fileName? }`
 * - `removeFile` `{ id, resourceId }`
 * `files` of `publishDataset` are `{ fileName, content, title? }`. Content is text (or a number of bytes to
 * generate: `{ bytes }`).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { bumpedStamp, canonicalOf, clone } = require('./state');

/** Fields an edit may set: the dataset's own metadata (ids, files and dates are the server's). */
const EDITABLE = new Set([
	'title',
	'description',
	'descriptionIframe',
	'masthead',
	'sharing',
	'tags',
	'topics',
	'licence',
	'contact',
	'nextReviewDate',
	'archivedAt',
	'custom',
	'links',
	'readusers',
	'readteams',
	'collaborators',
	'team',
]);

function changeError(message) {
	return Object.assign(new Error(message), { status: 400 });
}

function createChanges(state, uploads) {
	/** Writes a file as a one-request upload stores it: on disk under the files root, MD5 as hash. */
	function storeFile(datasetId, fileName, content) {
		if (typeof fileName !== 'string' || !fileName || fileName.includes('/'))
			throw changeError('A file needs a "fileName" without "/"');
		const bytes =
			content && typeof content === 'object' && Number.isInteger(content.bytes)
				? Buffer.alloc(content.bytes, `${fileName},${Date.now()}\n`)
				: Buffer.from(String(content ?? ''));
		const directory = state.fileDirectory(datasetId);
		fs.mkdirSync(directory, { recursive: true });
		const filePath = path.join(directory, fileName);
		fs.writeFileSync(filePath, bytes);
		return {
			file: { path: filePath, fileName, size: bytes.length },
			hash: crypto.createHash('md5').update(bytes).digest('hex'),
		};
	}

	function existing(id) {
		const dataset = state.datasets.get(id);
		if (!dataset) throw changeError(`No dataset "${id}"`);
		return dataset;
	}

	function addFile(datasetId, { fileName, content, title, resourceId }) {
		const { file, hash } = storeFile(datasetId, fileName, content);
		return uploads.attachFile(datasetId, { resourceId, file, hash, title }, '').resourceId;
	}

	const apply = {
		publishDataset(change) {
			if (!state.teams.has(change.team)) throw changeError(`No team "${change.team}"`);
			if (typeof change.title !== 'string' || !change.title.trim())
				throw changeError('A dataset needs a "title"');
			const now = new Date().toISOString();
			const dataset = {
				id: state.newDatasetId(),
				site: state.site.id,
				team: change.team,
				title: change.title,
				description: change.description ?? '',
				masthead: change.masthead ?? Object.keys(state.site.mastheads)[0],
				sharing: change.sharing ?? 'public',
				collaborators: [],
				readusers: change.readusers ?? [],
				readteams: change.readteams ?? [],
				tags: change.tags ?? [],
				topics: change.topics ?? [],
				resources: {},
				links: {},
				nextReviewDate: null,
				licence: null,
				contact: null,
				createdAt: now,
				updatedAt: now,
				archivedAt: null,
				custom: change.custom ?? {},
			};
			dataset.canonical = canonicalOf(dataset);
			state.datasets.set(dataset.id, dataset);
			const resourceIds = (change.files ?? []).map((file) => addFile(dataset.id, file));
			return { id: dataset.id, resourceIds };
		},
		editDataset(change) {
			const working = clone(existing(change.id));
			const set = change.set && typeof change.set === 'object' ? change.set : {};
			for (const [field, value] of Object.entries(set)) {
				if (!EDITABLE.has(field)) throw changeError(`"${field}" cannot be edited this way`);
				if (field === 'custom') {
					for (const [name, entry] of Object.entries(value ?? {})) {
						if (entry === null) delete working.custom[name];
						else working.custom[name] = entry;
					}
				} else working[field] = value;
			}
			working.canonical = canonicalOf(working);
			if (!change.silent) working.updatedAt = bumpedStamp(working.updatedAt);
			state.datasets.set(working.id, working);
			return { id: working.id, updatedAt: working.updatedAt };
		},
		removeDataset(change) {
			const dataset = existing(change.id);
			for (const resourceId of Object.keys(dataset.resources))
				state.removeFile(dataset.id, resourceId);
			state.datasets.delete(dataset.id);
			return { id: dataset.id };
		},
		addFile(change) {
			existing(change.id);
			return { id: change.id, resourceId: addFile(change.id, change) };
		},
		replaceFile(change) {
			const dataset = existing(change.id);
			if (!(change.resourceId in dataset.resources))
				throw changeError(`No file "${change.resourceId}" in dataset "${change.id}"`);
			const current = state.files.get(`${change.id}/${change.resourceId}`);
			addFile(change.id, {
				fileName: change.fileName ?? (current ? current.fileName : 'file.csv'),
				content: change.content,
				resourceId: change.resourceId,
			});
			return { id: change.id, resourceId: change.resourceId };
		},
		removeFile(change) {
			const working = clone(existing(change.id));
			if (!(change.resourceId in working.resources))
				throw changeError(`No file "${change.resourceId}" in dataset "${change.id}"`);
			delete working.resources[change.resourceId];
			Object.values(working.resources)
				.sort((a, b) => a.order - b.order)
				.forEach((resource, index) => {
					resource.order = index;
				});
			working.updatedAt = bumpedStamp(working.updatedAt);
			state.removeFile(change.id, change.resourceId);
			state.datasets.set(change.id, working);
			return { id: change.id, resourceId: change.resourceId };
		},
	};

	/** Applies changes in order; the first invalid one stops the list (those before it stay applied). */
	function applyChanges(changes) {
		if (!Array.isArray(changes)) throw changeError('"changes" must be a list');
		return changes.map((change) => {
			const run = change && apply[change.kind];
			if (!run)
				throw changeError(
					`Unknown change kind "${change && change.kind}": one of ${Object.keys(apply).join(', ')}`,
				);
			return { kind: change.kind, ...run(change) };
		});
	}

	/**
	 * The demo's next change, in a cycle of four: a new version of the dataset's first file (a CSV of
	 * borough figures), a metadata edit (a tag), a new version again, then a file added (or, the next time
	 * round, that file removed). The dataset is `datasetId`, else the first public one with files.
	 */
	let demoStep = 0;
	function demoChange(datasetId) {
		const target =
			(datasetId && state.datasets.get(datasetId)) ||
			[...state.datasets.values()].find(
				(dataset) => dataset.sharing === 'public' && Object.keys(dataset.resources).length,
			);
		if (!target) return { kind: 'publishDataset', team: [...state.teams.keys()][0], title: 'Demo' };
		const step = demoStep++;
		const csv = ['borough,value']
			.concat(
				['Camden', 'Hackney', 'Lambeth', 'Southwark', 'Westminster'].map(
					(borough, index) => `${borough},${(step * 7 + index * 13) % 100}`,
				),
			)
			.join('\n');
		const extra = Object.entries(target.resources).find(([, resource]) =>
			String(resource.title).startsWith('demo-extra-'),
		);
		const newVersion = {
			kind: 'replaceFile',
			id: target.id,
			resourceId: Object.keys(target.resources).find((id) => !extra || id !== extra[0]),
			content: `${csv}\n`,
		};
		switch (step % 4) {
			case 0:
			case 2:
				return newVersion;
			case 1:
				return {
					kind: 'editDataset',
					id: target.id,
					set: { tags: [...target.tags.filter((tag) => !tag.startsWith('demo-')), `demo-${step}`] },
				};
			default:
				return extra
					? { kind: 'removeFile', id: target.id, resourceId: extra[0] }
					: {
							kind: 'addFile',
							id: target.id,
							fileName: `demo-extra-${step}.csv`,
							title: `demo-extra-${step}.csv`,
							content: `${csv}\n`,
						};
		}
	}

	let schedule;
	function stopSchedule() {
		if (schedule) clearInterval(schedule.timer);
		const stopped = schedule ? scheduleStatus() : { running: false };
		schedule = undefined;
		return stopped;
	}
	function scheduleStatus() {
		if (!schedule) return { running: false };
		const { everyMs, applied, left, lastError } = schedule;
		return { running: Boolean(schedule.timer), everyMs, applied, left, lastError };
	}
	/**
	 * Every `everyMs`, the next of `changes` (each once, then the schedule stops), or with `demo: true` a
	 * generated change to `datasetId` for ever (or `times` of them).
	 */
	function startSchedule({ everyMs, changes, demo = false, times, datasetId } = {}) {
		if (!Number.isFinite(everyMs) || everyMs < 10)
			throw changeError('"everyMs" must be 10 or more');
		if (!demo && (!Array.isArray(changes) || !changes.length))
			throw changeError('A schedule needs "changes" (a list) or "demo": true');
		stopSchedule();
		const queue = demo ? undefined : [...changes];
		schedule = {
			everyMs,
			applied: [],
			left: demo ? (Number.isInteger(times) ? times : null) : queue.length,
			lastError: null,
		};
		schedule.timer = setInterval(() => {
			const change = queue ? queue.shift() : demoChange(datasetId);
			try {
				schedule.applied.push(...applyChanges([change]));
			} catch (error) {
				schedule.lastError = error.message;
			}
			if (schedule.left !== null) schedule.left -= 1;
			if (schedule.left === 0) {
				clearInterval(schedule.timer);
				schedule.timer = undefined;
			}
		}, everyMs);
		if (schedule.timer.unref) schedule.timer.unref();
		return scheduleStatus();
	}

	return { applyChanges, startSchedule, stopSchedule, scheduleStatus, demoChange };
}

module.exports = { createChanges };
