/**
 * "Fetch Test Event": one real recent application for at most a few credits, found with free counts.
 * Moves no state.
 */
import { dayIndex, serverDay, shiftDay } from '../../UkPlanning/domain/days';
import { childPrefixes, normalisePostcodeKey } from '../../UkPlanning/domain/postcode';
import { describeInterval, suggestPollInterval } from './costModel';
import { activationEstimate } from './poll';
import type { RawApplication } from '../../UkPlanning/domain/search';
import type { PlannerApi, PlannerConfig, Query } from './types';

/** Fetch Test Event spends at most this many credits on one recent application. */
export const TEST_EVENT_CREDIT_CAP = 5;

export interface TestEventResult {
	application?: RawApplication;
	day?: string;
	creditsSpent: number;
	freeRequests: number;
	/** Applications in the look-back window now: what activation pays to learn them. */
	windowCount: number;
	activation: { credits: number; polls: number };
	/** The fastest free count's round trip, as measured by the test event (0 if not measurable). */
	msPerCount: number;
	/** Set when no application costing at most the cap could be found; nothing was paid then. */
	problem?: string;
}

export async function findTestApplication(
	cfg: PlannerConfig,
	api: PlannerApi,
	creditCap = TEST_EVENT_CREDIT_CAP,
	maxFreeRequests = 120,
): Promise<TestEventResult> {
	let freeRequests = 0;
	let fastest: number | undefined;
	const count = async (query: Query) => {
		freeRequests++;
		const started = api.timeLeftMs();
		const answer = await api.count(query);
		const took = Math.max(0, started - api.timeLeftMs());
		fastest = Math.min(fastest ?? took, took);
		return answer;
	};
	const probe = await count({ ...cfg.base });
	const today = serverDay(probe.serverDateTime, new Date().toISOString().slice(0, 10));
	const from = shiftDay(today, -cfg.lookbackDays);
	const windowCount = (await count({ ...cfg.base, date_from: from, date_to: today })).count;
	const result: TestEventResult = {
		creditsSpent: 0,
		freeRequests: 0,
		msPerCount: 0,
		windowCount,
		activation: activationEstimate(windowCount, cfg.maxCredits),
	};
	const finish = (extra: Partial<TestEventResult>) => ({
		...result,
		...extra,
		freeRequests,
		msPerCount: fastest ?? 0,
	});
	if (windowCount === 0) {
		return finish({
			problem: `No application matches the filters in the last ${cfg.lookbackDays} days`,
		});
	}

	// The newest day with an application: binary search on counts of [day, today].
	let low = dayIndex(from);
	let high = dayIndex(today);
	while (low < high) {
		const mid = Math.ceil((low + high) / 2);
		const recent = (
			await count({ ...cfg.base, date_from: shiftDay(from, mid - dayIndex(from)), date_to: today })
		).count;
		if (recent > 0) low = mid;
		else high = mid - 1;
	}
	const day = shiftDay(from, low - dayIndex(from));
	let query: Query = { ...cfg.base, date_from: day, date_to: day };
	let current = (await count(query)).count;

	// Narrow by authority: keep a half that still holds an application, preferring the smaller count.
	let lpas = (cfg.base.lpa_id ?? '')
		.split(',')
		.map((id) => id.trim())
		.filter(Boolean);
	if (!lpas.length && current > 1) {
		freeRequests++;
		lpas = await api.lpaIds();
	}
	while (current > 1 && lpas.length > 1 && freeRequests < maxFreeRequests) {
		const first = lpas.slice(0, Math.ceil(lpas.length / 2));
		const second = lpas.slice(first.length);
		const firstCount = (await count({ ...query, lpa_id: first.join(',') })).count;
		const secondCount = current - firstCount;
		const keepFirst = firstCount > 0 && (secondCount === 0 || firstCount <= secondCount);
		lpas = keepFirst ? first : second;
		current = keepFirst ? firstCount : secondCount;
		query = { ...query, lpa_id: lpas.join(',') };
	}

	// Narrow by postcode prefix, one step of the postcode grammar at a time (the planner's own steps, so
	// no prefix ends in a space), keeping the smallest non-empty prefix.
	if (!cfg.base.postcode_exact) {
		let prefix = normalisePostcodeKey(cfg.base.postcode_start ?? '');
		while (current > 1 && freeRequests < maxFreeRequests) {
			let best: { prefix: string; count: number } | undefined;
			for (const candidate of childPrefixes(prefix)) {
				if (freeRequests >= maxFreeRequests) break;
				const candidateCount = (await count({ ...query, postcode_start: candidate })).count;
				if (candidateCount > 0 && (!best || candidateCount < best.count)) {
					best = { prefix: candidate, count: candidateCount };
					if (candidateCount === 1) break;
				}
			}
			if (!best) break;
			prefix = best.prefix;
			current = best.count;
			query = { ...query, postcode_start: prefix };
		}
	}

	if (current > creditCap || current < 1) {
		return finish({
			day,
			problem: `Free counts could not narrow the newest day (${day}) to at most ${creditCap} applications; no credits were spent`,
		});
	}
	const answer = await api.fetch(query);
	return finish({
		day,
		application: answer.applications[answer.applications.length - 1],
		creditsSpent: Number(answer.consumed) || 0,
	});
}

/**
 * What a test event spent, what activation would cost and the poll interval that fits the volume the
 * filters select (see costModel.ts), in words. The test event's item is exactly what a poll emits, so
 * this report goes to n8n's log (and into the error when no application was found).
 */
export function testEventReport(
	test: TestEventResult,
	settings: { lookbackDays: number; maxCredits: number; creditCap: number; budgetMs: number },
): string {
	const advice = suggestPollInterval({
		windowCount: test.windowCount,
		lookbackDays: settings.lookbackDays,
		msPerCount: test.msPerCount,
		budgetMs: settings.budgetMs,
	});
	const perDay = Math.round(advice.perDay);
	const interval =
		advice.minutes === undefined
			? `At about ${perDay} new application(s) a day and ${Math.round(test.msPerCount)} ms a count, no poll interval lets the busiest poll locate them within its budget: narrow the filters.`
			: `Poll interval: ${describeInterval(advice.minutes)} or more often (about ${perDay} new application(s) a day, ${Math.round(test.msPerCount)} ms a count measured now: the busiest poll's search then takes about ${Math.round(advice.busiestPollSeconds)} s of the ${Math.round(settings.budgetMs / 1000)} s poll budget). More often costs the same credits and more free counts.`;
	// Learning over several polls has a blind spot that only a higher cap avoids (see the README).
	const overSeveralPolls =
		test.activation.polls > 1
			? `Meanwhile an application published into a day not learned yet, in an authority that already had one that day, cannot be told from an old one and is not emitted: Max Credits per Poll of ${test.activation.credits} or more for the first poll learns the window at once. `
			: '';
	return (
		`The test event spent ${test.creditsSpent} credit(s) (at most ${settings.creditCap}) and ${test.freeRequests} free count(s), and moved no state. ` +
		`Activation learns the ${test.windowCount} application(s) now in the ${settings.lookbackDays}-day window without emitting them: ` +
		`about ${test.activation.credits} credits over ${test.activation.polls} poll(s) at Max Credits per Poll ${settings.maxCredits}. ` +
		overSeveralPolls +
		interval
	);
}
