/**
 * Paying for plans within Max Credits per Poll and the poll budget, and writing what was fetched into the
 * state: the only place where the state learns applications. A failed paid request is sent once more
 * after the others; failing again, it leaves its part to the next poll (its day's count is not moved
 * past it). The other plans go on either way.
 */
import { isWithoutPostcode, partOf, partOfEntry, seenInfo, splitInfo } from './slices';
import type { RawApplication } from '../../UkPlanning/domain/search';
import type { DayState, Plan, PlannerApi, PlannerApplication, PollRunContext } from './types';

/** After this many paid requests failed in a row the API is taken to be down: the rest waits. */
const FAILURES_IN_A_ROW = 3;
/** Paid requests in flight at once. */
export const PAID_IN_FLIGHT = 4;

type FetchOutcome = Awaited<ReturnType<PlannerApi['fetch']>> | { failure: unknown };

export class Payer {
	readonly emitted: PlannerApplication[] = [];

	spent = 0;

	/** Days with plans not paid for in this poll: not marked stale for what they still miss. */
	readonly carriedDays = new Set<string>();

	/** New applications found per day, against the rise the counts showed. */
	readonly addedByDay = new Map<string, number>();

	private failuresInARow = 0;

	constructor(
		private readonly run: PollRunContext,
		private readonly today: string,
	) {}

	/** Whether a plan of this cost may still start: within the cap and the budget. */
	mayPay(cost: number): boolean {
		const overCap = this.spent + cost > this.run.cfg.maxCredits;
		// A single query larger than the cap still runs when it is the poll's first, or it would
		// never run at all.
		if (overCap && this.spent > 0) return false;
		if (this.run.outOfTimeToPay() && this.run.stats.paidRequests > 0) return false;
		return this.failuresInARow < FAILURES_IN_A_ROW;
	}

	/** Plans carried over: kept in the state where they were located (see DayState.pending). */
	readonly unpaid: Plan[] = [];

	carry(plan: Plan) {
		this.run.stats.carriedOver++;
		this.carriedDays.add(plan.day);
		this.unpaid.push(plan);
	}

	/**
	 * Pays for the plans in order; returns whether each was paid for. Up to PAID_IN_FLIGHT fetches run at
	 * once (each costs the API's latency), their cost reserved against the cap while in flight; answers
	 * are applied in the plans' order, so a poll run twice writes the same state.
	 *
	 * A failed paid request is sent once more after the others, within the cap and the budget. The next
	 * poll would pay for it just the same, but a poll interval later: its applications would wait that
	 * long, and a day still being learned would by then hold publications that cannot be told from what
	 * existed at activation.
	 */
	async pay(plans: Plan[]): Promise<boolean[]> {
		const paid = plans.map(() => false);
		const failedOnce = await this.payRound(
			plans,
			plans.map((_plan, index) => index),
			paid,
		);
		const failedTwice = await this.payRound(plans, [...failedOnce.keys()], paid, true);
		for (const [index, failure] of failedOnce) {
			if (paid[index]) {
				this.run.resent(failure);
				continue;
			}
			// Failed again, or not sent again (the cap, the budget, the API down): left to the next poll.
			this.run.failed(failedTwice.get(index) ?? failure);
			if (failedTwice.has(index)) this.carry(plans[index]);
		}
		return paid;
	}

	/**
	 * Pays for `plans[indexes]`; returns the failed ones with their errors (the others are paid for, or
	 * carried over when the cap or the budget does not let them start). A second sending needs time
	 * left to pay even when nothing was paid for yet (a poll's first paid request may start late).
	 */
	private async payRound(
		plans: Plan[],
		indexes: number[],
		paid: boolean[],
		resending = false,
	): Promise<Map<number, unknown>> {
		const failed = new Map<number, unknown>();
		let next = 0;
		while (next < indexes.length) {
			const batch: Array<{ index: number; answer: Promise<FetchOutcome> }> = [];
			while (next < indexes.length && batch.length < PAID_IN_FLIGHT) {
				const index = indexes[next++];
				const plan = plans[index];
				if (!this.mayPay(plan.cost) || (resending && this.run.outOfTimeToPay())) {
					this.carry(plan);
					continue;
				}
				this.run.stats.requests++;
				this.spent += plan.cost;
				batch.push({
					index,
					// Settled as it starts: it is awaited after the others of its batch.
					answer: this.run.api.fetch(plan.query).catch((error: unknown) => ({ failure: error })),
				});
			}
			for (const { index, answer } of batch) {
				const plan = plans[index];
				const outcome = await answer;
				if ('failure' in outcome) {
					// Charged or not, nothing of it reached the state. An answer lost after the API charged
					// for it still counts against the cap (its reserved cost stays spent): it may have been
					// spent.
					this.failuresInARow++;
					failed.set(index, outcome.failure);
					continue;
				}
				this.failuresInARow = 0;
				this.run.stats.paidRequests++;
				const consumed = Number(outcome.consumed) || 0;
				this.spent += consumed - plan.cost;
				this.run.stats.credits += consumed;
				this.apply(plan, outcome.applications);
				paid[index] = true;
			}
		}
		return failed;
	}

	private emit(app: PlannerApplication) {
		this.emitted.push(app);
		this.run.stats.emitted++;
	}

