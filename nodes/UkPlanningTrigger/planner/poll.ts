/**
 * The poll planner: finds where new applications are with free counts (finder.ts), pays only for narrow
 * queries (payer.ts), and returns the applications not seen before with the next state. It never
 * mutates the state it is given, so a poll run twice from the same state plans the same thing.
 *
 * A failed request does not fail the poll: its part (a day to count again, a query to pay for) is left to
 * the next poll, whose counts find it again, and everything else the poll established is kept.
 *
 * Over 350 lines on purpose: one poll's steps, and activation's, read in the order they run.
 */
import { serverDay, shiftDay } from '../../UkPlanning/domain/days';
import { ChangeFinder, OutOfTime, type DayChange } from './finder';
import { Payer } from './payer';
import {
	isWholeAuthority,
	isWithoutPostcode,
	partAuthority,
	partSlice,
	rangeQuery,
	seenIn,
	sliceQuery,
	sliceWithin,
} from './slices';
import { readState, STATE_VERSION } from './state';
import type {
	DayState,
	Plan,
	PlannerApi,
	PlannerConfig,
	PollResult,
	PollRunContext,
	PendingSlice,
	PollStats,
	Slice,
	TriggerState,
} from './types';

/** Paid requests stop when less than this share of the reserve is left. */
const PAY_INTO_RESERVE = 0.85;
/** Changed days searched at once (each search has parallel counts of its own). */
const DAYS_SEARCHED_AT_ONCE = 6;

function newStats(): PollStats {
	return {
		activated: false,
		requests: 0,
		freeRequests: 0,
		paidRequests: 0,
		credits: 0,
		emitted: 0,
		learned: 0,
		unresolved: 0,
		carriedOver: 0,
		deferredDays: 0,
		failures: 0,
		resent: 0,
	};
}

const messageOf = (error: unknown): string => (error as Error)?.message ?? String(error);

function runContext(cfg: PlannerConfig, api: PlannerApi, state: TriggerState): PollRunContext {
	const stats = newStats();
	let first: unknown;
	return {
		cfg,
		api,
		state,
		stats,
		outOfTime: () => api.timeLeftMs() < cfg.reserveMs,
		// Paying what the counts located goes on a little into the reserve.
		outOfTimeToPay: () => api.timeLeftMs() < cfg.reserveMs * PAY_INTO_RESERVE,
		failed(error: unknown) {
			if (stats.failures++ === 0) first = error;
			stats.partialError ??= messageOf(error);
		},
		resent(error: unknown) {
			stats.resent++;
			stats.resentError ??= messageOf(error);
		},
		firstFailure: () => first,
	};
}

/** One poll's work, from what changed to what was paid for. */
class PollRun {
	readonly finder: ChangeFinder;

	constructor(readonly run: PollRunContext) {
		this.finder = new ChangeFinder(run);
	}

	get state(): TriggerState {
		return this.run.state;
	}

