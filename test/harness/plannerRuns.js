/**
 * Running the trigger's poll planner in unit tests: a configuration with the tests' defaults, and one
 * poll against an in-memory /search (searchModel.js) with what it charged and how many requests it sent.
 */
'use strict';

const { planPoll } = require('../../nodes/UkPlanningTrigger/planner/poll');

/** A planner configuration: 30 days' look-back, a cap of 1,000 credits, no poll budget reserve. */
const plannerConfig = (over = {}) => ({
	base: {},
	lookbackDays: 30,
	backfillDays: 0,
	maxCredits: 1000,
	backlogOrder: 'newestFirst',
	fingerprint: 'f1',
	reserveMs: 0,
	...over,
});

/** One poll from `state`: the planner's result, plus the credits it cost and the requests it sent. */
async function pollOnce(api, state, cfg = plannerConfig()) {
	const before = api.credits;
	const requestsBefore = api.log.length;
	const result = await planPoll(state, cfg, api);
	return { ...result, credits: api.credits - before, requests: api.log.length - requestsBefore };
}

module.exports = { plannerConfig, pollOnce };
