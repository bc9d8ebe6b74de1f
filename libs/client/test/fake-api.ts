import type { Activity } from '@tideline/client';

/** One stream request the fake answered with 200: the test writes SSE text into it or ends it. */
export interface FakeStream {
  readonly request: Request;
  push(text: string): void;
  end(): void;
  readonly aborted: () => boolean;
}

export interface Refusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Activity `n`, published at second n (higher = newer). */
export const act = (n: number): Activity => ({ id: `a${n}`, actor: 'x', type: 'post', object: `o${n}`, published: new Date(Date.UTC(2026, 11, 2, 10, 0, n)).toISOString() });

/**
 * An in-memory stand-in for the API behind the client's `fetch` option: GET of a home page answers `home` (newest
 * first, one page), stream GETs open a FakeStream unless `refuse` says otherwise, anything else answers `rest`.
 */
export class FakeApi {
  home: Activity[] = [];
  readonly requests: Request[] = [];
  readonly streams: FakeStream[] = [];
  /** Per stream request (0-based): a refusal instead of a stream. */
  refuse: (n: number) => Refusal | undefined = () => undefined;
  /** Answers for other REST requests, in order; the last one repeats. */
  rest: Refusal[] = [];
  private streamRequests = 0;

  readonly fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(input, init);
    this.requests.push(req);
    const path = new URL(req.url).pathname;
    if (path.endsWith('/stream')) return this.stream(req);
    if (path.startsWith('/v1/feeds/home/')) return json(200, { items: [...this.home].sort((a, b) => (a.published < b.published ? 1 : -1)), next: null });
    const r = this.rest.length > 1 ? (this.rest.shift() as Refusal) : this.rest[0];
    return r ? json(r.status, r.body, r.headers) : json(404, { statusCode: 404, error: 'NOT_FOUND', message: 'fake' });
  };

  private stream(req: Request): Response {
    const refusal = this.refuse(this.streamRequests++);
    if (refusal) return json(refusal.status, refusal.body, refusal.headers);
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    let aborted = false;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
    req.signal.addEventListener('abort', () => {
      aborted = true;
      ctrl.error(new DOMException('aborted', 'AbortError'));
    });
    const enc = new TextEncoder();
    this.streams.push({ request: req, push: (t) => ctrl.enqueue(enc.encode(t)), end: () => ctrl.close(), aborted: () => aborted });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (status === 204) return new Response(null, { status, headers });
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** Polls until `probe` holds (unit tests: the fake answers at once, so this is short). */
export async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