	/** Turns days whose count changed into paid plans; counts that fell are recorded. */
	async plansForChanges(changed: DayChange[]): Promise<Plan[]> {
		const rising: Array<{ day: string; count: number; ds: DayState }> = [];
		const refresh: Plan[] = [];
		for (const { day, count } of changed) {
			let ds = this.state.days[day];
			if (!ds) {
				if (count <= 0) continue;
				ds = this.state.days[day] = { count: 0, seen: {}, complete: 1 };
			}
			if (!ds.complete) {
				// Not learned yet: a fall is recorded; a rise is sorted out when the day is learned (and
				// is what learning it whole costs).
				if (count > ds.count) this.risenTo.set(day, count);
				if (count < ds.count) {
					ds.count = count;
					delete ds.partCounts;
				}
				continue;
			}
			if (count < ds.count) {
				ds.count = count;
				ds.stale = 1;
				continue;
			}
			if (count === ds.count) continue;
			if (ds.stale) {
				refresh.push({
					kind: 'refresh',
					day,
					query: rangeQuery(this.run.cfg.base, day, day),
					cost: count,
				});
				continue;
			}
			this.riseByDay.set(day, count - ds.count);
			rising.push({ day, count, ds });
		}
		// Days left over by the last poll first, then in the backlog's order, a few at a time: a search cut
		// short by the budget then leaves some days whole rather than every day half-searched.
		const sign = this.run.cfg.backlogOrder === 'oldestFirst' ? 1 : -1;
		const queue = [...rising].sort(
			(a, b) => Number(!!b.ds.deferred) - Number(!!a.ds.deferred) || (a.day < b.day ? -sign : sign),
		);
		const located: Plan[][] = [];
		const searchNext = async (): Promise<void> => {
			const next = queue.shift();
			if (!next) return;
			const { day, count, ds } = next;
			this.observed.set(day, count);
			// Located by an earlier poll and the day unchanged since: pay without counting again.
			if (ds.pending?.count === count) {
				const toPay = ds.pending.slices.filter((pending) => !pending.narrow);
				const toNarrow = ds.pending.slices.filter((pending) => pending.narrow);
				located.push([
					...this.pendingPlans(day, toPay),
					...(await this.finder.resume(toNarrow, ds)),
				]);
			} else located.push(await this.finder.plansForDay(day, count, ds));
			await searchNext();
		};
		await Promise.all(Array.from({ length: DAYS_SEARCHED_AT_ONCE }, searchNext));
		for (const day of this.finder.staleDays)
			if (this.state.days[day]) this.state.days[day].stale = 1;
		for (const { day, ds } of rising) {
			if (this.finder.deferredDays.has(day)) ds.deferred = (ds.deferred ?? 0) + 1;
			else delete ds.deferred;
		}
		this.run.stats.deferredDays = this.finder.deferredDays.size;
		return [...refresh, ...located.flat()];
	}

	private readonly riseByDay = new Map<string, number>();

	/** Days not learned yet whose count rose since activation, with the count this poll saw. */
	private readonly risenTo = new Map<string, number>();

	/** The count of each rising day as this poll saw it. */
	private readonly observed = new Map<string, number>();

	private pendingPlans(day: string, slices: PendingSlice[]): Plan[] {
		return slices.map(({ slice, count, residual }) => ({
			kind: residual ? ('residual' as const) : ('new' as const),
			day,
			query: sliceQuery(this.run.cfg.base, slice),
			cost: count,
			slice,
		}));
	}

	/** What was located and not paid for waits in the state for the next poll (see DayState.pending). */
	keepPending(unpaid: Plan[]) {
		for (const [day, count] of this.observed) {
			const ds = this.state.days[day];
			if (!ds) continue;
			const frontier = this.finder.frontier.filter((entry) => entry.slice.day === day);
			const slices: PendingSlice[] = unpaid
				.filter((plan) => plan.day === day && plan.slice && plan.kind !== 'learn')
				// Inside a slice resumed next poll: located again there.
				.filter((plan) => !frontier.some((entry) => sliceWithin(plan.slice as Slice, entry.slice)))
				.map((plan) => ({
					slice: plan.slice as Slice,
					count: plan.cost,
					...(plan.kind === 'residual' ? { residual: 1 as const } : {}),
				}));
			for (const { slice, count: sliceCount } of frontier)
				slices.push({ slice, count: sliceCount, narrow: 1 });
			// A day cut short at its top (no narrower slice to resume) is searched afresh next poll.
			const resumable = !this.finder.deferredDays.has(day) || frontier.length > 0;
			if (slices.length && resumable) ds.pending = { count, slices };
			else delete ds.pending;
		}
	}

	orderNew(plans: Plan[]): Plan[] {
		const sign = this.run.cfg.backlogOrder === 'oldestFirst' ? 1 : -1;
		return plans
			.map((plan, index) => ({ plan, index }))
			.sort((a, b) =>
				a.plan.day === b.plan.day ? a.index - b.index : a.plan.day < b.plan.day ? -sign : sign,
			)
			.map((entry) => entry.plan);
	}

