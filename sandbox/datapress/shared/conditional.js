/**
 * Validators and conditional GETs as a standard HTTP server or CDN in front of DataPress would answer them
 * (RFC 9110 8.8 and 13): not part of what the documents show of DataPress 4, so off unless a test or a demo
 * turns them on (the start option `validators`, or `POST /_sandbox/validators`; see the export's contract
 * test for why). When on, a GET's JSON answer carries a strong `ETag` (a digest of its bytes) and/or a
 * `Last-Modified` (when those bytes were first served, to the second), and a request whose If-None-Match
 * matches (or, without If-None-Match, whose If-Modified-Since is not older) gets `304` with no body.
 */
'use strict';

const crypto = require('node:crypto');

/** Answers remembered for their Last-Modified; the oldest are forgotten past this many. */
const REMEMBERED_ANSWERS = 1000;

function createConditional(initial = {}) {
	const normalised = (options = {}) => ({
		etag: options.etag === true,
		lastModified: options.lastModified === true,
	});
	let options = normalised(initial);
	/** A body's digest → when it was first served (ms, whole seconds). */
	const firstServed = new Map();

	function servedSince(digest) {
		let at = firstServed.get(digest);
		if (at === undefined) {
			at = Math.floor(Date.now() / 1000) * 1000;
			firstServed.set(digest, at);
			if (firstServed.size > REMEMBERED_ANSWERS)
				firstServed.delete(firstServed.keys().next().value);
		}
		return at;
	}

	/** Whether an If-None-Match list matches the current ETag (weak comparison, as for GET). */
	function tagMatches(header, etag) {
		const opaque = (tag) => tag.trim().replace(/^W\//, '');
		return String(header)
			.split(',')
			.some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
	}

	return {
		/** `{ etag, lastModified }`: which validators GET answers carry from now on. */
		configure(next) {
			options = normalised(next);
			return { ...options };
		},
		/** Back to the start option (a reset). */
		reset() {
			options = normalised(initial);
			firstServed.clear();
		},
		settings: () => ({ ...options }),
		/** Sends a GET's 200 JSON answer, or 304 when the request's validators still match it. */
		answer(request, response, value) {
			const body = JSON.stringify(value);
			const headers = { 'content-type': 'application/json' };
			if (!options.etag && !options.lastModified) {
				response.writeHead(200, headers);
				return response.end(body);
			}
			const digest = crypto.createHash('sha1').update(body).digest('hex');
			const validators = {};
			if (options.etag) validators.etag = `"${digest}"`;
			let modifiedMs;
			if (options.lastModified) {
				modifiedMs = servedSince(digest);
				validators['last-modified'] = new Date(modifiedMs).toUTCString();
			}
			const ifNoneMatch = request.headers['if-none-match'];
			const ifModifiedSince = Date.parse(request.headers['if-modified-since'] ?? '');
			// If-None-Match decides when sent; If-Modified-Since counts only without it (RFC 9110 13.2.2).
			const notModified =
				ifNoneMatch !== undefined
					? options.etag && tagMatches(ifNoneMatch, validators.etag)
					: options.lastModified &&
						Number.isFinite(ifModifiedSince) &&
						modifiedMs <= ifModifiedSince;
			if (notModified) {
				response.writeHead(304, validators);
				return response.end();
			}
			response.writeHead(200, { ...headers, ...validators });
			return response.end(body);
		},
	};
}

module.exports = { createConditional };
