/**
 * Files into legacy DataPress datasets in one multipart/form-data request (POST
 * /api/dataset/:id/resources[/:resource_id]): streamed to disk with their MD5 computed on the way; a new
 * file goes to the top of the list, a replacement keeps its place. Larger files go through the storage
 * host (/presign, then a patch that adds them by `origin`).
 */
'use strict';

const crypto = require('node:crypto');
const path = require('node:path');

const { receiveFile } = require('../shared/multipart');
const { sendJson } = require('../shared/server');
const { clone, formatOf, uuid } = require('./state');

/** Multipart uploads larger than this are refused with 413: they must go through the presigned path. */
const MAX_MULTIPART_BYTES = 104857600;

const FORM_ERRORS = {
	'not-multipart': 'Uploads are multipart/form-data with a field named "file"',
	malformed: 'The body is not well-formed multipart/form-data',
	'too-large': `File too large: multipart uploads are limited to ${MAX_MULTIPART_BYTES} bytes; larger files go through /presign`,
};

/**
 * Takes the upload (the caller has checked the right to edit) into the resource `resourceId`, or a new
 * one; answers the dataset as served with the updates made.
 */
async function uploadResource(state, request, response, dataset, user, resourceId) {
	if (resourceId && !(dataset.resources || {})[resourceId]) {
		request.resume();
		return sendJson(response, 404, {
			error: `Resource ${resourceId} not found in dataset ${dataset.slug}`,
		});
	}
	const targetId = resourceId || uuid();
	let form;
	try {
		form = await receiveFile(request, {
			directory: path.join(
				state.filesDir,
				dataset.id,
				`${targetId}.${crypto.randomBytes(4).toString('hex')}`,
			),
			maxBytes: MAX_MULTIPART_BYTES,
		});
	} catch (error) {
		if (error.code === 'dropped') return undefined;
		return sendJson(response, error.status, { error: FORM_ERRORS[error.code] || error.message });
	}
	const { fields, file: upload } = form;
	if (!upload) return sendJson(response, 400, { error: 'The upload has no field named "file"' });
	const current = state.findDataset(dataset.id);
	const working = clone(current);
	working.resources = working.resources || {};
	const existing = working.resources[targetId];
	const now = new Date().toISOString();
	const updates = [];
	if (!existing) {
		for (const resource of Object.values(working.resources))
			resource.order = (Number(resource.order) || 0) + 1;
		working.resources[targetId] = {
			url: '',
			order: 0,
			title: fields.title || upload.fileName,
			format: formatOf(upload.fileName),
			description: fields.description || '',
		};
		updates.push({ op: 'add', path: `/resources/${targetId}`, value: {} });
	}
	const resource = working.resources[targetId];
	if (existing && fields.title) resource.title = fields.title;
	if (existing && fields.description !== undefined) resource.description = fields.description;
	Object.assign(resource, {
		check_hash: upload.md5,
		check_size: upload.size,
		check_mimetype: upload.mimeType || 'application/octet-stream',
		check_timestamp: now,
		check_http_status: 200,
	});
	state.removeFile(state.files.get(`${dataset.id}/${targetId}`));
	state.files.set(`${dataset.id}/${targetId}`, { path: upload.path, fileName: upload.fileName });
	state.datasets.set(dataset.id, working);
	const url = state.downloadUrl(working, targetId, upload.fileName);
	for (const [field, value] of [
		['url', url],
		['check_hash', upload.md5],
		['check_size', upload.size],
		['check_timestamp', now],
		['title', resource.title],
	]) {
		updates.push({ op: 'replace', path: `/resources/${targetId}/${field}`, value });
	}
	return sendJson(response, 200, state.present(working, user, updates));
}

module.exports = { uploadResource, MAX_MULTIPART_BYTES };
