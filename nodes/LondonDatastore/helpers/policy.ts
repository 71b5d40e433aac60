/** What a presigned POST's policy allows, read from its fields (S3: base64 JSON in `Policy`). */
export interface PresignPolicy {
	/** ISO time after which the storage refuses the upload. */
	expiration?: string;
	/** From a `content-length-range` condition. */
	minBytes?: number;
	maxBytes?: number;
}

/** Reads the policy of presigned fields; an absent or unreadable policy gives an empty object. */
export function readPolicy(fields: Record<string, string>): PresignPolicy {
	const encoded = fields.Policy ?? fields.policy;
	if (!encoded) return {};
	let document: unknown;
	try {
		document = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
	} catch {
		return {};
	}
	if (!document || typeof document !== 'object') return {};
	const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
	const policy: PresignPolicy = {};
	if (typeof expiration === 'string' && !Number.isNaN(Date.parse(expiration)))
		policy.expiration = expiration;
	if (Array.isArray(conditions)) {
		for (const condition of conditions) {
			if (Array.isArray(condition) && condition[0] === 'content-length-range') {
				const min = Number(condition[1]);
				const max = Number(condition[2]);
				if (Number.isFinite(min)) policy.minBytes = min;
				if (Number.isFinite(max)) policy.maxBytes = max;
			}
		}
	}
	return policy;
}

/** Why the storage will refuse a file of this size, or undefined when the policy allows it. */
export function sizeRefusal(policy: PresignPolicy, size: number): string | undefined {
	if (policy.maxBytes !== undefined && size > policy.maxBytes) {
		return `the storage policy allows at most ${policy.maxBytes} bytes and the file has ${size}`;
	}
	if (policy.minBytes !== undefined && size < policy.minBytes) {
		return `the storage policy needs at least ${policy.minBytes} bytes and the file has ${size}`;
	}
	return undefined;
}

/** Whether the policy had expired at `nowMs` (a storage that refuses early may just close the connection). */
export function policyExpired(policy: PresignPolicy, nowMs: number): boolean {
	return policy.expiration !== undefined && Date.parse(policy.expiration) <= nowMs;
}
