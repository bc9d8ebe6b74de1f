/**
 * The one timeout helper and the one retry helper of the project (adapters and the consumer use them;
 * each decides what is worth retrying and how long it may wait).
 */

/**
 * Settles as `work` does, or rejects with `onTimeout()` once `ms` have passed. A late outcome of `work`
 * is swallowed, so a lost race never surfaces as an unhandled rejection.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight (a pool, not waves: a slow call holds up no other). */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export interface RetryOptions {
  /** First delay; each next one doubles, up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up (rethrow the last error) once this much time has passed since the first attempt. */
  readonly deadlineMs?: number;
  /** Errors worth another attempt (default: all). Any other is rethrown at once. */
  readonly retryOn?: (e: unknown) => boolean;
  /** How to wait between attempts (default: a timer); e.g. a wait that heartbeats or stops early by throwing. */
  readonly wait?: (ms: number) => Promise<void>;
  readonly onRetry?: (e: unknown, delayMs: number, attempt: number) => void;
}

const timer = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `op` until it succeeds, with exponential backoff between attempts (see RetryOptions). */
export async function retry<T>(op: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const started = Date.now();
  let delay = o.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      const expired = o.deadlineMs !== undefined && Date.now() - started >= o.deadlineMs;
      if (expired || (o.retryOn && !o.retryOn(e))) throw e;
      o.onRetry?.(e, delay, attempt);
      await (o.wait ?? timer)(delay);
      delay = Math.min(delay * 2, o.maxDelayMs);
    }
  }
}
