/**
 * Finding new applications with free counts: which days changed, and in which narrow slices of them the
 * new applications are. The finder reads the state and writes none of it: what it learns comes back as
 * plans, days found to have fallen (`staleDays`) and days left for the next poll (`deferredDays`).
 *
 * Independent counts run in parallel (the binding bounds how many are in flight), so a slow API costs
 * the depth of the search, not its size.
 *
 * Over 350 lines on purpose: the searches share their counting, the authorities and the seen
 * neighbourhood of one poll; what needs none of that (ranking address texts) is in probe.ts.
 */
import { dayIndex, shiftDay } from '../../UkPlanning/domain/days';
import {
	childPrefixes,
	childPrefixOf,
	isFullPostcode,
	normalisePostcodeKey,
} from '../../UkPlanning/domain/postcode';
import { phraseCandidates, wordCandidates, type ProbeCandidate } from './probe';
import {
	narrowingFits,
	narrowingRounds,
	payWholeWhenUnfinished,
	worthPayingWhole,
	type SliceCost,
} from './costModel';
import {
	partKey,
	partSlice,
	rangeQuery,
	seenIn,
	sliceQuery,
	splitInfo,
	WITHOUT_POSTCODE,
} from './slices';
import type { DayState, Plan, PollRunContext, Query, SeenEntry, Slice } from './types';

/** Counts started together when scanning the children of a postcode prefix or address candidates. */
const SCAN_BATCH = 4;
const MAX_WORD_PROBES = 16;
const MAX_PHRASE_PROBES = 8;

export interface DayChange {
	day: string;
	count: number;
}

/** Thrown inside a search that ran out of poll budget: the day is left for the next poll. */
export class OutOfTime extends Error {}

/**
 * Like Promise.all, but waits for every branch before failing, so that no count is left running (and
 * writing findings) after its search was given up.
 */
async function allOf<T>(branches: Array<Promise<T>>): Promise<T[]> {
	return settledValues(await Promise.allSettled(branches));
}

