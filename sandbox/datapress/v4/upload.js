/**
 * Files into DataPress 4 datasets, both ways the API takes them:
 * - one multipart/form-data request (E4 add, E5 replace), the file streamed to disk with its MD5 as `hash`;
 * - a chunked upload through the API host (E6 create, E7 chunks, E8 complete): each chunk is streamed to
 *   disk with its MD5, and completing assembles the parts in order into the stored file (streamed, never
 *   whole in memory) whose `hash` is S3's multipart ETag of the parts, as the live site stores it.
 * Every upload moves the dataset's `updatedAt` (datapress-v4.md 3.4).
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const { once } = require('node:events');
const path = require('node:path');

const { receiveFile } = require('../shared/multipart');
const answers = require('./answers');
const { PART_SIZE, etagOfParts } = require('./etag');
const { timeframeValid } = require('./patch');
const { placeResource, bumpedStamp, formatOf, originOf, clone } = require('./state');

/** One-request uploads over 100 MB are refused with 413: the documents send such files in chunks. */
const MAX_FORM_BYTES = 104857600;
/** S3's limits on a multipart upload: 10,000 parts of at most 5 GiB. */
const MAX_PARTS = 10000;
const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

const FORM_ERRORS = {
	'not-multipart': 'Uploads are multipart/form-data with a field named "file"',
	malformed: 'The body is not well-formed multipart/form-data',
	'too-large': `File too large: one-request uploads are limited to ${MAX_FORM_BYTES} bytes; larger files go in chunks (POST /api/v3/dataset/:id/upload)`,
};

