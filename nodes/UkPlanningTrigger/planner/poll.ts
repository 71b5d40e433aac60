/**
 * The poll planner: finds where new applications are with free counts, pays only for narrow queries,
 * and returns the applications not seen before with the next state. It never mutates the state it is
 * given, so a failed poll leaves the stored state untouched and a poll run twice from the same state
 * plans the same thing.
 */
import { dayIndex, serverDay, shiftDay } from '../../UkPlanning/domain/days';
import {
	childPrefixes,
	childPrefixOf,
	isFullPostcode,
	normalisePostcodeKey,
} from '../../UkPlanning/domain/postcode';
import { readState, STATE_VERSION } from './state';
import type {
	DayState,
	PlannerApi,
	PlannerApplication,
	PlannerConfig,
	PollResult,
	PollStats,
	Query,
	TriggerState,
} from './types';

interface Slice {
	day: string;
	lpas?: string[];
	prefix?: string;
	exact?: string;
}

type PlanKind = 'learn' | 'new' | 'refresh' | 'residual';

interface Plan {
	kind: PlanKind;
	day: string;
	query: Query;
	cost: number;
	/** For 'residual': the slice whose rise no postcode prefix reaches, narrowed by address later. */
	slice?: Slice;
}

/**
 * Words that addresses of applications without a postcode commonly contain ("Land adjacent to ...",
 * "Site of former garages ..."), tried with free counts to isolate such an application. Words of the
 * seen applications without a postcode are tried too.
 */
const NO_POSTCODE_ADDRESS_WORDS = [
	'land',
	'site',
	'plot',
	'rear',
	'adjacent',
	'former',
	'garage',
	'car park',
	'open space',
];
const MAX_ADDRESS_PROBES = 24;
/** Per-authority activation counts are taken when the filters name at most this many authorities. */
const MAX_SNAPSHOT_LPAS = 12;
const ADDRESS_KEEP = 120;

/** A slice is fetched outright when the already-seen part would cost at most this share of it. */
const TOLERATED_WASTE = 0.05;

/** What is kept of a seen application: "lpa|postcode|address" (address lower-cased, shortened). */
export function seenInfo(app: PlannerApplication): string {
	const address =
		typeof app.address === 'string'
			? app.address.toLowerCase().replace(/\|/g, ' ').slice(0, ADDRESS_KEEP)
			: '';
	return `${app.lpa_id ?? ''}|${normalisePostcodeKey(app.postcode)}|${address}`;
}

function splitInfo(info: string): { lpa: string; postcode: string; address: string } {
	const [lpa = '', postcode = '', ...rest] = info.split('|');
	return { lpa, postcode, address: rest.join('|') };
}

function cloneState(state: TriggerState): TriggerState {
	return JSON.parse(JSON.stringify(state)) as TriggerState;
}

class PollRun {
	readonly stats: PollStats = {
		activated: false,
		requests: 0,
		freeRequests: 0,
		paidRequests: 0,
		credits: 0,
		emitted: 0,
		learned: 0,
		unresolved: 0,
		carriedOver: 0,
	};

	readonly emitted: PlannerApplication[] = [];

	private universe: string[] | undefined | null = null;

	constructor(
		private readonly cfg: PlannerConfig,
		private readonly api: PlannerApi,
		private st: TriggerState,
	) {}

	get state(): TriggerState {
		return this.st;
	}

	private outOfTime(): boolean {
		return this.api.timeLeftMs() < this.cfg.reserveMs;
	}

	async count(query: Query): Promise<{ count: number; serverDateTime?: string }> {
		this.stats.requests++;
		this.stats.freeRequests++;
		const answer = await this.api.count(query);
		return { count: Number(answer.count) || 0, serverDateTime: answer.serverDateTime };
	}

	rangeQuery(from: string, to?: string): Query {
		const query: Query = { ...this.cfg.base, date_from: from };
		if (to) query.date_to = to;
		return query;
	}

	knownInRange(from: string, to: string): number {
		let total = 0;
		for (const [day, ds] of Object.entries(this.st.days)) {
			if (day >= from && day <= to) total += ds.count;
		}
		return total;
	}

