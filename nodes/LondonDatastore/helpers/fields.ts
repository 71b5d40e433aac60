/**
 * Set Fields on a DataPress 4 site: the node's fields are the legacy API's names; DataPress 4 keeps some
 * of them elsewhere. Pure: the wanted values and the dataset as read in, the wanted top-level values out.
 */

type Fields = Record<string, unknown>;

/** Legacy field → where DataPress 4 keeps it (datapress-v4.md, section 4). */
const MOVED: Record<string, { into: 'contact' | 'custom' | 'licence'; key: string }> = {
	maintainer: { into: 'contact', key: 'title' },
	maintainer_email: { into: 'contact', key: 'email' },
	author: { into: 'custom', key: 'author' },
	update_frequency: { into: 'custom', key: 'update_frequency' },
	licence: { into: 'licence', key: 'title' },
};

const BOTH_MEMBERS: Record<string, string[]> = {
	contact: ['title', 'email'],
	licence: ['title', 'url'],
};

function objectOr(value: unknown): Fields {
	return value && typeof value === 'object' && !Array.isArray(value)
		? { ...(value as Fields) }
		: {};
}

/**
 * The wanted values as DataPress 4 holds them: Maintainer and Maintainer Email in `contact`, Author and
 * Update Frequency in `custom`, a Licence text as the title of the `licence` object (its URL kept), each
 * merged into what the dataset has. Fields DataPress 4 has under the same name pass unchanged.
 */
export function datapress4Fields(current: Fields, desired: Fields): Fields {
	const result: Fields = {};
	const nested: Record<string, Fields> = {};
	for (const [field, value] of Object.entries(desired)) {
		const moved = MOVED[field];
		if (!moved || (value !== null && typeof value === 'object')) {
			result[field] = value;
			continue;
		}
		nested[moved.into] ??= objectOr(result[moved.into] ?? current[moved.into]);
		nested[moved.into][moved.key] = value;
	}
	for (const [field, value] of Object.entries(nested)) {
		// DataPress 4's contact and licence objects always have both members: a new one gets the other as "".
		for (const member of BOTH_MEMBERS[field] ?? []) if (!(member in value)) value[member] = '';
		result[field] = value;
	}
	return result;
}