	private apply(plan: Plan, applications: RawApplication[]) {
		const st = this.run.state;
		if (plan.day < st.from || plan.day > this.today) return;
		const ds: DayState =
			st.days[plan.day] ?? (st.days[plan.day] = { count: 0, seen: {}, complete: 1 });
		const ofDay = applications.filter(
			(app): app is PlannerApplication =>
				typeof app.keyval === 'string' &&
				app.keyval !== '' &&
				String(app.validated ?? '').slice(0, 10) === plan.day,
		);
		if (plan.kind === 'learn') {
			if (plan.parts) for (const part of plan.parts) this.learnPart(ds, plan.day, part, ofDay);
			else if (plan.part === undefined) this.learn(ds, plan.day, ofDay);
			else if (isWithoutPostcode(plan.part))
				this.learnWithoutPostcode(ds, plan.day, plan.part, ofDay, plan.query.address === undefined);
			else this.learnPart(ds, plan.day, plan.part, ofDay);
			return;
		}
		let added = 0;
		const before = ds.seen;
		if (plan.kind === 'refresh') ds.seen = {};
		for (const app of ofDay) {
			if (!before[app.keyval] && !ds.seen[app.keyval]) {
				this.emit(app);
				added++;
			}
			ds.seen[app.keyval] = seenInfo(app);
		}
		if (plan.kind === 'refresh') {
			ds.count = ofDay.length;
			delete ds.stale;
		} else {
			ds.count += added;
			this.addedByDay.set(plan.day, (this.addedByDay.get(plan.day) ?? 0) + added);
		}
	}

	/**
	 * Applications of one part beyond its count at activation were published since: emitted where it had
	 * none that day (they cannot be old), else counted as unresolved rather than emitting old ones.
	 */
	private settlePart(ds: DayState, before: number, apps: PlannerApplication[]): void {
		if (apps.length <= before) return;
		if (before === 0) {
			for (const app of apps) if (!ds.seen[app.keyval]) this.emit(app);
			return;
		}
		const extra = apps.length - before;
		this.run.stats.unresolved += extra;
		this.run.state.unresolved += extra;
	}

	/** A day that existed at activation, fetched whole. */
	private learn(ds: DayState, day: string, ofDay: PlannerApplication[]) {
		const learned = new Set(ds.learnedParts ?? []);
		if (ds.partCounts) {
			const parts = Object.keys(ds.partCounts);
			const byPart = new Map<string, PlannerApplication[]>();
			for (const app of ofDay) {
				const part = partOf(parts, day, app);
				// In no part (the parts covered the day at activation), or in a part learned earlier and
				// not seen then: published since.
				if (part === undefined || learned.has(part)) {
					if (!ds.seen[app.keyval]) this.emit(app);
					continue;
				}
				byPart.set(part, [...(byPart.get(part) ?? []), app]);
			}
			for (const [part, apps] of byPart) this.settlePart(ds, ds.partCounts[part] ?? 0, apps);
		} else if (ofDay.length > ds.count) {
			const extra = ofDay.length - ds.count;
			this.run.stats.unresolved += extra;
			this.run.state.unresolved += extra;
		}
		for (const app of ofDay) ds.seen[app.keyval] = seenInfo(app);
		this.completeDay(ds, ofDay.length);
	}

	/** One part of a day not learned yet (the day is bigger than one poll may pay for). */
	private learnPart(ds: DayState, day: string, part: string, ofDay: PlannerApplication[]) {
		const apps = ofDay.filter((app) => partOf([part], day, app) === part);
		this.settlePart(ds, ds.partCounts?.[part] ?? 0, apps);
		for (const app of apps) ds.seen[app.keyval] = seenInfo(app);
		this.run.stats.learned += apps.length;
		this.partLearned(ds, part);
	}

	/** Applications of a part without a postcode seen so far. */
	private seenWithoutPostcode(ds: DayState, day: string, part: string): number {
		const parts = Object.keys(ds.partCounts ?? {});
		let seen = 0;
		for (const info of Object.values(ds.seen))
			if (partOfEntry(parts, day, splitInfo(info)) === part) seen++;
		return seen;
	}

	/**
	 * Applications without a postcode of an authority's day not learned yet, fetched by an address text
	 * (or with the authority's whole day when no text isolates them), after its postcode parts. Those not
	 * seen are old up to the part's count at activation, and unresolved beyond it. Others not seen yet
	 * were published since their part was learned (or into an area it had none in): emitted.
	 */
	private learnWithoutPostcode(
		ds: DayState,
		day: string,
		part: string,
		ofDay: PlannerApplication[],
		whole: boolean,
	) {
		const parts = Object.keys(ds.partCounts ?? {});
		const before = ds.partCounts?.[part] ?? 0;
		let known = this.seenWithoutPostcode(ds, day, part);
		for (const app of ofDay) {
			if (ds.seen[app.keyval]) continue;
			if (partOf(parts, day, app) === part) {
				if (known >= before) {
					this.run.stats.unresolved++;
					this.run.state.unresolved++;
				}
				known++;
				this.run.stats.learned++;
			} else this.emit(app);
			ds.seen[app.keyval] = seenInfo(app);
		}
		if (whole || known >= before) this.partLearned(ds, part);
	}

	private partLearned(ds: DayState, part: string) {
		const learned = new Set([...(ds.learnedParts ?? []), part]);
		ds.learnedParts = [...learned];
		const remaining = Object.entries(ds.partCounts ?? {}).filter(
			([key, count]) => count > 0 && !learned.has(key),
		);
		// Learned when every part that had applications is: any other application of the day is newer
		// than the learning and shows as a rise of the seen count in the next poll.
		if (!remaining.length) this.completeDay(ds, Object.keys(ds.seen).length, false);
	}

	private completeDay(ds: DayState, count: number, countLearned = true) {
		ds.count = count;
		ds.complete = 1;
		delete ds.stale;
		delete ds.partCounts;
		delete ds.learnedParts;
		if (countLearned) this.run.stats.learned += count;
	}
}
