/**
 * A counting semaphore over statements in flight. `use(n, op)` waits until `n` permits are free (FIFO, so a
 * large request is not starved by small ones), runs `op`, and gives them back however it ends. A request
 * for more than the whole budget takes the whole budget.
 */
export class StatementBudget {
  private used = 0;
  private peakUsed = 0;
  private readonly waiting: { n: number; go: () => void }[] = [];

  constructor(readonly limit: number) {}

  /** Permits held right now (statements in flight or about to be). */
  get inFlight(): number {
    return this.used;
  }

  /** Callers waiting for permits. */
  get queued(): number {
    return this.waiting.length;
  }

  /** The highest `inFlight` since the last call (a gauge sampled by metrics). */
  takePeak(): number {
    const p = this.peakUsed;
    this.peakUsed = this.used;
    return p;
  }

  async use<T>(n: number, op: () => Promise<T>): Promise<T> {
    const want = Math.max(1, Math.min(n, this.limit));
    if (this.waiting.length > 0 || this.used + want > this.limit) await new Promise<void>((go) => this.waiting.push({ n: want, go }));
    else this.take(want);
    try {
      return await op();
    } finally {
      this.used -= want;
      this.wake();
    }
  }

  private take(n: number): void {
    this.used += n;
    if (this.used > this.peakUsed) this.peakUsed = this.used;
  }

  private wake(): void {
    for (let head = this.waiting[0]; head && this.used + head.n <= this.limit; head = this.waiting[0]) {
      this.waiting.shift();
      this.take(head.n);
      head.go();
    }
  }
}