function createUploads(state) {
	/** Reads a form; answers its refusal itself and resolves undefined, or resolves `{ fields, file }`. */
	async function readForm(request, response, directory, maxBytes, tooLarge) {
		try {
			const form = await receiveFile(request, { directory, maxBytes });
			if (!form.file) {
				answers.badRequest(response, 'The upload has no field named "file"');
				return undefined;
			}
			return form;
		} catch (error) {
			if (error.code === 'too-large') answers.refused(response, 413, tooLarge);
			else if (error.code !== 'dropped')
				answers.badRequest(response, FORM_ERRORS[error.code] || error.message);
			return undefined;
		}
	}

	/** Stores a new file for a resource (new or replaced) and answers what changed, as `readonly.updates`. */
	function attachFile(
		datasetId,
		{ resourceId, file, hash, title, description, timeframe, order },
		baseUrl,
	) {
		const working = clone(state.datasets.get(datasetId));
		const id = resourceId || state.newResourceId(working);
		const existing = working.resources[id];
		const origin = originOf(datasetId, file.fileName);
		const previous = state.files.get(`${datasetId}/${id}`);
		const updates = [];
		working.updatedAt = bumpedStamp(working.updatedAt);
		updates.push({ op: 'replace', path: '/updatedAt', value: working.updatedAt });
		if (existing) {
			const changes = { origin, size: file.size, hash };
			if (formatOf(file.fileName) !== existing.format) changes.format = formatOf(file.fileName);
			if (title) changes.title = title;
			if (description !== undefined) changes.description = description;
			if (timeframe !== undefined) changes.timeframe = timeframe;
			Object.assign(existing, changes);
			for (const [field, value] of Object.entries(changes))
				updates.push({ op: 'replace', path: `/resources/${id}/${field}`, value });
			if (order !== undefined) placeResource(working.resources, id, order);
		} else {
			working.resources[id] = {
				hash,
				size: file.size,
				order: 0,
				title: title || file.fileName,
				format: formatOf(file.fileName),
				origin,
				timeframe: timeframe || null,
				description: description || '',
			};
			placeResource(working.resources, id, order === undefined ? 0 : order);
			updates.push({ op: 'add', path: `/resources/${id}`, value: clone(working.resources[id]) });
		}
		state.setFile(datasetId, id, { path: file.path, fileName: file.fileName });
		// The url names the file, so a replacement under another name moves it.
		if (previous && previous.fileName !== file.fileName)
			updates.push({
				op: 'replace',
				path: `/resources/${id}/url`,
				value: state.presentResource(datasetId, id, working.resources[id], baseUrl).url,
			});
		state.datasets.set(datasetId, working);
		return { dataset: working, resourceId: id, origin, updates };
	}

	// ---- E4, E5: one request ----

	async function formUpload(request, response, { dataset, resourceId, baseUrl }) {
		const form = await readForm(
			request,
			response,
			state.fileDirectory(dataset.id),
			MAX_FORM_BYTES,
			FORM_ERRORS['too-large'],
		);
		if (!form) return;
		const { fields, file } = form;
		// The dataset may have changed while the file arrived (a patch removing the resource, say).
		if (resourceId && !(resourceId in state.datasets.get(dataset.id).resources)) {
			fs.rmSync(file.directory, { recursive: true, force: true });
			answers.notFound(response, 'Resource', resourceId);
			return;
		}
		const result = attachFile(
			dataset.id,
			{ resourceId, file, hash: file.md5, title: fields.title, description: fields.description },
			baseUrl,
		);
		const body = state.present(result.dataset, baseUrl);
		const resource = body.resources[result.resourceId];
		body.readonly = {
			updates: result.updates,
			resource_id: result.resourceId,
			resource,
			new_key: result.origin,
		};
		answers.ok(response, body);
	}

	// ---- E6, E7, E8: chunks ----

	function createUpload(response, { dataset, user, body, baseUrl }) {
		if (!body || typeof body !== 'object' || Array.isArray(body))
			return answers.badRequest(
				response,
				'The body must be a JSON object: {"filename", "parts", ...}',
			);
		const errors = [];
		if (typeof body.filename !== 'string' || !body.filename.trim() || /[/\\]/.test(body.filename))
			errors.push('filename: a file name (no folders) is required');
		if (!Number.isInteger(body.parts) || body.parts < 1 || body.parts > MAX_PARTS)
			errors.push(`parts: the number of chunks, a whole number from 1 to ${MAX_PARTS}`);
		if (body.resource_id !== undefined && typeof body.resource_id !== 'string')
			errors.push('resource_id: must be the id of a file of this dataset');
		if (body.order !== undefined && (!Number.isInteger(body.order) || body.order < 0))
			errors.push('order: must be a whole number from 0');
		for (const field of ['title', 'description'])
			if (body[field] !== undefined && typeof body[field] !== 'string')
				errors.push(`${field}: must be a string`);
		if (body.timeframe !== undefined && body.timeframe !== null && !timeframeValid(body.timeframe))
			errors.push('timeframe: must be {"from", "to"} (YYYY-MM) or null');
		if (errors.length) return answers.invalid(response, errors);
		if (body.resource_id !== undefined && !(body.resource_id in dataset.resources))
			return answers.notFound(response, 'Resource', body.resource_id);
		const id = crypto.randomUUID();
		const directory = path.join(state.uploadsDir, id);
		fs.mkdirSync(directory, { recursive: true });
		state.uploads.set(id, {
			id,
			directory,
			datasetId: dataset.id,
			userId: user.id,
			fileName: body.filename,
			parts: body.parts,
			resourceId: body.resource_id,
			order: body.order,
			title: body.title,
			description: body.description,
			timeframe: body.timeframe,
			received: new Map(),
			status: 'open',
		});
		return answers.ok(response, {
			urlChunk: `${baseUrl}/api/v3/upload/${id}/chunk`,
			urlComplete: `${baseUrl}/api/v3/upload/${id}/complete`,
		});
	}

	/** The upload a chunk or complete call names, if the caller may use it; otherwise answers why not. */
	function openUpload(request, response, id, user) {
		const upload = state.uploads.get(id);
		const refuse = (answer) => {
			request.resume();
			answer();
			return undefined;
		};
		if (!upload) return refuse(() => answers.notFound(response, 'Upload', id));
		if (!user || user.id !== upload.userId)
			return refuse(() =>
				answers.forbidden(
					response,
					'Chunks and completion need the API key that created the upload',
				),
			);
		if (upload.status !== 'open')
			return refuse(() => answers.refused(response, 409, `Upload ${id} is already complete`));
		return upload;
	}

	async function chunk(request, response, { uploadId, user }) {
		const upload = openUpload(request, response, uploadId, user);
		if (!upload) return;
		const incoming = path.join(
			upload.directory,
			`incoming-${crypto.randomBytes(6).toString('hex')}`,
		);
		const form = await readForm(
			request,
			response,
			incoming,
			MAX_PART_BYTES,
			`A chunk is at most ${MAX_PART_BYTES} bytes`,
		);
		if (!form) return;
		const discard = () => fs.rmSync(incoming, { recursive: true, force: true });
		const partText = form.fields.part;
		if (partText === undefined || !/^\d+$/.test(String(partText).trim())) {
			discard();
			answers.badRequest(response, 'The field "part" (the chunk number, from 0) is required');
			return;
		}
		const part = Number(partText);
		if (part >= upload.parts) {
			discard();
			answers.badRequest(
				response,
				`Part ${part} is out of range: this upload has ${upload.parts} part${upload.parts === 1 ? '' : 's'}, numbered from 0`,
			);
			return;
		}
		if (upload.status !== 'open') {
			discard();
			answers.refused(response, 409, `Upload ${uploadId} is already complete`);
			return;
		}
		// A part sent again replaces the earlier one, as in S3 (a client retrying a chunk).
		const partPath = path.join(upload.directory, `part-${part}`);
		fs.renameSync(form.file.path, partPath);
		discard();
		upload.received.set(part, {
			path: partPath,
			size: form.file.size,
			md5: Buffer.from(form.file.md5, 'hex'),
		});
		answers.ok(response, { part, size: form.file.size });
	}

	async function complete(request, response, { uploadId, user, baseUrl }) {
		const upload = openUpload(request, response, uploadId, user);
		if (!upload) return;
		request.resume();
		const missing = [];
		for (let part = 0; part < upload.parts; part++)
			if (!upload.received.has(part)) missing.push(part);
		if (missing.length) {
			answers.badRequest(
				response,
				`The upload has ${upload.parts} parts, but part${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'was' : 'were'} never sent`,
			);
			return;
		}
		for (let part = 0; part < upload.parts - 1; part++) {
			const { size } = upload.received.get(part);
			if (size < PART_SIZE) {
				answers.badRequest(
					response,
					`Part ${part} is ${size} bytes: every part but the last must be at least ${PART_SIZE} bytes (5 MiB)`,
				);
				return;
			}
		}
		const dataset = state.datasets.get(upload.datasetId);
		if (upload.resourceId !== undefined && !(upload.resourceId in dataset.resources)) {
			answers.notFound(response, 'Resource', upload.resourceId);
			return;
		}
		upload.status = 'completing';
		const directory = state.fileDirectory(upload.datasetId);
		const file = {
			path: path.join(directory, upload.fileName),
			directory,
			fileName: upload.fileName,
			size: 0,
		};
		try {
			fs.mkdirSync(directory, { recursive: true });
			file.size = await concatenate(upload, file.path);
		} catch (error) {
			upload.status = 'open';
			fs.rmSync(directory, { recursive: true, force: true });
			throw error;
		}
		const hash = etagOfParts(
			[...Array(upload.parts).keys()].map((part) => upload.received.get(part).md5),
		);
		const result = attachFile(upload.datasetId, { ...upload, file, hash }, baseUrl);
		upload.status = 'complete';
		upload.received.clear();
		fs.rmSync(upload.directory, { recursive: true, force: true });
		answers.ok(response, {
			dataset: state.present(result.dataset, baseUrl),
			resource_id: result.resourceId,
			new_key: result.origin,
		});
	}

	return { formUpload, createUpload, chunk, complete, attachFile };
}

/** Writes the parts in order into one file, a buffer at a time; resolves its size. */
async function concatenate(upload, target) {
	const out = fs.createWriteStream(target);
	let size = 0;
	try {
		for (let part = 0; part < upload.parts; part++) {
			for await (const bytes of fs.createReadStream(upload.received.get(part).path)) {
				size += bytes.length;
				if (!out.write(bytes)) await once(out, 'drain');
			}
		}
		await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
	} catch (error) {
		out.destroy();
		throw error;
	}
	return size;
}

module.exports = { createUploads, MAX_FORM_BYTES, MAX_PARTS, MAX_PART_BYTES };
