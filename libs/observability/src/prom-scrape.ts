import { parsePrometheusText, PromSample } from './prom-text';

export interface ScrapeResult {
  readonly url: string;
  /** False when the endpoint did not answer 200 within the timeout and the size bound. */
  readonly up: boolean;
  readonly samples: readonly PromSample[];
}

/**
 * GETs one /metrics endpoint: at most `timeoutMs` for the whole exchange and `maxBytes` of body. Any
 * failure (refused, timeout, non-200, too large) is `up: false` with no samples; it never throws.
 */
export async function scrapeMetrics(url: string, opts: { timeoutMs: number; maxBytes: number }): Promise<ScrapeResult> {
  const down: ScrapeResult = { url, up: false, samples: [] };
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs);
  try {
    const res = await fetch(url, { signal: ctl.signal, redirect: 'error', headers: { accept: 'text/plain' } });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      return down;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > opts.maxBytes) {
        await reader.cancel().catch(() => undefined);
        return down;
      }
      chunks.push(value);
    }
    return { url, up: true, samples: parsePrometheusText(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return down;
  } finally {
    clearTimeout(timer);
  }
}
