/**
 * At most `limit` tasks at once; the others wait in arrival order. Used for the trigger's free counts:
 * against a real API's latency a few requests in flight save most of the waiting, and a refusal (429)
 * narrows the pool so that the API is not pressed harder. Pure: no n8n, no HTTP.
 */
export class TaskPool {
	private running = 0;

	private readonly waiting: Array<() => void> = [];

	/** Tasks that succeeded since the pool last changed size. */
	private succeeded = 0;

	private most: number;

	/**
	 * `limit` at once to begin with; with `most` above it, the pool widens by one after each `limit`
	 * tasks in a row that succeeded (the API keeps up), up to `most`, and `backOff` halves it.
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
		// The API showed its limit: the pool does not widen again.
		this.most = this.limit;
		this.succeeded = 0;
	}

	private widen() {
		if (this.limit >= this.most || ++this.succeeded < this.limit) return;
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