	/**
	 * Days not learned yet, newest first (late publications cluster in recent days). A day bigger than
	 * what is left of Max Credits per Poll is learned one part at a time where its parts' counts are
	 * known (an authority's applications, or those of one postcode area, district, sector or postcode
	 * of it), so that the cap holds and nothing learned is paid for twice.
	 */
	learnPlans(): Plan[] {
		let left = this.run.cfg.maxCredits;
		const plans: Plan[] = [];
		const unlearned = Object.entries(this.state.days)
			.filter(([, ds]) => !ds.complete)
			.sort(([a], [b]) => (a < b ? 1 : -1));
		for (const [day, ds] of unlearned) {
			const parts = ds.partCounts;
			const wholeCost = this.risenTo.get(day) ?? ds.count;
			if (parts && (wholeCost > left || ds.learnedParts?.length)) {
				// Publications since activation may lie in any part: each plan of the day may cost that more.
				const rise = Math.max(0, wholeCost - ds.count);
				const learned = new Set(ds.learnedParts ?? []);
				// Parts without a postcode last: they are told apart by address once the others are seen.
				const ordered = Object.entries(parts).sort(
					([a], [b]) => Number(isWithoutPostcode(a)) - Number(isWithoutPostcode(b)),
				);
				// Whole authorities' parts go together, several authorities to a query, as many as the
				// cap allows: a national day has hundreds, and each request costs the API's latency.
				let group: { parts: string[]; cost: number } | undefined;
				const flush = () => {
					if (!group) return;
					const lpas = group.parts.map(partAuthority);
					plans.push({
						kind: 'learn',
						day,
						query: sliceQuery(this.run.cfg.base, { day, lpas }),
						cost: group.cost + rise,
						...(group.parts.length === 1 ? { part: group.parts[0] } : { parts: group.parts }),
					});
					group = undefined;
				};
				for (const [part, count] of ordered) {
					if (count <= 0 || learned.has(part)) continue;
					if (isWholeAuthority(part)) {
						// What is left of this poll's cap first, then whole caps for the polls after.
						const atStart = left + (group ? group.cost + rise : 0);
						const limit = atStart > 0 ? atStart : this.run.cfg.maxCredits;
						if (group && group.cost + rise + count > limit) flush();
						if (!group) left -= rise;
						group = group ?? { parts: [], cost: 0 };
						group.parts.push(part);
						group.cost += count;
						left -= count;
						continue;
					}
					flush();
					plans.push({
						kind: 'learn',
						day,
						query: sliceQuery(this.run.cfg.base, partSlice(day, part)),
						cost: count + rise,
						part,
					});
					left -= count + rise;
				}
				flush();
				continue;
			}
			plans.push({
				kind: 'learn',
				day,
				query: rangeQuery(this.run.cfg.base, day, day),
				cost: wholeCost,
			});
			left -= wholeCost;
		}
		return plans;
	}

	/**
	 * The parts' counts of the days that this poll will not learn, taken while each still holds what it
	 * held at activation (see ChangeFinder.snapshot). Free counts. With `straddling`, only the day this
	 * poll learns in part (the cap runs out inside it): the others are counted after the paying, so that
	 * the days this poll learns are fetched before late publications reach them.
	 *
	 * A day that rose since activation is snapshotted at the count this poll saw: the applications
	 * published to it before then cannot be told from older ones and are counted as unresolved now, and
	 * those published after the snapshot are told apart by its parts as usual.
	 */
	async snapshotUnlearned(plans: Plan[] = [], straddling = false) {
		let left = this.run.cfg.maxCredits;
		const learnedNow = new Set<string>();
		for (const plan of plans) {
			if (plan.kind !== 'learn' || plan.part !== undefined || plan.parts) continue;
			if (plan.cost > left) break;
			left -= plan.cost;
			learnedNow.add(plan.day);
		}
		// Newest first, one day at a time (each day's counts run in parallel): late publications
		// cluster in recent days, and a budget too short for every day completes some instead of none.
		const days = Object.entries(this.state.days)
			.filter(([day, ds]) => !ds.complete && !ds.partCounts && !learnedNow.has(day))
			.sort(([a], [b]) => (a < b ? 1 : -1));
		for (const [day, ds] of straddling ? days.slice(0, 1) : days) {
			if (this.run.outOfTime()) return;
			const now = this.risenTo.get(day) ?? ds.count;
			const snapshot = await this.finder.snapshot(day, now);
			if (!snapshot) continue;
			ds.partCounts = snapshot;
			if (now > ds.count) {
				this.run.stats.unresolved += now - ds.count;
				this.state.unresolved += now - ds.count;
				ds.count = now;
				this.risenTo.delete(day);
			}
		}
	}

