/**
 * Polls `probe` until it returns a value other than undefined/null/false, or fails after `timeoutMs` with the
 * last observed state in the message. Tests use this instead of fixed sleeps.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number; describe?: () => unknown } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const state = opts.describe ? ` last state: ${JSON.stringify(await opts.describe())}` : '';
      const err = lastError ? ` last error: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}.${state}${err}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