	/** Splits [from, to] until every day whose count differs from the known one is found. */
	async bisect(
		from: string,
		to: string,
		count: number,
		found: Array<{ day: string; count: number }>,
	) {
		if (count === this.knownInRange(from, to)) return;
		if (from === to) {
			found.push({ day: from, count });
			return;
		}
		const mid = shiftDay(from, Math.floor((dayIndex(to) - dayIndex(from)) / 2));
		// Count the newer half: late publications cluster in recent days, so it changes more often,
		// and the older half follows by subtraction.
		const newer = (await this.count(this.rangeQuery(shiftDay(mid, 1), to))).count;
		await this.bisect(from, mid, count - newer, found);
		await this.bisect(shiftDay(mid, 1), to, newer, found);
	}

	private async lpaUniverse(): Promise<string[] | undefined> {
		if (this.universe !== null) return this.universe;
		const given = (this.cfg.base.lpa_id ?? '')
			.split(',')
			.map((id) => id.trim())
			.filter(Boolean);
		if (given.length > 1) this.universe = given;
		else if (given.length === 1) this.universe = undefined;
		else {
			this.stats.requests++;
			this.stats.freeRequests++;
			const ids = await this.api.lpaIds();
			this.universe = ids.length > 1 ? ids : undefined;
		}
		return this.universe;
	}

	sliceQuery(slice: Slice): Query {
		const query: Query = { ...this.cfg.base, date_from: slice.day, date_to: slice.day };
		if (slice.lpas) query.lpa_id = slice.lpas.join(',');
		if (slice.prefix) query.postcode_start = slice.prefix;
		if (slice.exact) {
			query.postcode_exact = slice.exact;
			delete query.postcode_start;
		}
		return query;
	}

	private seenIn(
		ds: DayState,
		slice: Slice,
	): Array<{ lpa: string; postcode: string; address: string }> {
		const lpas = slice.lpas ? new Set(slice.lpas) : undefined;
		const out: Array<{ lpa: string; postcode: string; address: string }> = [];
		for (const info of Object.values(ds.seen)) {
			const entry = splitInfo(info);
			if (lpas && !lpas.has(entry.lpa)) continue;
			if (slice.exact !== undefined && entry.postcode !== slice.exact) continue;
			if (slice.prefix !== undefined && !entry.postcode.startsWith(slice.prefix)) continue;
			out.push(entry);
		}
		return out;
	}