	/** Pays for the plans within the credit cap and the poll budget, in the order given. */
	async execute(plans: Plan[], today: string): Promise<Payer> {
		const payer = new Payer(this.run, today);
		const byAddress = (plan: Plan) =>
			plan.kind === 'residual' || (plan.part !== undefined && isWithoutPostcode(plan.part));
		await payer.pay(plans.filter((plan) => !byAddress(plan)));
		for (const plan of plans.filter(byAddress)) {
			if (plan.kind === 'residual') await this.payResidual(plan, payer);
			else await this.payWithoutPostcode(plan, payer);
		}
		for (const day of this.finder.deferredDays) payer.carriedDays.add(day);
		this.keepPending(payer.unpaid);
		// A day whose fetched plans found fewer new applications than its count rose by (a withdrawal
		// meanwhile, or a server that matches prefixes differently) is refetched whole on its next rise,
		// so no accounting slip can hide an application for good.
		for (const [day, rise] of this.riseByDay) {
			const ds = this.state.days[day];
			if (ds?.complete && !payer.carriedDays.has(day) && (payer.addedByDay.get(day) ?? 0) < rise)
				ds.stale = 1;
		}
		return payer;
	}

	/**
	 * New applications no postcode reaches: isolated by address text with free counts, one at a time,
	 * else the slice is paid whole. Out of time or credits, the slice waits for the next poll.
	 */
	private async payResidual(plan: Plan, payer: Payer) {
		const ds = this.state.days[plan.day];
		const slice = plan.slice;
		if (!ds || !slice) return;
		// `cost` is the slice's count when it was located; each round pays for at least one of the rest.
		for (let round = 0; round < plan.cost; round++) {
			if (plan.cost - seenIn(ds, slice).length <= 0) return;
			const goOn = await this.payByAddress(
				plan,
				payer,
				slice,
				(narrowed) => narrowed ?? { ...plan, kind: 'new' },
			);
			if (!goOn) return;
		}
	}

	/**
	 * The part without a postcode of an authority's day not learned yet, once its postcode parts are
	 * seen: address texts whose count exceeds the seen applications hold some of it, and are paid for
	 * one at a time within the cap. When no text isolates what is left, the authority's whole day is
	 * paid for (alone in its poll if it is bigger than the cap).
	 */
	private async payWithoutPostcode(plan: Plan, payer: Payer) {
		const ds = this.state.days[plan.day];
		const part = plan.part;
		if (!ds?.partCounts || ds.complete || part === undefined) return;
		const lpa = partAuthority(part);
		const ofAuthority = Object.entries(ds.partCounts).filter(([key]) => partAuthority(key) === lpa);
		const learned = () => new Set(ds.learnedParts ?? []);
		if (ofAuthority.some(([key, count]) => key !== part && count > 0 && !learned().has(key))) {
			payer.carry(plan);
			return;
		}
		const slice = partSlice(plan.day, part);
		const wholeCost = ofAuthority.reduce((sum, [, count]) => sum + count, 0);
		for (let round = 0; round < plan.cost && !learned().has(part); round++) {
			const goOn = await this.payByAddress(plan, payer, slice, (narrowed) =>
				narrowed ? { ...narrowed, kind: 'learn', part } : { ...plan, cost: wholeCost },
			);
			if (!goOn) return;
		}
	}

	/**
	 * One round of paying by address text: free counts find an address text holding applications of the
	 * slice not seen yet, and that is paid for (or `piece(undefined)`, when no text holds one). Returns
	 * whether another round may follow. Out of time or credits, or after a failed count, the plan waits.
	 */
	private async payByAddress(
		plan: Plan,
		payer: Payer,
		slice: Slice,
		piece: (narrowed: Plan | undefined) => Plan,
	): Promise<boolean> {
		const ds = this.state.days[plan.day];
		if (!payer.mayPay(1) || this.run.outOfTime()) {
			payer.carry(plan);
			return false;
		}
		let narrowed: Plan | undefined;
		try {
			narrowed = await this.finder.narrowResidual(slice, ds);
		} catch (error) {
			if (!(error instanceof OutOfTime)) this.run.failed(error);
			payer.carry(plan);
			return false;
		}
		const [paid] = await payer.pay([piece(narrowed)]);
		return paid && narrowed !== undefined;
	}

	prune(today: string) {
		const from = shiftDay(today, -this.run.cfg.lookbackDays);
		for (const [day, ds] of Object.entries(this.state.days)) {
			if (day < from) delete this.state.days[day];
			else if (ds.complete && ds.count === 0 && !Object.keys(ds.seen).length)
				delete this.state.days[day];
			else if (!ds.complete && ds.count === 0) delete this.state.days[day];
		}
		if (from > this.state.from) this.state.from = from;
		this.state.today = today;
	}