function settledValues<T>(settled: Array<PromiseSettledResult<T>>): T[] {
	const failure = settled.find((outcome) => outcome.status === 'rejected');
	if (failure) throw (failure as PromiseRejectedResult).reason;
	return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

/**
 * A branch started now and awaited later, settled at once: a rejection while other counts are awaited
 * must not go unhandled (Node ends a process on an unhandled rejection).
 */
async function settle<T>(branch: Promise<T>): Promise<PromiseSettledResult<T>> {
	return await branch.then(
		(value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
		(reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
	);
}

export class ChangeFinder {
	/** Days whose count fell (a withdrawal): refetched whole on their next rise. */
	readonly staleDays = new Set<string>();

	/** Days whose search did not finish (time, or a failed count): counted again by the next poll. */
	readonly deferredDays = new Set<string>();

	/** Slices narrower than their day whose search was cut short, with their counts: resumed next poll. */
	readonly frontier: Array<{ slice: Slice; count: number }> = [];

	private universe: Promise<string[] | undefined> | undefined;

	private readonly neighbourhoods = new Map<string, SeenEntry[]>();

	constructor(private readonly run: PollRunContext) {}

	async count(query: Query): Promise<number> {
		this.run.stats.requests++;
		this.run.stats.freeRequests++;
		const started = this.run.api.timeLeftMs();
		const answer = await this.run.api.count(query).catch((error: unknown) => {
			// A count refused or cut off because the budget ran out: the search stops, nothing failed.
			throw this.run.outOfTime() ? new OutOfTime() : error;
		});
		// The fastest count so far is the API's round trip; slower ones waited for a turn or a retry.
		const took = Math.max(0, started - this.run.api.timeLeftMs());
		this.fastestCountMs = Math.min(this.fastestCountMs ?? took, took);
		return Number(answer.count) || 0;
	}

	private fastestCountMs: number | undefined;

	/** One round trip of a count as measured in this poll (0 before the first). */
	get msPerRound(): number {
		return this.fastestCountMs ?? 0;
	}

	/** Time left for counts before the reserve. */
	private msLeftToCount(): number {
		return this.run.api.timeLeftMs() - this.run.cfg.reserveMs;
	}

	knownInRange(from: string, to: string): number {
		let total = 0;
		for (const [day, ds] of Object.entries(this.run.state.days)) {
			if (day >= from && day <= to) total += ds.count;
		}
		return total;
	}

	/** Every day of [from, to] whose count differs from the known one, in day order. */
	async changedDays(from: string, to: string, count: number): Promise<DayChange[]> {
		const found: DayChange[] = [];
		await this.bisect(from, to, count, found);
		return found.sort((a, b) => (a.day < b.day ? -1 : 1));
	}

	private async bisect(from: string, to: string, count: number, found: DayChange[]) {
		if (count === this.knownInRange(from, to)) return;
		if (from === to) {
			found.push({ day: from, count });
			return;
		}
		const mid = shiftDay(from, Math.floor((dayIndex(to) - dayIndex(from)) / 2));
		// Count the newer half: late publications cluster in recent days, so it changes more often,
		// and the older half follows by subtraction.
		const newer = await this.count(rangeQuery(this.run.cfg.base, shiftDay(mid, 1), to));
		let older = count - newer;
		// A publication between the two counts makes the difference too small; falls are rare (a
		// withdrawal), so one is checked with a count of its own before it is believed.
		if (older < this.knownInRange(from, mid))
			older = await this.count(rangeQuery(this.run.cfg.base, from, mid));
		await allOf([
			this.bisect(from, mid, older, found),
			this.bisect(shiftDay(mid, 1), to, newer, found),
		]);
	}

	/** The authorities to narrow by: those the filters name, else every one; none for a single one. */
	async authorities(): Promise<string[] | undefined> {
		if (!this.universe) this.universe = this.loadAuthorities();
		return await this.universe;
	}

	private async loadAuthorities(): Promise<string[] | undefined> {
		const given = (this.run.cfg.base.lpa_id ?? '')
			.split(',')
			.map((id) => id.trim())
			.filter(Boolean);
		if (given.length > 1) return given;
		if (given.length === 1) return undefined;
		this.run.stats.requests++;
		this.run.stats.freeRequests++;
		const ids = await this.run.api.lpaIds();
		return ids.length > 1 ? ids : undefined;
	}

	private plan(slice: Slice, count: number): Plan {
		return {
			kind: 'new',
			day: slice.day,
			query: sliceQuery(this.run.cfg.base, slice),
			cost: count,
			slice,
		};
	}

	/**
	 * The paid plans for one complete day whose count rose. Where a failed count or the end of the poll
	 * budget cut the search short, what it located is kept (and paid for) and the day is left over: the
	 * next poll counts it again and finds only the rest, since what was paid for is seen by then.
	 */
	async plansForDay(day: string, count: number, ds: DayState): Promise<Plan[]> {
		return await this.localise({ day }, count, ds);
	}

	/**
	 * Resumes the searches an earlier poll cut short in a day whose count has not moved since: each
	 * slice is narrowed from where it was left, with its count then.
	 */
	async resume(slices: Array<{ slice: Slice; count: number }>, ds: DayState): Promise<Plan[]> {
		const plans = await allOf(
			slices.map(async ({ slice, count }) => await this.localise(slice, count, ds)),
		);
		return plans.flat();
	}

	private leaveForNextPoll(slice: Slice, count: number) {
		this.deferredDays.add(slice.day);
		if (slice.lpas || slice.prefix !== undefined || slice.exact !== undefined)
			this.frontier.push({ slice, count });
	}

	/**
	 * Narrows a slice of one complete day whose count rose, by authority and then by postcode sector
	 * and full postcode, so that the paid queries cover as few seen applications as the counts allow.
	 */
	private async localise(slice: Slice, count: number, ds: DayState): Promise<Plan[]> {
		const seen = seenIn(ds, slice);
		const rise = count - seen.length;
		if (rise < 0) this.staleDays.add(slice.day);
		if (rise <= 0) return [];
		// Narrow further when seen applications would be paid for again, or when the slice alone is
		// bigger than Max Credits per Poll (so that it can be carried over in parts).
		const cost = { count, seen: seen.length, maxCredits: this.run.cfg.maxCredits };
		if (worthPayingWhole(cost)) return [this.plan(slice, count)];
		// A search that cannot finish before the reserve (at this poll's time per count) is not started.
		const rounds = narrowingRounds(
			slice.lpas?.length ?? 1,
			slice.prefix === undefined ? 0 : slice.prefix.length,
		);
		if (this.run.outOfTime() || !narrowingFits(rounds, this.msPerRound, this.msLeftToCount()))
			return this.unfinished(slice, cost, ds, new OutOfTime());
		return await this.narrow(slice, count, rise, seen, ds).catch((error: unknown) =>
			this.unfinished(slice, cost, ds, error),
		);
	}

	/**
	 * A search cut short (the poll budget, or a failed count): its day is left over. The slice is paid for
	 * whole when the cost model says so (a day left over before, a bounded waste); otherwise it waits for
	 * the next poll, and what its sibling branches located is paid for meanwhile.
	 */
	private unfinished(slice: Slice, cost: SliceCost, ds: DayState, error: unknown): Plan[] {
		if (!(error instanceof OutOfTime)) this.run.failed(error);
		return this.payWholeOrLeave(slice, cost, ds, []);
	}

	/**
	 * A slice whose search did not finish and located nothing inside it: paid for whole when the cost
	 * model says so (then nothing narrower is, so nothing is paid twice), or else left for the next poll
	 * with `located` (what its branches located, paid for meanwhile).
	 */
	private payWholeOrLeave(slice: Slice, cost: SliceCost, ds: DayState, located: Plan[]): Plan[] {
		if (payWholeWhenUnfinished({ ...cost, leftOverPolls: ds.deferred ?? 0 })) {
			this.deferredDays.add(slice.day);
			return [this.plan(slice, cost.count)];
		}
		this.leaveForNextPoll(slice, cost.count);
		return located;
	}

	private async narrow(
		slice: Slice,
		count: number,
		rise: number,
		seen: SeenEntry[],
		ds: DayState,
	): Promise<Plan[]> {
		const lpas = slice.lpas ?? (await this.authorities());
		if (lpas && lpas.length > 1) return await this.splitByAuthority(slice, lpas, count, seen, ds);
		if (slice.exact !== undefined || this.run.cfg.base.postcode_exact)
			return [this.plan(slice, count)];
		const prefix = slice.prefix ?? normalisePostcodeKey(this.run.cfg.base.postcode_start ?? '');
		if (isFullPostcode(prefix)) return [this.plan(slice, count)];
		return await this.splitByPostcode(slice, prefix, rise, seen, ds);
	}

	private async splitByAuthority(
		slice: Slice,
		lpas: string[],
		count: number,
		seen: SeenEntry[],
		ds: DayState,
	): Promise<Plan[]> {
		const present = new Set(seen.map((entry) => entry.lpa));
		let first = lpas.filter((id) => present.has(id));
		let second = lpas.filter((id) => !present.has(id));
		if (!first.length || !second.length) {
			first = lpas.slice(0, Math.ceil(lpas.length / 2));
			second = lpas.slice(first.length);
		}
		const firstCount = await this.count(sliceQuery(this.run.cfg.base, { ...slice, lpas: first }));
		let secondCount = count - firstCount;
		const secondSlice = { ...slice, lpas: second };
		if (secondCount < seenIn(ds, secondSlice).length)
			secondCount = await this.count(sliceQuery(this.run.cfg.base, secondSlice));
		const parts = await allOf([
			this.localise({ ...slice, lpas: first }, firstCount, ds),
			this.localise(secondSlice, secondCount, ds),
		]);
		return parts.flat();
	}

	private async splitByPostcode(
		slice: Slice,
		prefix: string,
		rise: number,
		seen: SeenEntry[],
		ds: DayState,
	): Promise<Plan[]> {
		// Children of the prefix, those holding seen applications of the slice first: a new application
		// usually sits beside seen ones. Then those where its authorities had applications on other days
		// of the window (their districts and sectors recur), then the rest of the postcode grammar; they
		// are scanned only while some of the rise is unaccounted for.
		const knownChildren = this.childTally(prefix, seen);
		const nearby = this.childTally(prefix, this.neighbourhood(slice));
		const byTally = (tally: Map<string, number>) =>
			[...tally.entries()].sort((a, b) => b[1] - a[1]).map(([child]) => child);
		const ordered = [
			...new Set([...byTally(knownChildren), ...byTally(nearby), ...childPrefixes(prefix)]),
		];
		let found = 0;
		let finished = true;
		// Each located child is narrowed while the scan goes on; settled as it starts (see `settle`).
		const located: Array<Promise<PromiseSettledResult<Plan[]>>> = [];
		for (let start = 0; start < ordered.length && found < rise; start += SCAN_BATCH) {
			// Counts only rise between polls unless something was withdrawn (the day is then marked
			// stale and refetched whole on its next rise), so the scan stops once the rise is found.
			if (this.run.outOfTime()) {
				finished = false;
				break;
			}
			const batch = ordered.slice(start, start + SCAN_BATCH);
			let counts: number[];
			try {
				counts = await allOf(
					batch.map(
						async (childPrefix) =>
							await this.count(sliceQuery(this.run.cfg.base, { ...slice, prefix: childPrefix })),
					),
				);
			} catch (error) {
				if (!(error instanceof OutOfTime)) this.run.failed(error);
				finished = false;
				break;
			}
			batch.forEach((childPrefix, index) => {
				const childKnown = knownChildren.get(childPrefix) ?? 0;
				if (counts[index] < childKnown) this.staleDays.add(slice.day);
				if (counts[index] <= childKnown) return;
				found += counts[index] - childKnown;
				located.push(settle(this.localise({ ...slice, prefix: childPrefix }, counts[index], ds)));
			});
		}
		const plans = settledValues(await Promise.all(located)).flat();
		if (!finished) {
			// The children located are paid for; the rest of the rise is left for the next poll, unless
			// the cost model pays the slice whole (then nothing narrower is, so nothing is paid twice).
			const cost = {
				count: seen.length + rise,
				seen: seen.length,
				maxCredits: this.run.cfg.maxCredits,
			};
			if (found === 0) return this.payWholeOrLeave(slice, cost, ds, plans);
			// The slice is resumed next poll; what was located inside it and not paid for by then is
			// located again there (not kept apart, so that it is not paid for twice).
			this.leaveForNextPoll(slice, cost.count);
			return plans;
		}
		if (found >= rise) return plans;
		// The rest of the rise has no postcode (or one no prefix reaches). After the located ones are
		// paid for, free counts by address text try to isolate it (see `narrowResidual`).
		const whole = this.plan(slice, seen.length + rise);
		if (this.run.cfg.base.address) return [whole];
		return [...plans, { ...whole, kind: 'residual', slice }];
	}

	private childTally(prefix: string, entries: SeenEntry[]): Map<string, number> {
		const tally = new Map<string, number>();
		for (const entry of entries) {
			const child = childPrefixOf(prefix, entry.postcode);
			if (child) tally.set(child, (tally.get(child) ?? 0) + 1);
		}
		return tally;
	}

	/** The seen applications of the slice's authorities over the whole window: their streets recur. */
	private neighbourhood(slice: Slice): SeenEntry[] {
		const key = (slice.lpas ?? []).join(',');
		let entries = this.neighbourhoods.get(key);
		if (!entries) {
			const lpas = slice.lpas ? new Set(slice.lpas) : undefined;
			entries = [];
			for (const day of Object.values(this.run.state.days)) {
				for (const info of Object.values(day.seen)) {
					const entry = splitInfo(info);
					if (!lpas || lpas.has(entry.lpa)) entries.push(entry);
				}
			}
			this.neighbourhoods.set(key, entries);
		}
		return entries;
	}

	/** Counts candidates in batches until some hold new applications; the cheapest of that batch. */
	private async firstHit(
		slice: Slice,
		candidates: ProbeCandidate[],
	): Promise<{ candidate: ProbeCandidate; count: number } | undefined> {
		for (let start = 0; start < candidates.length; start += SCAN_BATCH) {
			if (this.run.outOfTime()) throw new OutOfTime();
			const batch = candidates.slice(start, start + SCAN_BATCH);
			const counts = await allOf(
				batch.map(
					async (candidate) =>
						await this.count(sliceQuery(this.run.cfg.base, { ...slice, address: candidate.text })),
				),
			);
			let best: { candidate: ProbeCandidate; count: number } | undefined;
			batch.forEach((candidate, index) => {
				if (counts[index] <= candidate.known) return;
				if (!best || counts[index] < best.count) best = { candidate, count: counts[index] };
			});
			if (best) return best;
		}
		return undefined;
	}

	/**
	 * A narrower plan for a residual slice (new applications no postcode reaches), by address text, or
	 * undefined when none of the candidates holds one. The state's seen set includes this poll's other
	 * new applications by now, so a count above the seen ones is the residual.
	 */
	async narrowResidual(slice: Slice, ds: DayState): Promise<Plan | undefined> {
		const seen = seenIn(ds, slice);
		const neighbourhood = this.neighbourhood(slice);
		const words = wordCandidates(seen, neighbourhood).slice(0, MAX_WORD_PROBES);
		const word = await this.firstHit(slice, words);
		if (!word) return undefined;
		let best = word;
		if (word.candidate.known > 0) {
			const phrases = phraseCandidates(word.candidate, seen, neighbourhood).slice(
				0,
				MAX_PHRASE_PROBES,
			);
			const phrase = await this.firstHit(slice, phrases);
			if (phrase && phrase.count < best.count) best = phrase;
		}
		return this.plan({ ...slice, address: best.candidate.text }, best.count);
	}

	/**
	 * The parts' counts of a day not learned yet (see DayState.partCounts), taken while its count is
	 * still the one seen at activation, so that applications published to it before it is learned can be
	 * told apart where their part had none that day. Groups of authorities are split only where they hold
	 * some, so it costs about one count per authority with applications that day, whatever their number;
	 * an authority's part bigger than Max Credits per Poll is then split by postcode (see partsByPostcode).
	 * Undefined when a single authority is watched and the day fits the cap: it is learned whole.
	 */
	async snapshot(day: string, dayCount: number): Promise<Record<string, number> | undefined> {
		const lpas = await this.authorities();
		if (!lpas && dayCount <= this.run.cfg.maxCredits) return undefined;
		const counts: Record<string, number> = {};
		const split = async (group: string[], groupCount: number): Promise<void> => {
			if (groupCount <= 0) return;
			if (group.length === 1) {
				await this.partsByPostcode({ day, lpas: group }, '', groupCount, counts);
				return;
			}
			if (this.run.outOfTime()) throw new OutOfTime();
			const half = group.slice(0, Math.ceil(group.length / 2));
			const halfCount = await this.count(sliceQuery(this.run.cfg.base, { day, lpas: half }));
			await allOf([
				split(half, halfCount),
				split(group.slice(half.length), groupCount - halfCount),
			]);
		};
		try {
			if (lpas) await split(lpas, dayCount);
			else await this.partsByPostcode({ day }, '', dayCount, counts);
			// A publication meanwhile would be counted as old: the day must still hold what it did.
			if ((await this.count(sliceQuery(this.run.cfg.base, { day }))) !== dayCount) return undefined;
		} catch (error) {
			if (!(error instanceof OutOfTime)) this.run.failed(error);
			return undefined;
		}
		return counts;
	}

	/**
	 * Records a part of an unlearned day, split by the postcode grammar into parts that fit Max Credits
	 * per Poll. What the postcode areas of an authority's day do not add up to is its part without a
	 * postcode (`WITHOUT_POSTCODE`; learned by address text, see PollRun.payWithoutPostcode). A part
	 * below that is kept whole (and learned over the cap, alone in its poll) when its children do not add
	 * up to it (a count that moved meanwhile), as is a full postcode with more applications than the
	 * cap, or any part when the poll budget runs short.
	 */
	private async partsByPostcode(
		slice: Slice,
		postcode: string,
		count: number,
		into: Record<string, number>,
	): Promise<void> {
		const lpa = slice.lpas?.[0];
		const keepWhole = () => {
			into[partKey(lpa, postcode)] = count;
		};
		const start = postcode || normalisePostcodeKey(this.run.cfg.base.postcode_start ?? '');
		if (
			count <= this.run.cfg.maxCredits ||
			this.run.cfg.base.postcode_exact ||
			isFullPostcode(start) ||
			this.run.outOfTime()
		)
			return keepWhole();
		// Areas and districts where the authority had applications on days already learned first: they recur.
		const nearby = this.childTally(start, this.neighbourhood(slice));
		const ordered = [
			...new Set([
				...[...nearby.entries()].sort((a, b) => b[1] - a[1]).map(([child]) => child),
				...childPrefixes(start),
			]),
		];
		const children: Array<[string, number]> = [];
		let found = 0;
		for (let first = 0; first < ordered.length && found < count; first += SCAN_BATCH) {
			if (this.run.outOfTime()) return keepWhole();
			const batch = ordered.slice(first, first + SCAN_BATCH);
			const counts = await allOf(
				batch.map(
					async (child) =>
						await this.count(
							sliceQuery(this.run.cfg.base, partSlice(slice.day, partKey(lpa, child))),
						),
				),
			);
			batch.forEach((child, index) => {
				if (counts[index] <= 0) return;
				found += counts[index];
				children.push([child, counts[index]]);
			});
		}
		const topLevel = start === '';
		if (found > count || (found < count && !topLevel)) return keepWhole();
		if (found < count) into[partKey(lpa, WITHOUT_POSTCODE)] = count - found;
		await allOf(
			children.map(async ([child, childCount]) => {
				await this.partsByPostcode(slice, child, childCount, into);
			}),
		);
	}
}