	/**
	 * Narrows a slice of one complete day whose count rose, by authority and then by postcode sector
	 * and full postcode, so that the paid queries cover as few seen applications as the counts allow.
	 */
	async localise(slice: Slice, count: number, ds: DayState): Promise<Plan[]> {
		const seen = this.seenIn(ds, slice);
		const known = seen.length;
		const rise = count - known;
		if (rise < 0) ds.stale = 1;
		if (rise <= 0) return [];
		const whole: Plan = { kind: 'new', day: slice.day, query: this.sliceQuery(slice), cost: count };
		// Narrow further when seen applications would be paid for again, or when the slice alone is
		// bigger than Max Credits per Poll (so that it can be carried over in parts).
		const oversize = count > this.cfg.maxCredits;
		if ((known <= rise * TOLERATED_WASTE && !oversize) || this.outOfTime()) return [whole];

		const lpas = slice.lpas ?? (await this.lpaUniverse());
		if (lpas && lpas.length > 1) {
			const present = new Set(seen.map((entry) => entry.lpa));
			let first = lpas.filter((id) => present.has(id));
			let second = lpas.filter((id) => !present.has(id));
			if (!first.length || !second.length) {
				first = lpas.slice(0, Math.ceil(lpas.length / 2));
				second = lpas.slice(first.length);
			}
			const firstCount = (await this.count(this.sliceQuery({ ...slice, lpas: first }))).count;
			return [
				...(await this.localise({ ...slice, lpas: first }, firstCount, ds)),
				...(await this.localise({ ...slice, lpas: second }, count - firstCount, ds)),
			];
		}

		if (slice.exact !== undefined || this.cfg.base.postcode_exact) return [whole];
		const prefix = slice.prefix ?? normalisePostcodeKey(this.cfg.base.postcode_start ?? '');
		if (isFullPostcode(prefix)) return [whole];
		// Children of the prefix, those holding seen applications first: a new application usually sits
		// beside seen ones, and the others are scanned only while some of the rise is unaccounted for.
		const knownChildren = new Map<string, number>();
		for (const entry of seen) {
			const child = childPrefixOf(prefix, entry.postcode);
			if (child) knownChildren.set(child, (knownChildren.get(child) ?? 0) + 1);
		}
		const ordered = [
			...[...knownChildren.entries()].sort((a, b) => b[1] - a[1]).map(([child]) => child),
			...childPrefixes(prefix).filter((child) => !knownChildren.has(child)),
		];
		let found = 0;
		const plans: Plan[] = [];
		for (const childPrefix of ordered) {
			// Counts only rise between polls unless something was withdrawn (the day is then marked
			// stale and refetched whole on its next rise), so the scan stops once the rise is found.
			if (found >= rise) break;
			if (this.outOfTime()) return [whole];
			const child: Slice = { ...slice, prefix: childPrefix };
			const childCount = (await this.count(this.sliceQuery(child))).count;
			const childKnown = knownChildren.get(childPrefix) ?? 0;
			if (childCount < childKnown) ds.stale = 1;
			if (childCount > childKnown) {
				found += childCount - childKnown;
				plans.push(...(await this.localise(child, childCount, ds)));
			}
		}
		// The rest of the rise has no postcode (or one no prefix reaches). After the located ones are
		// fetched, free counts by address words try to isolate it; failing that the whole slice is paid.
		if (found < rise) {
			if (this.cfg.base.address) return [whole];
			return [
				...plans,
				{ kind: 'residual', day: slice.day, query: whole.query, cost: count, slice },
			];
		}
		return plans;
	}

	/**
	 * A slice still holding new applications that no postcode prefix reaches (no postcode): tries words
	 * of addresses with free counts; the seen set now includes this poll's other new applications, so
	 * a rise in an address count is the residual one.
	 */
	async resolveResidual(plan: Plan): Promise<Plan[]> {
		const slice = plan.slice as Slice;
		const ds = this.st.days[plan.day];
		const whole: Plan = { kind: 'new', day: plan.day, query: plan.query, cost: plan.cost };
		if (!ds) return [whole];
		const seen = this.seenIn(ds, slice);
		const remaining = plan.cost - seen.length;
		if (remaining <= 0) return [];
		// Candidate words, most likely first: the usual words of such addresses and those of seen
		// applications without a postcode, then the words of every address seen in the window (streets
		// recur), most frequent first. Each costs one free count.
		const priority = new Map<string, number>(NO_POSTCODE_ADDRESS_WORDS.map((word) => [word, 1e9]));
		const frequency = new Map<string, number>();
		for (const day of Object.values(this.st.days)) {
			for (const info of Object.values(day.seen)) {
				const entry = splitInfo(info);
				for (const word of entry.address.split(/[^a-z]+/)) {
					if (word.length < 4) continue;
					if (!entry.postcode) priority.set(word, Math.max(priority.get(word) ?? 0, 1e6));
					frequency.set(word, (frequency.get(word) ?? 0) + 1);
				}
			}
		}
		for (const [word, times] of frequency) priority.set(word, (priority.get(word) ?? 0) + times);
		const candidates = [...priority.entries()]
			.map(([word, rank]) => ({
				word,
				rank,
				known: seen.filter((entry) => entry.address.includes(word)).length,
			}))
			.filter((candidate) => candidate.known < Math.max(1, seen.length / 2))
			.sort((a, b) => a.known - b.known || b.rank - a.rank)
			.slice(0, MAX_ADDRESS_PROBES);
		let found = 0;
		const plans: Plan[] = [];
		for (const candidate of candidates) {
			if (found >= remaining || this.outOfTime()) break;
			const query = { ...plan.query, address: candidate.word };
			const count = (await this.count(query)).count;
			if (count > candidate.known) {
				found += count - candidate.known;
				plans.push({ kind: 'new', day: plan.day, query, cost: count });
			}
		}
		return found >= remaining ? plans : [whole];
	}