	result(payer?: Payer): PollResult {
		return {
			emitted: payer?.emitted ?? [],
			state: this.state,
			stats: this.run.stats,
			failure: this.run.firstFailure(),
		};
	}
}

function cloneState(state: TriggerState): TriggerState {
	return JSON.parse(JSON.stringify(state)) as TriggerState;
}

/** First poll, or filters changed: learn what exists without emitting it (except backfill days). */
async function activate(cfg: PlannerConfig, api: PlannerApi): Promise<PollResult> {
	const probe = await api.count({ ...cfg.base });
	const today = serverDay(probe.serverDateTime, new Date().toISOString().slice(0, 10));
	const from = shiftDay(today, -cfg.lookbackDays);
	const poll = new PollRun(
		runContext(cfg, api, {
			version: STATE_VERSION,
			fingerprint: cfg.fingerprint,
			from,
			today,
			futureCount: 0,
			days: {},
			unresolved: 0,
		}),
	);
	const { stats } = poll.run;
	stats.requests++;
	stats.freeRequests++;
	stats.activated = true;
	const open = await poll.finder.count(rangeQuery(cfg.base, from));
	const inWindow = open > 0 ? await poll.finder.count(rangeQuery(cfg.base, from, today)) : 0;
	poll.state.futureCount = open - inWindow;
	const found = await poll.finder.changedDays(from, today, inWindow);
	const backfillFrom =
		cfg.backfillDays > 0
			? shiftDay(today, -(Math.min(cfg.backfillDays, cfg.lookbackDays + 1) - 1))
			: undefined;
	const backfill: DayChange[] = [];
	for (const { day, count } of found) {
		if (count <= 0) continue;
		if (backfillFrom && day >= backfillFrom) backfill.push({ day, count });
		else poll.state.days[day] = { count, seen: {} };
	}
	// The day the cap runs out inside gets its parts' counts first, so that it is learned in parts within
	// the cap; the other days this poll cannot learn get theirs after it has paid (see snapshotUnlearned).
	await poll.snapshotUnlearned(poll.learnPlans(), true);
	const learn = poll.learnPlans();
	const deliver = poll.orderNew(await poll.plansForChanges(backfill));
	const payer = await poll.execute([...learn, ...deliver], today);
	await poll.snapshotUnlearned();
	poll.prune(today);
	return poll.result(payer);
}

export async function planPoll(
	previous: unknown,
	cfg: PlannerConfig,
	api: PlannerApi,
): Promise<PollResult> {
	const stored = readState(previous);
	if (!stored || stored.fingerprint !== cfg.fingerprint) return await activate(cfg, api);
	const poll = new PollRun(runContext(cfg, api, cloneState(stored)));
	const st = poll.state;
	const root = await api.count(rangeQuery(cfg.base, st.from));
	poll.run.stats.requests++;
	poll.run.stats.freeRequests++;
	let today = serverDay(root.serverDateTime, st.today);
	if (today < st.today) today = st.today;
	const rootCount = Number(root.count) || 0;
	const knownInWindow = poll.finder.knownInRange(st.from, today);
	let changed: DayChange[] = [];
	if (rootCount !== knownInWindow + st.futureCount || (today !== st.today && st.futureCount > 0)) {
		const inWindow = await poll.finder.count(rangeQuery(cfg.base, st.from, today));
		st.futureCount = rootCount - inWindow;
		changed = await poll.finder.changedDays(st.from, today, inWindow);
	}
	const deliver = poll.orderNew(await poll.plansForChanges(changed));
	const learn = poll.learnPlans();
	if (learn.length) await poll.snapshotUnlearned(learn);
	const payer =
		learn.length || deliver.length
			? await poll.execute([...poll.learnPlans(), ...deliver], today)
			: undefined;
	// Nothing to pay: where searches were cut short still waits for the next poll.
	if (!payer) poll.keepPending([]);
	poll.prune(today);
	return poll.result(payer);
}

/** What activation would pay today: every application in the window must be learned once. */
export function activationEstimate(windowCount: number, maxCredits: number) {
	return {
		credits: windowCount,
		polls: windowCount === 0 ? 1 : Math.ceil(windowCount / Math.max(1, maxCredits)),
	};
}
