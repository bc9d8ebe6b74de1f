import { networkError, retryAfterSeconds } from './errors';
import type { TidelineClientOptions, TokenSource } from './types';

export type FetchFn = (req: Request) => Promise<Response>;

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function resolveToken(t: TokenSource | undefined): Promise<string | undefined> {
  const v = typeof t === 'function' ? await t() : t;
  return v || undefined;
}

/** The caller's fetch or the global one, always called as a plain function (browsers refuse a foreign `this`). */
export function baseFetch(opts: TidelineClientOptions): typeof fetch {
  const f = opts.fetch;
  return f ?? ((input, init) => globalThis.fetch(input, init));
}

/**
 * An empty answer (202/204 with no body) read to its end here: openapi-fetch returns without touching such a
 * body, and a browser then reports the request as aborted (net::ERR_ABORTED) although it succeeded.
 */
async function settled(res: Response): Promise<Response> {
  if (res.headers.get('content-length') !== '0' && res.status !== 204) return res;
  await res.arrayBuffer();
  return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * What openapi-fetch sends every REST request through: adds the bearer token (asked afresh per attempt), retries a
 * 429 after `Retry-After` up to `maxRetries` times when the wait is at most `maxWaitMs` (otherwise the 429 is
 * returned and becomes a RATE_LIMITED error), and turns a failed fetch into a NETWORK error.
 */
export function restTransport(opts: TidelineClientOptions): FetchFn {
  const f = baseFetch(opts);
  const maxRetries = opts.retry?.maxRetries ?? 2;
  const maxWaitMs = opts.retry?.maxWaitMs ?? 30_000;
  return async (req) => {
    for (let attempt = 0; ; attempt++) {
      // A clone per attempt: a request body can be sent once only.
      const r = req.clone();
      const token = await resolveToken(opts.token);
      if (token) r.headers.set('authorization', `Bearer ${token}`);
      let res: Response;
      try {
        res = await f(r);
      } catch (e) {
        throw networkError(e, req.signal);
      }
      if (res.status !== 429 || attempt >= maxRetries) return settled(res);
      const waitMs = (retryAfterSeconds(res.headers) ?? 1) * 1000;
      if (waitMs > maxWaitMs) return res;
      await res.body?.cancel().catch(() => undefined);
      await sleep(waitMs, req.signal);
    }
  };
}