	/** Pays for the plans within the credit cap and the poll budget, in the chosen order. */
	async execute(allPlans: Plan[], today: string) {
		const residual = allPlans.filter((plan) => plan.kind === 'residual');
		await this.pay(
			allPlans.filter((plan) => plan.kind !== 'residual'),
			today,
		);
		for (const plan of residual) {
			if (this.spent >= this.cfg.maxCredits || (this.outOfTime() && this.stats.paidRequests > 0)) {
				this.stats.carriedOver++;
				this.carriedDays.add(plan.day);
				continue;
			}
			if (this.failed) break;
			const narrowed = await this.resolveResidual(plan).catch((error: unknown) => ({
				failure: error,
			}));
			if ('failure' in narrowed) {
				this.stopOrFail(narrowed.failure);
				break;
			}
			await this.pay(narrowed, today);
		}
		if (this.failed) return;
		// A day whose fetched plans found fewer new applications than its count rose by (a withdrawal
		// meanwhile, or a server that matches prefixes differently) is refetched whole on its next rise,
		// so no accounting slip can hide an application for good.
		for (const [day, rise] of this.riseByDay) {
			const ds = this.st.days[day];
			if (ds?.complete && !this.carriedDays.has(day) && (this.addedByDay.get(day) ?? 0) < rise)
				ds.stale = 1;
		}
	}

	private spent = 0;

	private readonly riseByDay = new Map<string, number>();

	private readonly addedByDay = new Map<string, number>();

	private readonly carriedDays = new Set<string>();

	/**
	 * A request failed. Nothing paid for yet: the poll fails (the caller keeps the stored state).
	 * Otherwise what was paid for is kept and the rest is left to the next poll.
	 */
	private stopOrFail(failure: unknown) {
		if (this.emitted.length === 0 && this.stats.learned === 0 && this.spent === 0) {
			throw failure;
		}
		this.stats.partialError = (failure as Error)?.message ?? String(failure);
		this.stats.carriedOver++;
		this.failed = true;
	}

	private failed = false;

	private async pay(plans: Plan[], today: string) {
		for (const plan of plans) {
			if (this.failed) return;
			const overCap = this.spent + plan.cost > this.cfg.maxCredits;
			// A single query larger than the cap still runs when it is the poll's first, or it would
			// never run at all.
			if ((overCap && this.spent > 0) || (this.outOfTime() && this.stats.paidRequests > 0)) {
				this.stats.carriedOver++;
				this.carriedDays.add(plan.day);
				continue;
			}
			this.stats.requests++;
			this.stats.paidRequests++;
			const answer = await this.api
				.fetch(plan.query)
				.catch((error: unknown) => ({ failure: error }));
			if ('failure' in answer) {
				this.stats.paidRequests--;
				this.stopOrFail(answer.failure);
				this.stats.carriedOver += plans.length - plans.indexOf(plan) - 1;
				return;
			}
			this.spent += Number(answer.consumed) || 0;
			this.stats.credits += Number(answer.consumed) || 0;
			this.apply(plan, answer.applications, today);
		}
	}

