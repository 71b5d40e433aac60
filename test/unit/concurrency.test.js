/** The task pool that bounds the trigger's free counts in flight. Pure: tasks are promises resolved by hand. */
const { TaskPool } = require('../../nodes/shared/concurrency');

/** A task that stays in flight until released, recording how many ran at once. */
function tracker() {
	const state = { running: 0, most: 0, started: [], release: new Map() };
	const task = (name) => async () => {
		state.running++;
		state.most = Math.max(state.most, state.running);
		state.started.push(name);
		await new Promise((resolve) => state.release.set(name, resolve));
		state.running--;
		return name;
	};
	return { state, task };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TaskPool', () => {
	test('runs at most its size at once, the others in arrival order, and returns each result', async () => {
		const pool = new TaskPool(2);
		const { state, task } = tracker();
		const results = ['a', 'b', 'c', 'd', 'e'].map((name) => pool.run(task(name)));
		await settle();
		expect(state.started).toEqual(['a', 'b']);
		state.release.get('b')();
		await settle();
		expect(state.started).toEqual(['a', 'b', 'c']);
		for (const name of ['a', 'c', 'd', 'e']) {
			await settle();
			state.release.get(name)();
		}
		expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd', 'e']);
		expect(state.most).toBe(2);
	});

	test('a failed task frees its slot', async () => {
		const pool = new TaskPool(1);
		await expect(pool.run(async () => Promise.reject(new Error('refused')))).rejects.toThrow(
			'refused',
		);
		expect(await pool.run(async () => 'next')).toBe('next');
	});

	test('backOff halves the pool down to one; tasks already running finish, no new one starts beyond it', async () => {
		const pool = new TaskPool(4);
		const { state, task } = tracker();
		const results = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => pool.run(task(name)));
		await settle();
		expect(state.started).toEqual(['a', 'b', 'c', 'd']);
		pool.backOff();
		pool.backOff();
		pool.backOff();
		expect(pool.size).toBe(1);
		for (const name of ['a', 'b', 'c']) {
			state.release.get(name)();
			await settle();
		}
		// Three slots went away as their tasks ended; 'd' still holds the one left.
		expect(state.started).toEqual(['a', 'b', 'c', 'd']);
		state.release.get('d')();
		await settle();
		expect(state.started).toEqual(['a', 'b', 'c', 'd', 'e']);
		expect(state.running).toBe(1);
		state.release.get('e')();
		await settle();
		state.release.get('f')();
		expect(await Promise.all(results)).toHaveLength(6);
	});
});

describe('TaskPool widening', () => {
	const succeed = async (pool, times) => {
		for (let i = 0; i < times; i++) await pool.run(async () => i);
	};

	test('widens by one after as many successes in a row as its size, up to its most', async () => {
		const pool = new TaskPool(2, 4);
		await succeed(pool, 1);
		expect(pool.size).toBe(2);
		await succeed(pool, 1);
		expect(pool.size).toBe(3);
		await succeed(pool, 3 + 4 + 10);
		expect(pool.size).toBe(4);
	});

	test('a waiting task starts as soon as the pool widens', async () => {
		const pool = new TaskPool(1, 2);
		const { state, task } = tracker();
		const results = ['a', 'b', 'c'].map((name) => pool.run(task(name)));
		await settle();
		expect(state.started).toEqual(['a']);
		state.release.get('a')();
		await settle();
		// 'a' succeeded: the pool is two wide, so 'b' and 'c' both run.
		expect(state.started).toEqual(['a', 'b', 'c']);
		expect(state.most).toBe(2);
		state.release.get('b')();
		state.release.get('c')();
		expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
	});

	test('after a refusal it halves and widens again eight times as slowly', async () => {
		const pool = new TaskPool(4, 8);
		pool.backOff();
		expect(pool.size).toBe(2);
		await succeed(pool, 15);
		expect(pool.size).toBe(2);
		await succeed(pool, 1);
		expect(pool.size).toBe(3);
	});
});
