/**
 * Running as a tool of n8n's AI Agent. A model calls the tool, fills the parameters the workflow hands it
 * with `$fromAI()`, and reads every word of the answer into its context: the answer is one compact item
 * (a summary line first, a bounded list), and a bad value comes back as a result it can correct.
 */
import { NodeConnectionTypes, type IExecuteFunctions, type INode } from 'n8n-workflow';

/** Most applications, datasets or authorities one tool answer lists. */
export const TOOL_ITEM_LIMIT = 25;

/**
 * Whether n8n runs the node as an agent's tool. n8n 2.x runs a tool in one of two ways: in a context that
 * says so (`isToolExecution()`, when the agent asks the tool through LangChain), or as a node of its own
 * whose output is rewired to the agent (`rewireOutputLogTo`, when the agent hands the engine its tool
 * calls; that context's `isToolExecution()` answers false). Either way the node is the tool variant n8n
 * made of it (type `<package>.<name>Tool`).
 */
export function isToolExecution(context: IExecuteFunctions): boolean {
	const asked = context as { isToolExecution?: () => boolean };
	if (typeof asked.isToolExecution === 'function' && asked.isToolExecution()) return true;
	const node = context.getNode() as INode & { rewireOutputLogTo?: string };
	return node.rewireOutputLogTo === NodeConnectionTypes.AiTool || /Tool$/.test(node.type);
}

/** The key of the `$fromAI()` that fills a parameter (by its dotted path in the node's parameters), if any. */
export function fromAiKeyOf(parameters: unknown, path: string): string | undefined {
	let value: unknown = parameters;
	for (const part of path.split('.')) {
		if (!value || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[part];
	}
	if (value && typeof value === 'object' && 'value' in value)
		value = (value as { value: unknown }).value; // a resource locator holds its value inside
	if (typeof value !== 'string') return undefined;
	const match = /\$from[Aa][Ii]\(\s*(['"`])([^'"`]*)\1/.exec(value);
	return match ? match[2] : undefined;
}

/** ` (tool argument "postcode")` when the model filled the parameter, so that it knows which value to fix. */
export function toolArgumentNote(node: INode, path: string): string {
	const key = fromAiKeyOf(node.parameters, path);
	return key ? ` (tool argument "${key}")` : '';
}

/** Whether a parameter is filled by the model: a setting that must stay the user's is refused then. */
export function isFilledByModel(node: INode, path: string): boolean {
	return fromAiKeyOf(node.parameters, path) !== undefined;
}

/** The first `limit` entries, and whether any were left out. */
export function bounded<T>(entries: T[], limit = TOOL_ITEM_LIMIT): { shown: T[]; leftOut: number } {
	return { shown: entries.slice(0, limit), leftOut: Math.max(0, entries.length - limit) };
}

/** "1 application", "3 applications". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
	return `${count} ${count === 1 ? noun : nouns}`;
}
