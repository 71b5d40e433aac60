import { applyPatch, deepClone, type Operation } from 'fast-json-patch/module/core';
import { compare } from 'fast-json-patch/module/duplex';

/** A JSON Patch operation as users and the API exchange it (RFC 6902). */
export interface PatchOperation {
	op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
	path: string;
	value?: unknown;
	from?: string;
}

/** What is wrong with a patch: a message naming the operation, and its 0-based index (-1: the whole patch). */
export interface PatchProblem {
	problem: string;
	index: number;
}

const KNOWN_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];
const NEEDS_VALUE = ['add', 'replace', 'test'];
const NEEDS_FROM = ['move', 'copy'];
/** DataPress refuses these whole patches; checking first gives the user the offending operation. */
const IMMUTABLE_ROOTS = ['id', 'readonly'];

export function describeOperation(operation: unknown, index: number): string {
	if (operation && typeof operation === 'object') {
		const { op, path } = operation as Record<string, unknown>;
		const opText = typeof op === 'string' ? op : '?';
		const pathText = typeof path === 'string' ? path : '?';
		return `operation ${index + 1} (${opText} ${pathText})`;
	}
	return `operation ${index + 1}`;
}

function isJsonPointer(value: unknown): value is string {
	return typeof value === 'string' && (value === '' || value.startsWith('/'));
}

function immutableTarget(pointer: string): string | undefined {
	if (pointer === '') return 'the whole dataset';
	const firstToken = pointer.split('/')[1];
	return IMMUTABLE_ROOTS.includes(firstToken) ? `/${firstToken}` : undefined;
}

function problemWith(operation: unknown, index: number): string | undefined {
	const where = describeOperation(operation, index);
	if (!operation || typeof operation !== 'object' || Array.isArray(operation)) {
		return `Patch ${where} is not an object`;
	}
	const { op, path, from } = operation as Record<string, unknown>;
	if (typeof op !== 'string' || !KNOWN_OPS.includes(op)) {
		return `Patch ${where}: "op" must be one of ${KNOWN_OPS.join(', ')}`;
	}
	if (!isJsonPointer(path)) {
		return `Patch ${where}: "path" must be a JSON Pointer starting with "/"`;
	}
	if (NEEDS_VALUE.includes(op) && !('value' in operation)) {
		return `Patch ${where}: "${op}" needs a "value"`;
	}
	if (NEEDS_FROM.includes(op) && !isJsonPointer(from)) {
		return `Patch ${where}: "${op}" needs a "from" JSON Pointer starting with "/"`;
	}
	const immutable = immutableTarget(path);
	if (immutable !== undefined) {
		return `Patch ${where} would change ${immutable}, which DataPress does not allow ("id" and "readonly" are immutable)`;
	}
	// DataPress refuses a patch that names them anywhere, also as the source of a copy.
	const source = NEEDS_FROM.includes(op) ? immutableTarget(from as string) : undefined;
	if (source !== undefined) {
		return `Patch ${where} would ${op} from ${source}, which DataPress does not allow ("id" and "readonly" may not be patched)`;
	}
	return undefined;
}

/**
 * Checks a patch before it is sent: every operation well formed, none touching the immutable fields.
 * Returns the operations, or the first problem naming its operation.
 */
export function checkPatch(patch: unknown): { operations: PatchOperation[] } | PatchProblem {
	if (!Array.isArray(patch)) {
		return { problem: 'The patch must be a JSON array of operations', index: -1 };
	}
	for (let index = 0; index < patch.length; index++) {
		const problem = problemWith(patch[index], index);
		if (problem !== undefined) return { problem, index };
	}
	return { operations: patch as PatchOperation[] };
}

export function isProblem(value: object): value is PatchProblem {
	return 'problem' in value;
}

/** Fields the API computes or protects; Set Fields never diffs them. */
const NOT_SETTABLE = ['id', 'readonly'];

/**
 * The minimal patch that gives each of the desired top-level fields exactly its desired value,
 * leaving every other field alone.
 */
export function diffFields(
	current: Record<string, unknown>,
	desired: Record<string, unknown>,
): { operations: PatchOperation[] } | PatchProblem {
	const before: Record<string, unknown> = {};
	const after: Record<string, unknown> = {};
	for (const [field, value] of Object.entries(desired)) {
		if (NOT_SETTABLE.includes(field)) {
			return {
				problem: `Field "${field}" cannot be set: "id" and "readonly" are immutable`,
				index: -1,
			};
		}
		if (value === undefined) continue;
		if (field in current) before[field] = current[field];
		after[field] = value;
	}
	return { operations: compare(before, after) as PatchOperation[] };
}

export function testUpdatedAt(expected: string): PatchOperation {
	return { op: 'test', path: '/updatedAt', value: expected };
}

/**
 * Sets updatedAt to `now`, or to 1 ms after the latest stamp already known when the clock has not
 * passed it (an edit in the same millisecond, or a clock behind the server's): a bump that left the
 * stamp as it was would let a stale Only If Unchanged Since pass.
 */
export function bumpUpdatedAt(now: Date, ...knownStamps: unknown[]): PatchOperation {
	let stampMs = now.getTime();
	for (const known of knownStamps) {
		const knownMs = typeof known === 'string' ? Date.parse(known) : Number.NaN;
		if (Number.isFinite(knownMs) && knownMs >= stampMs) stampMs = knownMs + 1;
	}
	return { op: 'replace', path: '/updatedAt', value: new Date(stampMs).toISOString() };
}

export type PatchPreview<T> = { dataset: T } | { conflict: string; index: number } | PatchProblem;

/** The dataset as the patch would make it, computed on a copy (Dry Run). */
export function previewPatch<T extends object>(
	dataset: T,
	patch: PatchOperation[],
): PatchPreview<T> {
	try {
		return {
			dataset: applyPatch(deepClone(dataset), patch as Operation[], true, true).newDocument,
		};
	} catch (error) {
		const failure = error as { name?: string; index?: number; message?: string };
		const index = failure.index ?? -1;
		const where = index >= 0 ? describeOperation(patch[index], index) : 'the patch';
		if (failure.name === 'TEST_OPERATION_FAILED') {
			return { conflict: `${where} failed: the value differs`, index };
		}
		const reason = (failure.message ?? '').split('\n')[0];
		return { problem: `Patch ${where} cannot be applied: ${reason}`, index };
	}
}
