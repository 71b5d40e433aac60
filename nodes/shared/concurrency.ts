/**
 * At most `limit` tasks at once; the others wait in arrival order. Used for the trigger's free counts:
 * against a real API's latency a few requests in flight save most of the waiting, and a refusal (429)
 * narrows the pool so that the API is not pressed harder. Pure: no n8n, no HTTP.
 */
const WIDEN_PATIENCE_AFTER_REFUSAL = 8;

export class TaskPool {
	private running = 0;

	private readonly waiting: Array<() => void> = [];

	/** Tasks that succeeded since the pool last changed size. */
	private succeeded = 0;

	private readonly most: number;

	/** How many times its size in successes in a row widen the pool: more once the API refused. */
	private patience = 1;

	/**
	 * `limit` at once to begin with; with `most` above it, the pool widens by one after each `limit`
	 * tasks in a row that succeeded (the API keeps up), up to `most`, and `backOff` halves it. After a
	 * refusal it widens again eight times as slowly: additive increase, multiplicative decrease.
	 */
	constructor(
		private limit: number,
		most = limit,
	) {
		this.limit = Math.max(1, Math.floor(limit) || 1);
		this.most = Math.max(this.limit, Math.floor(most) || 1);
	}

	get size(): number {
		return this.limit;
	}

	async run<T>(task: () => Promise<T>): Promise<T> {
		if (this.running >= this.limit) {
			// The finishing task hands its slot over, so `running` stays counted for the waiter.
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		} else this.running++;
		try {
			const result = await task();
			this.widen();
			return result;
		} finally {
			this.release();
		}
	}

	/** Halves the pool (down to one task at a time), as after the API refused a request for load. */
	backOff() {
		this.limit = Math.max(1, Math.floor(this.limit / 2));
		this.patience = WIDEN_PATIENCE_AFTER_REFUSAL;
		this.succeeded = 0;
	}

	private widen() {
		if (this.limit >= this.most || ++this.succeeded < this.limit * this.patience) return;
		this.limit++;
		this.succeeded = 0;
		const next = this.waiting.shift();
		if (next) {
			this.running++;
			next();
		}
	}

	private release() {
		if (this.running > this.limit) {
			// The pool was narrowed while this task ran: its slot goes away instead of to a waiter.
			this.running--;
			return;
		}
		const next = this.waiting.shift();
		if (next) next();
		else this.running--;
	}
}
