/**
 * Storage sandbox: the S3 bucket behind DataPress's presigned uploads, on a port of its own. It takes
 * multipart/form-data POSTs as S3 does: the fields first (checked against the SigV4-signed policy: signature,
 * expiry, conditions, the key), the file last (streamed to disk with its MD5, never whole in memory, within
 * the policy's content-length-range), then 204 (or 201 with S3's XML when success_action_status=201).
 * It records whether any request carried an Authorization header, which no client should send here.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const busboy = require('busboy');

const { applyFault } = require('../faults');
const { listen } = require('../listen');
const { verifyPost, errorXml } = require('./sigv4');

function objectFileName(key) {
	return crypto.createHash('sha256').update(key).digest('hex');
}

async function startStorageSandbox({
	port = 0,
	host = '127.0.0.1',
	dataDir,
	bucket = 'datapress-sandbox',
	region = 'eu-west-2',
	secrets,
	nowMs = () => Date.now(),
	faults,
}) {
	const objectsDir = path.join(dataDir, 'storage');
	fs.mkdirSync(objectsDir, { recursive: true });
	const objects = new Map();
	const log = [];

	function record(entry) {
		log.push({ at: new Date().toISOString(), ...entry });
	}

	function sendXml(response, status, xml) {
		response.writeHead(status, { 'content-type': 'application/xml', connection: 'close' });
		response.end(xml);
	}

	function handleUpload(request, response, entry) {
		let parser;
		try {
			parser = busboy({ headers: request.headers, preservePath: true });
		} catch {
			entry.status = 400;
			record(entry);
			request.resume();
			return sendXml(
				response,
				400,
				errorXml({
					code: 'MalformedPOSTRequest',
					message: 'The body of your POST request is not well-formed multipart/form-data.',
				}),
			);
		}
		const fields = {};
		let fileSeen = false;
		let answered = false;
		const answer = (status, body, contentType = 'application/xml') => {
			if (answered) return;
			answered = true;
			entry.status = status;
			record(entry);
			// Keep reading (and discarding) what the client still sends, so that it reads this answer.
			request.unpipe(parser);
			request.resume();
			// Answer once the client has sent everything (discarded above), so that it reads the answer.
			const send = () => {
				response.writeHead(status, body ? { 'content-type': contentType } : {});
				response.end(body || undefined);
			};
			if (request.complete) send();
			else request.once('end', send);
		};

		parser.on('field', (name, value) => {
			// S3 ignores fields that come after the file.
			if (!fileSeen) fields[name] = value;
		});
		parser.on('file', (name, stream, info) => {
			if (fileSeen || name !== 'file') {
				stream.resume();
				return;
			}
			fileSeen = true;
			const verdict = verifyPost(fields, { bucket, region, secrets, nowMs: nowMs() });
			if (verdict.error) {
				stream.resume();
				return answer(verdict.error.status, errorXml(verdict.error));
			}
			const { key, lengthRange } = verdict;
			const max = lengthRange ? lengthRange.max : Infinity;
			const min = lengthRange ? lengthRange.min : 0;
			const finalPath = path.join(objectsDir, objectFileName(key));
			const partialPath = `${finalPath}.${crypto.randomBytes(4).toString('hex')}.partial`;
			const out = fs.createWriteStream(partialPath);
			out.on('error', () => {});
			const hash = crypto.createHash('md5');
			let size = 0;
			let refused = false;
			stream.on('data', (chunk) => {
				if (refused) return;
				size += chunk.length;
				if (size > max) {
					refused = true;
					stream.unpipe(out);
					out.destroy();
					fs.rm(partialPath, { force: true }, () => {});
					stream.resume();
					return answer(
						400,
						errorXml(
							{
								code: 'EntityTooLarge',
								message: 'Your proposed upload exceeds the maximum allowed size',
							},
							{ MaxSizeAllowed: max },
						),
					);
				}
				hash.update(chunk);
			});
			stream.pipe(out);
			// A client gone mid-file (dropped connection) leaves no partial file behind.
			request.once('close', () => {
				if (!request.complete) {
					out.destroy();
					fs.rm(partialPath, { force: true }, () => {});
				}
			});
			stream.on('end', () => {
				if (refused) return;
				out.end(() => {
					if (answered) {
						fs.rm(partialPath, { force: true }, () => {});
						return;
					}
					if (size < min) {
						fs.rm(partialPath, { force: true }, () => {});
						return answer(
							400,
							errorXml({
								code: 'EntityTooSmall',
								message: 'Your proposed upload is smaller than the minimum allowed size',
							}),
						);
					}
					fs.renameSync(partialPath, finalPath);
					const etag = hash.digest('hex');
					objects.set(key, {
						key,
						path: finalPath,
						size,
						md5: etag,
						contentType: verdict.contentType || info.mimeType || 'application/octet-stream',
						fileName: info.filename,
						storedAt: new Date(nowMs()).toISOString(),
					});
					entry.bytes = size;
					const status =
						verdict.successActionStatus === '201'
							? 201
							: verdict.successActionStatus === '200'
								? 200
								: 204;
					if (status === 201) {
						const location = `http://${request.headers.host}/${bucket}/${encodeURIComponent(key)}`;
						return answer(
							201,
							`<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${location}</Location><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"${etag}"</ETag></PostResponse>`,
						);
					}
					return answer(status, '');
				});
			});
			stream.on('error', () => {
				out.destroy();
				fs.rm(partialPath, { force: true }, () => {});
			});
		});
		parser.on('close', () => {
			if (!fileSeen) {
				const verdict = verifyPost(fields, { bucket, region, secrets, nowMs: nowMs() });
				if (verdict.error) return answer(verdict.error.status, errorXml(verdict.error));
				return answer(
					400,
					errorXml(
						{
							code: 'InvalidArgument',
							message: 'POST requires exactly one file upload per request.',
						},
						{ ArgumentName: 'file' },
					),
				);
			}
			return undefined;
		});
		parser.on('error', () =>
			answer(
				400,
				errorXml({
					code: 'MalformedPOSTRequest',
					message: 'The body of your POST request is not well-formed multipart/form-data.',
				}),
			),
		);
		request.pipe(parser);
		return undefined;
	}

	const server = http.createServer(async (request, response) => {
		const url = new URL(request.url, 'http://storage');
		const entry = {
			method: request.method,
			path: url.pathname,
			hadAuthorization: request.headers.authorization !== undefined,
			status: 0,
			bytes: 0,
		};
		const fault = faults ? faults.take('storage', request.method, url.pathname) : undefined;
		const answered = await applyFault(fault, request, response, {
			errorAnswer: (status) => {
				entry.status = status;
				record(entry);
				return {
					contentType: 'application/xml',
					headers: { connection: 'close' },
					body: errorXml({
						code: status === 503 ? 'SlowDown' : 'InternalError',
						message: `Injected HTTP ${status}`,
					}),
				};
			},
			onDropped: () => {
				entry.status = 'dropped';
				record(entry);
			},
		});
		if (answered) return;
		if (
			request.method === 'POST' &&
			(url.pathname === `/${bucket}` || url.pathname === `/${bucket}/`)
		) {
			handleUpload(request, response, entry);
			return;
		}
		entry.status = request.method === 'POST' ? 404 : 405;
		record(entry);
		request.resume();
		sendXml(
			response,
			entry.status,
			errorXml({
				code: entry.status === 404 ? 'NoSuchBucket' : 'MethodNotAllowed',
				message: 'Only presigned POST uploads are served here',
			}),
		);
	});
	const listening = await listen(server, port, host);
	const { origin } = listening;
	return {
		origin,
		url: `${origin}/${bucket}`,
		bucket,
		region,
		object: (key) => objects.get(key),
		objects: () => [...objects.values()].map((object) => ({ ...object })),
		log: () => log.map((entry) => ({ ...entry })),
		clearLog: () => {
			log.length = 0;
		},
		reset() {
			for (const object of objects.values()) fs.rmSync(object.path, { force: true });
			objects.clear();
			log.length = 0;
		},
		async close() {
			await listening.close();
		},
	};
}

module.exports = { startStorageSandbox };
