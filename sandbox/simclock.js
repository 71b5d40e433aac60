/**
 * A simulated clock for benchmarks that run a node and a sandbox in one process (not part of the real
 * APIs). While installed, `Date.now()` and `new Date()` without arguments read the simulated time, so the
 * node's poll budget and the sandbox's clock (started with `tick: true`, which runs on from `setNow` by
 * `Date.now()`) read the same time. Timers (setTimeout, AbortSignal.timeout) stay real: the clock moves
 * only when told to, by `advanceTo` (a latency gate does it as a discrete-event simulation) or `set`.
 */
'use strict';

function createSimClock(startMs) {
	let nowMs = Number(startMs);
	if (!Number.isFinite(nowMs)) throw new Error(`Not a time: ${startMs}`);
	let installed;

	const clock = {
		now: () => nowMs,
		/** Moves the clock forward to `ms`; never back (a simulated request cannot undo time). */
		advanceTo(ms) {
			if (ms > nowMs) nowMs = ms;
			return nowMs;
		},
		/** Sets the clock, back or forward (between runs of a benchmark). */
		set(ms) {
			if (!Number.isFinite(ms)) throw new Error(`Not a time: ${ms}`);
			nowMs = ms;
		},
		/** Replaces the global Date by one that reads this clock when asked for "now". */
		install() {
			if (installed) return clock;
			const RealDate = globalThis.Date;
			// A plain function, not a class: `Date()` called without `new` must still give a string.
			function SimDate(...args) {
				if (!new.target) return new RealDate(nowMs).toString();
				return Reflect.construct(RealDate, args.length ? args : [nowMs], new.target);
			}
			// Same prototype, so that dates made before or after install are `instanceof Date` alike;
			// the statics (parse, UTC) are inherited.
			SimDate.prototype = RealDate.prototype;
			Object.setPrototypeOf(SimDate, RealDate);
			SimDate.now = () => nowMs;
			installed = { RealDate };
			globalThis.Date = SimDate;
			return clock;
		},
		/** Puts the real Date back. */
		uninstall() {
			if (!installed) return;
			globalThis.Date = installed.RealDate;
			installed = undefined;
		},
		get installed() {
			return !!installed;
		},
	};
	return clock;
}

module.exports = { createSimClock };
