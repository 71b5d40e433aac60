import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { londonDatastoreApiTest } from '../LondonDatastore/methods/credentialTest';
import { searchDatasets } from '../LondonDatastore/methods/listSearch';
import { getTeams } from '../LondonDatastore/methods/loadOptions';
import { siteBaseUrl } from '../LondonDatastore/transport';
import { fetchWatched } from './fetch';
import { eventItem } from './output';
import { readTriggerSettings, triggerProperties } from './settings';
import { readWatchState, runWatchPoll, testEvent } from './watch/diff';
import { scopeFingerprint, type Scope } from './watch/scope';

export class LondonDatastoreTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'London Datastore Trigger',
		name: 'londonDatastoreTrigger',
		icon: {
			light: 'file:../../icons/londonDatastore.svg',
			dark: 'file:../../icons/londonDatastore.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: '={{"Watch: " + $parameter["watch"]}}',
		description:
			'Starts the workflow when a dataset or one of its files is published, changed or removed on the London Datastore or any DataPress site',
		defaults: { name: 'London Datastore Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// The same credential test as the London Datastore node's (its own, since the credential has none).
		credentials: [
			{ name: 'londonDatastoreApi', required: true, testedBy: 'londonDatastoreApiTest' },
		],
		properties: triggerProperties,
	};

	methods = {
		credentialTest: { londonDatastoreApiTest },
		loadOptions: { getTeams },
		listSearch: { searchDatasets },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const settings = readTriggerSettings(this);
		const baseUrl = await siteBaseUrl(this);
		const staticData = this.getWorkflowStaticData('node');
		const state = readWatchState(staticData.watch);
		// Conditional reads only against the state of this very scope, and never for the test event.
		const heldFor = (watched: Scope) =>
			this.getMode() !== 'manual' && state?.scope === scopeFingerprint(watched, baseUrl)
				? state
				: undefined;
		const { fetched, scope } = await fetchWatched(this, settings, heldFor);
		const input = {
			state,
			scope: scopeFingerprint(scope, baseUrl),
			fetched,
			events: settings.events,
			nowMs: Date.now(),
			firstPollDays: settings.firstPollDays,
		};
		const chosenCount = fetched.kind === 'chosen' ? fetched.results.length : 0;
		const failures =
			fetched.kind === 'chosen'
				? fetched.results.flatMap((result) => ('failure' in result ? [result] : []))
				: [];
		const output = (event: Parameters<typeof eventItem>[0]) => ({
			json: eventItem(event, {
				simplify: settings.simplify,
				baseUrl,
				seenAt: new Date(input.nowMs).toISOString(),
			}) as IDataObject,
		});

		if (this.getMode() === 'manual') {
			// Fetch Test Event: shaped as a poll would emit it; the state is read, never written.
			if (failures.length) throw asNodeError(this, failures[0].failure);
			const event = testEvent(input);
			if (!event) {
				throw new NodeOperationError(
					this.getNode(),
					'No dataset in scope shows a change of the chosen events',
					{
						description:
							'Nothing was emitted and nothing was stored. Widen Watch or Events, or wait for a change.',
					},
				);
			}
			return [[output(event)]];
		}

		const result = runWatchPoll(input);
		const missing =
			fetched.kind === 'chosen'
				? fetched.results.flatMap((entry) => ('gone' in entry ? [entry.id] : []))
				: [];
		if (result.first && missing.length) {
			// A chosen dataset that does not exist at activation is a mistake to show, not a removal.
			throw new NodeOperationError(
				this.getNode(),
				`Invalid "Datasets": no dataset "${missing.join('", "')}" on this site (404)`,
				{ description: 'Nothing was stored. Check the IDs or page addresses chosen.' },
			);
		}
		if (failures.length && (result.first || failures.length === chosenCount)) {
			// Nothing moves: a first poll must learn every chosen dataset, else one would later look new.
			throw asNodeError(this, failures[0].failure);
		}
		if (failures.length) {
			this.logger.warn(
				`London Datastore Trigger: ${failures.length} of ${chosenCount} chosen dataset(s) could not be read (${failures.map((failure) => failure.id).join(', ')}); they are kept as they were and read again at the next poll`,
			);
		}
		if (result.suspect) {
			this.logger.warn(
				`London Datastore Trigger: the export lacked ${result.suspect.missing} of the ${result.suspect.known} datasets known, suspect of being partial: they are not taken as removed unless still missing after a few polls`,
			);
		}
		staticData.watch = result.state as unknown as IDataObject;
		if (!result.events.length) return null;
		return [result.events.map(output)];
	}
}

/** The transport already raised NodeApiError with the key scrubbed; anything else is wrapped. */
function asNodeError(context: IPollFunctions, failure: unknown): NodeApiError | NodeOperationError {
	if (failure instanceof NodeApiError || failure instanceof NodeOperationError) return failure;
	return new NodeOperationError(context.getNode(), (failure as Error)?.message ?? String(failure));
}