	/**
	 * A day that existed at activation, fetched whole. Applications beyond the activation count were
	 * published since; where the per-authority counts taken at activation tell which they are (the
	 * authority had none that day) they are emitted, otherwise they cannot be told apart from the old
	 * ones and are counted as unresolved instead of emitting old applications.
	 */
	private learn(ds: DayState, ofDay: PlannerApplication[]) {
		let extra = ofDay.length - ds.count;
		if (extra > 0 && ds.countsByAuthority) {
			const byLpa = new Map<string, PlannerApplication[]>();
			for (const app of ofDay) {
				const lpa = String(app.lpa_id ?? '');
				byLpa.set(lpa, [...(byLpa.get(lpa) ?? []), app]);
			}
			extra = 0;
			for (const [lpa, apps] of byLpa) {
				const before = ds.countsByAuthority[lpa] ?? 0;
				if (apps.length <= before) continue;
				if (before === 0) {
					for (const app of apps) {
						if (ds.seen[app.keyval]) continue;
						this.emitted.push(app);
						this.stats.emitted++;
					}
				} else extra += apps.length - before;
			}
		}
		if (extra > 0) {
			this.stats.unresolved += extra;
			this.st.unresolved += extra;
		}
		for (const app of ofDay) ds.seen[app.keyval] = seenInfo(app);
		ds.count = ofDay.length;
		ds.complete = 1;
		delete ds.stale;
		delete ds.countsByAuthority;
		this.stats.learned += ofDay.length;
	}

	/**
	 * Per-authority counts of the days not learned yet, taken while their count still equals the one
	 * seen at activation, so that applications published to them before they are learned can be told
	 * apart where the authority had none that day.
	 */
	async snapshotUnlearned() {
		const lpas = await this.lpaUniverse();
		if (!lpas || lpas.length > MAX_SNAPSHOT_LPAS) return;
		for (const [day, ds] of Object.entries(this.st.days)) {
			if (ds.complete || ds.countsByAuthority || this.outOfTime()) continue;
			const counts: Record<string, number> = {};
			let total = 0;
			for (const lpa of lpas.slice(0, -1)) {
				const count = (await this.count(this.sliceQuery({ day, lpas: [lpa] }))).count;
				if (count) counts[lpa] = count;
				total += count;
			}
			const last = lpas[lpas.length - 1];
			const dayCount = (await this.count(this.sliceQuery({ day }))).count;
			if (dayCount !== ds.count) continue;
			if (dayCount - total > 0) counts[last] = dayCount - total;
			ds.countsByAuthority = counts;
		}
	}

