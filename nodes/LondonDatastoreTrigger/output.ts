/** An event as the trigger's output item, pure. */
import { simplifyDataset } from '../LondonDatastore/helpers/simplify';
import type { Json, WatchEvent } from './watch/types';

export function eventItem(
	event: WatchEvent,
	{ simplify, baseUrl, seenAt }: { simplify: boolean; baseUrl: string; seenAt: string },
): Json {
	const removed = event.event === 'datasetRemoved' || !('createdAt' in event.dataset);
	return {
		event: event.event,
		seenAt,
		// A removed dataset is only what the state kept (id, title, updatedAt): nothing to simplify.
		dataset: simplify && !removed ? simplifyDataset(event.dataset, baseUrl) : event.dataset,
		...(event.changes ? { changes: event.changes } : {}),
		...(event.file ? { file: event.file } : {}),
	};
}
