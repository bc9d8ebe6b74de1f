import { errorFromResponse, isTidelineError, TidelineError } from './errors';
import { SseBlock, SseParser } from './sse';
import { sleep } from './transport';
import type { LiveOptions, LiveState, LiveStream } from './types';
import type { UnseenTracker } from './unseen';

/** Three missed heartbeats (the API sends one every 15 s): the connection is dead even if no socket error says so. */
export const IDLE_TIMEOUT_MS = 45_000;

/** What a live stream needs from its feed; the client supplies it per stream kind. */
export interface LiveFeed<E, P> {
  /** GET of the stream with the token and, when given, `Last-Event-ID`; rejects only when no answer came. */
  connect(lastEventId: string | undefined, signal: AbortSignal): Promise<Response>;
  /** The feed's first page (REST). */
  firstPage(signal: AbortSignal): Promise<P>;
  /** An SSE event as a stream event, or undefined for events this stream does not know. */
  decode(event: string, data: unknown): E | undefined;
  tracker: UnseenTracker<E, P>;
}

/** Exponential backoff with jitter: the n-th failure in a row waits between `minMs` and min(maxMs, minMs * 2^(n-1)). */
export function backoffMs(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.max(minMs, Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1)));
  return minMs + random() * (cap - minMs);
}

/** Errors no reconnect can mend: 4xx other than 408 and 429 (401 and 403 above all). */
const isFatal = (e: unknown): boolean => isTidelineError(e) && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;

export function liveStream<E, P>(feed: LiveFeed<E, P>, o: LiveOptions = {}): LiveStream<E> {
  const stop = new AbortController();
  let state: LiveState | undefined;
  const setState = (s: LiveState): void => {
    if (state === s || state === 'closed') return;
    state = s;
    o.onState?.(s);
  };
  stop.signal.addEventListener('abort', () => setState('closed'), { once: true });
  if (o.signal?.aborted) stop.abort();
  else o.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const it = new LiveSession(feed, o, stop, setState).run();
  return Object.assign(it, { close: (): void => stop.abort() });
}

/**
 * One live stream's state across its connections. Invariants: the last `id:` seen (id-only blocks too) is sent as
 * `Last-Event-ID` on every reconnect; after every reconnect and every `reset` the feed's first page is fetched and
 * what it shows that the stream has not emitted is emitted first, oldest first; nothing is read from the network
 * while the consumer holds an event (so a slow consumer is never buffered without bound here).
 */
class LiveSession<E, P> {
  private lastId: string | undefined;
  /** The configured minimum; `minDelay` is it raised by the server's `retry:`. */
  private readonly minBackoff: number;
  private minDelay: number;
  private readonly maxDelay: number;
  private failures = 0;
  private baselined = false;

  constructor(
    private readonly feed: LiveFeed<E, P>,
    o: LiveOptions,
    private readonly stop: AbortController,
    private readonly setState: (s: LiveState) => void,
  ) {
    this.minBackoff = this.minDelay = o.minBackoffMs ?? 500;
    this.maxDelay = o.maxBackoffMs ?? 15_000;
  }

  async *run(): AsyncGenerator<E, void, undefined> {
    const signal = this.stop.signal;
    try {
      for (let attempt = 0; !signal.aborted; attempt++) {
        this.setState(attempt === 0 ? 'connecting' : 'reconnecting');
        let waitMs = 0;
        const conn = new AbortController();
        const unlink = link(signal, conn);
        try {
          const res = await this.feed.connect(this.lastId, conn.signal);
          if (res.ok && res.body) yield* this.read(res.body, conn);
          else waitMs = await refusal(res);
        } catch (e) {
          if (signal.aborted) return;
          if (isFatal(e)) throw e;
        } finally {
          unlink();
          conn.abort();
        }
        this.failures++;
        await sleep(Math.max(waitMs, backoffMs(this.failures, this.minDelay, this.maxDelay)), signal).catch(() => undefined);
      }
    } finally {
      this.stop.abort();
    }
  }

  /** Reads one connection until it ends or fails. */
  private async *read(body: ReadableStream<Uint8Array>, conn: AbortController): AsyncGenerator<E, void, undefined> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let synced = false;
    try {
      for (;;) {
        const chunk = await readWithin(reader, conn, IDLE_TIMEOUT_MS);
        if (chunk === undefined) return;
        for (const b of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (b.retry !== undefined) this.minDelay = Math.max(this.minBackoff, b.retry);
          if (b.id !== undefined) this.lastId = b.id;
          // The stream is registered once its first id or event arrives: only then is the first page fetched.
          if (!synced && (b.id !== undefined || b.data !== undefined)) {
            synced = true;
            yield* this.sync(conn.signal);
            this.failures = 0;
            this.setState('open');
            // That first page is what a `reset` asks for: not fetched twice.
            if (b.event === 'reset') continue;
          }
          yield* this.dispatch(b, conn.signal);
        }
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  private async *dispatch(b: SseBlock, signal: AbortSignal): AsyncGenerator<E, void, undefined> {
    if (b.data === undefined) return;
    if (b.event === 'reset') {
      yield* this.catchUp(signal);
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(b.data);
    } catch {
      return; // not an event of this API
    }
    const e = this.feed.decode(b.event ?? 'message', data);
    const out = e === undefined ? undefined : this.feed.tracker.live(e);
    if (out !== undefined) yield out;
  }

  /** First connect: remember the first page (the caller loads it itself). Later: emit what it shows that is new. */
  private async *sync(signal: AbortSignal): AsyncGenerator<E, void, undefined> {
    if (this.baselined) {
      yield* this.catchUp(signal);
      return;
    }
    this.feed.tracker.baseline(await this.feed.firstPage(signal));
    this.baselined = true;
  }

  private async *catchUp(signal: AbortSignal): AsyncGenerator<E, void, undefined> {
    yield* this.feed.tracker.catchUp(await this.feed.firstPage(signal));
  }
}

/** Aborts `target` when `source` aborts; returns the unlink. */
function link(source: AbortSignal, target: AbortController): () => void {
  const abort = (): void => target.abort(source.reason);
  source.addEventListener('abort', abort, { once: true });
  return () => source.removeEventListener('abort', abort);
}

/** The next chunk, undefined at the end; aborts the connection when nothing arrives for `idleMs`. */
async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, conn: AbortController, idleMs: number): Promise<Uint8Array | undefined> {
  const timer = setTimeout(() => conn.abort(new TidelineError(0, 'NETWORK', `no data for ${idleMs} ms`)), idleMs);
  try {
    const { done, value } = await reader.read();
    return done ? undefined : value;
  } finally {
    clearTimeout(timer);
  }
}

/** A refused connect: throws what no retry mends (401, 403, other 4xx), else the least wait before the next try. */
async function refusal(res: Response): Promise<number> {
  const err = await errorFromResponse(res);
  if (isFatal(err)) throw err;
  return (err.retryAfterSeconds ?? 0) * 1000;
}