	private apply(plan: Plan, applications: PlannerApplication[], today: string) {
		if (plan.day < this.st.from || plan.day > today) return;
		const ds: DayState =
			this.st.days[plan.day] ?? (this.st.days[plan.day] = { count: 0, seen: {}, complete: 1 });
		const ofDay = applications.filter(
			(app) => !!app.keyval && String(app.validated ?? '').slice(0, 10) === plan.day,
		);
		if (plan.kind === 'learn') {
			this.learn(ds, ofDay);
			return;
		}
		let added = 0;
		const before = ds.seen;
		if (plan.kind === 'refresh') ds.seen = {};
		for (const app of ofDay) {
			if (!before[app.keyval] && !ds.seen[app.keyval]) {
				this.emitted.push(app);
				this.stats.emitted++;
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

	orderNew(plans: Plan[]): Plan[] {
		const sign = this.cfg.backlogOrder === 'oldestFirst' ? 1 : -1;
		return plans
			.map((plan, index) => ({ plan, index }))
			.sort((a, b) =>
				a.plan.day === b.plan.day ? a.index - b.index : a.plan.day < b.plan.day ? -sign : sign,
			)
			.map((entry) => entry.plan);
	}

	learnPlans(): Plan[] {
		return Object.entries(this.st.days)
			.filter(([, ds]) => !ds.complete)
			.sort(([a], [b]) => (a < b ? 1 : -1))
			.map(([day, ds]) => ({
				kind: 'learn' as const,
				day,
				query: this.rangeQuery(day, day),
				cost: ds.count,
			}));
	}

	/** Turns days whose count changed into paid plans, updating counts that fell. */
	async plansForChanges(changed: Array<{ day: string; count: number }>): Promise<Plan[]> {
		const plans: Plan[] = [];
		for (const { day, count } of changed) {
			let ds = this.st.days[day];
			if (!ds) {
				if (count <= 0) continue;
				ds = this.st.days[day] = { count: 0, seen: {}, complete: 1 };
			}
			if (!ds.complete) {
				// Not learned yet: a fall is recorded; a rise is sorted out when the day is learned.
				if (count < ds.count) {
					ds.count = count;
					delete ds.countsByAuthority;
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
				plans.push({ kind: 'refresh', day, query: this.rangeQuery(day, day), cost: count });
				continue;
			}
			this.riseByDay.set(day, count - ds.count);
			plans.push(...(await this.localise({ day }, count, ds)));
		}
		return plans;
	}

	prune(today: string) {
		const from = shiftDay(today, -this.cfg.lookbackDays);
		for (const [day, ds] of Object.entries(this.st.days)) {
			if (day < from) delete this.st.days[day];
			else if (ds.complete && ds.count === 0 && !Object.keys(ds.seen).length)
				delete this.st.days[day];
			else if (!ds.complete && ds.count === 0) delete this.st.days[day];
		}
		if (from > this.st.from) this.st.from = from;
		this.st.today = today;
	}
}

/** First poll, or filters changed: learn what exists without emitting it (except backfill days). */
async function activate(cfg: PlannerConfig, api: PlannerApi): Promise<PollRun> {
	const probe = await api.count({ ...cfg.base });
	const today = serverDay(probe.serverDateTime, new Date().toISOString().slice(0, 10));
	const from = shiftDay(today, -cfg.lookbackDays);
	const run = new PollRun(cfg, api, {
		version: STATE_VERSION,
		fingerprint: cfg.fingerprint,
		from,
		today,
		futureCount: 0,
		days: {},
		unresolved: 0,
	});
	run.stats.requests++;
	run.stats.freeRequests++;
	run.stats.activated = true;
	const open = (await run.count(run.rangeQuery(from))).count;
	const inWindow = open > 0 ? (await run.count(run.rangeQuery(from, today))).count : 0;
	run.state.futureCount = open - inWindow;
	const found: Array<{ day: string; count: number }> = [];
	await run.bisect(from, today, inWindow, found);
	const backfillFrom =
		cfg.backfillDays > 0
			? shiftDay(today, -(Math.min(cfg.backfillDays, cfg.lookbackDays + 1) - 1))
			: undefined;
	const backfill: Array<{ day: string; count: number }> = [];
	for (const { day, count } of found) {
		if (count <= 0) continue;
		if (backfillFrom && day >= backfillFrom) backfill.push({ day, count });
		else run.state.days[day] = { count, seen: {} };
	}
	const learn = run.learnPlans();
	const deliver = run.orderNew(await run.plansForChanges(backfill));
	await run.execute([...learn, ...deliver], today);
	await run.snapshotUnlearned();
	run.prune(today);
	return run;
}

export async function planPoll(
	previous: unknown,
	cfg: PlannerConfig,
	api: PlannerApi,
): Promise<PollResult> {
	const stored = readState(previous);
	if (!stored || stored.fingerprint !== cfg.fingerprint) {
		const run = await activate(cfg, api);
		return { emitted: run.emitted, state: run.state, stats: run.stats };
	}
	const run = new PollRun(cfg, api, cloneState(stored));
	const st = run.state;
	const root = await run.count(run.rangeQuery(st.from));
	let today = serverDay(root.serverDateTime, st.today);
	if (today < st.today) today = st.today;
	const knownInWindow = run.knownInRange(st.from, today);
	const changed: Array<{ day: string; count: number }> = [];
	if (root.count !== knownInWindow + st.futureCount || (today !== st.today && st.futureCount > 0)) {
		const inWindow = (await run.count(run.rangeQuery(st.from, today))).count;
		st.futureCount = root.count - inWindow;
		await run.bisect(st.from, today, inWindow, changed);
	}
	const deliver = run.orderNew(await run.plansForChanges(changed));
	const learn = run.learnPlans();
	if (learn.length || deliver.length) await run.execute([...learn, ...deliver], today);
	run.prune(today);
	return { emitted: run.emitted, state: run.state, stats: run.stats };
}

/** What activation would pay today: every application in the window must be learned once. */
export function activationEstimate(windowCount: number, maxCredits: number) {
	return {
		credits: windowCount,
		polls: windowCount === 0 ? 1 : Math.ceil(windowCount / Math.max(1, maxCredits)),
	};
}
