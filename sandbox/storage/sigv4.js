/**
 * S3 presigned POST policies, signed and verified with AWS Signature Version 4 as S3 does: the policy
 * document (base64 JSON with an expiration and conditions) is the string to sign, with a signing key
 * derived from the secret, the date, the region and the service. Pure functions, no I/O.
 */
'use strict';

const crypto = require('node:crypto');

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Form fields the policy does not have to list (S3's rules). */
const UNCONDITIONED_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

function hmac(key, text) {
	return crypto.createHmac('sha256', key).update(text, 'utf8').digest();
}

/** yyyymmddThhmmssZ */
function amzDate(ms) {
	return new Date(ms)
		.toISOString()
		.replace(/[-:]/g, '')
		.replace(/\.\d{3}/, '');
}

function signingKey(secretAccessKey, day, region) {
	return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), 's3'), 'aws4_request');
}

function signPolicy(policyBase64, { secretAccessKey, day, region }) {
	return crypto
		.createHmac('sha256', signingKey(secretAccessKey, day, region))
		.update(policyBase64, 'utf8')
		.digest('hex');
}

/**
 * The `{ url, fields }` of a presigned POST for one object key, as the AWS SDK's createPresignedPost gives it.
 * `maxBytes` becomes a content-length-range condition; the client may add `success_action_status` and
 * `Content-Type` (the policy allows any value for them, as boto3's Conditions commonly do).
 */
function presignPost({
	url,
	bucket,
	key,
	region,
	accessKeyId,
	secretAccessKey,
	nowMs,
	expiresInSeconds,
	maxBytes,
}) {
	const date = amzDate(nowMs);
	const day = date.slice(0, 8);
	const credential = `${accessKeyId}/${day}/${region}/s3/aws4_request`;
	const fields = {
		bucket,
		'X-Amz-Algorithm': ALGORITHM,
		'X-Amz-Credential': credential,
		'X-Amz-Date': date,
		key,
	};
	const conditions = [
		{ bucket },
		['eq', '$key', key],
		['content-length-range', 0, maxBytes],
		['starts-with', '$success_action_status', ''],
		['starts-with', '$Content-Type', ''],
		{ 'X-Amz-Algorithm': ALGORITHM },
		{ 'X-Amz-Credential': credential },
		{ 'X-Amz-Date': date },
	];
	const policy = {
		expiration: new Date(nowMs + expiresInSeconds * 1000).toISOString(),
		conditions,
	};
	const policyBase64 = Buffer.from(JSON.stringify(policy)).toString('base64');
	fields.Policy = policyBase64;
	fields['X-Amz-Signature'] = signPolicy(policyBase64, { secretAccessKey, day, region });
	return { url, fields };
}

function s3Error(status, code, message) {
	return { status, code, message };
}

/**
 * Checks the form fields that came before the file against the signature and the policy, as S3 does.
 * Field names are compared case-insensitively (S3 does). Returns `{ error }` or the accepted upload:
 * `{ key, lengthRange, successActionStatus, contentType }`.
 */
function verifyPost(rawFields, { bucket, region, secrets, nowMs }) {
	const fields = {};
	for (const [name, value] of Object.entries(rawFields)) fields[name.toLowerCase()] = value;
	if (fields.key === undefined) {
		return {
			error: s3Error(
				400,
				'InvalidArgument',
				"Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
			),
		};
	}
	// A POST without a policy is anonymous; the bucket is not publicly writable.
	if (!fields.policy) return { error: s3Error(403, 'AccessDenied', 'Access Denied') };
	if (fields['x-amz-algorithm'] !== ALGORITHM) {
		return {
			error: s3Error(400, 'InvalidArgument', `Only ${ALGORITHM} is supported for x-amz-algorithm`),
		};
	}
	const credential = String(fields['x-amz-credential'] || '').split('/');
	if (credential.length !== 5 || credential[3] !== 's3' || credential[4] !== 'aws4_request') {
		return { error: s3Error(400, 'InvalidArgument', 'Invalid x-amz-credential') };
	}
	const [accessKeyId, day, credentialRegion] = credential;
	const secretAccessKey = secrets[accessKeyId];
	if (!secretAccessKey)
		return {
			error: s3Error(
				403,
				'InvalidAccessKeyId',
				'The AWS Access Key Id you provided does not exist in our records.',
			),
		};
	if (credentialRegion !== region) {
		return {
			error: s3Error(
				400,
				'AuthorizationQueryParametersError',
				`The region '${credentialRegion}' is wrong; expecting '${region}'`,
			),
		};
	}
	const expected = signPolicy(fields.policy, { secretAccessKey, day, region });
	const given = String(fields['x-amz-signature'] || '');
	if (
		given.length !== expected.length ||
		!crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))
	) {
		return {
			error: s3Error(
				403,
				'SignatureDoesNotMatch',
				'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
			),
		};
	}

	let policy;
	try {
		policy = JSON.parse(Buffer.from(fields.policy, 'base64').toString('utf8'));
	} catch {
		return { error: s3Error(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.') };
	}
	if (
		!policy ||
		!policy.expiration ||
		Number.isNaN(Date.parse(policy.expiration)) ||
		!Array.isArray(policy.conditions)
	) {
		return {
			error: s3Error(
				400,
				'InvalidPolicyDocument',
				'Invalid Policy: expiration and conditions are required.',
			),
		};
	}
	if (Date.parse(policy.expiration) <= nowMs)
		return { error: s3Error(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.') };

	const covered = new Set();
	let lengthRange;
	for (const condition of policy.conditions) {
		let name;
		let check;
		if (Array.isArray(condition)) {
			if (condition[0] === 'content-length-range') {
				lengthRange = { min: Number(condition[1]), max: Number(condition[2]) };
				continue;
			}
			const [operator, variable, value] = condition;
			name = String(variable).replace(/^\$/, '').toLowerCase();
			// An optional starts-with "" condition is met by an absent field; any other condition needs the field.
			check =
				operator === 'starts-with'
					? (actual) => (actual === undefined ? value === '' : String(actual).startsWith(value))
					: (actual) => actual !== undefined && String(actual) === String(value);
		} else {
			name = Object.keys(condition)[0].toLowerCase();
			const value = Object.values(condition)[0];
			check = (actual) => actual !== undefined && String(actual) === String(value);
		}
		covered.add(name);
		const actual =
			name === 'bucket' ? (fields.bucket !== undefined ? fields.bucket : bucket) : fields[name];
		if (!check(actual)) {
			return {
				error: s3Error(
					403,
					'AccessDenied',
					`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`,
				),
			};
		}
	}
	for (const name of Object.keys(fields)) {
		if (UNCONDITIONED_FIELDS.has(name) || name.startsWith('x-ignore-') || covered.has(name))
			continue;
		return {
			error: s3Error(
				403,
				'AccessDenied',
				`Invalid according to Policy: Extra input fields: ${name}`,
			),
		};
	}
	return {
		key: fields.key,
		lengthRange,
		successActionStatus: fields.success_action_status,
		contentType: fields['content-type'],
	};
}

function errorXml({ code, message }, extra = {}) {
	const more = Object.entries(extra)
		.map(([name, value]) => `<${name}>${value}</${name}>`)
		.join('');
	return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${more}<RequestId>${crypto.randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
}

module.exports = { ALGORITHM, presignPost, verifyPost, signPolicy, amzDate, errorXml };
