import net from 'node:net';

export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  /** The `id` inside the JSON data (the activity of an `activity`/`delete`, the group of a `group`). */
  readonly subject?: string;
}

export interface SseClient {
  /** Status code of the response (0 until the head arrived). */
  status(): number;
  head(): string;
  /** Everything received so far. */
  text(): string;
  /** Events (blocks with an `event:` line) received so far, in order. */
  events(): SseEvent[];
  /** The last `id:` received, from any block (id-only blocks too): what an EventSource would send as Last-Event-ID. */
  lastId(): string | undefined;
  /** Stops reading from the socket (the kernel buffers fill, then the server's). */
  stopReading(): void;
  /** True once the server closed the connection. */
  ended(): boolean;
  /** True once the response is over: the connection closed, or the chunked body's last chunk arrived (keep-alive). */
  finished(): boolean;
  close(): void;
}

/**
 * A raw TCP SSE client (so tests control reading and aborting exactly): sends one GET and records the
 * bytes. Chunked transfer framing is left in `text()`; events are parsed from it after removing it.
 */
export function openSse(base: string, path: string, headers: Record<string, string> = {}): SseClient {
  const { hostname, port } = new URL(base);
  const sock = net.connect(Number(port), hostname);
  let raw = '';
  let ended = false;
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (raw += d));
  sock.on('close', () => (ended = true));
  sock.on('error', () => (ended = true));
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  sock.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\naccept: text/event-stream\r\n${extra}\r\n`);
  const body = (): string => {
    const i = raw.indexOf('\r\n\r\n');
    if (i < 0) return '';
    // Drop chunk-size lines of the chunked encoding.
    return raw.slice(i + 4).replace(/\r\n[0-9a-fA-F]+\r\n/g, '').replace(/^[0-9a-fA-F]+\r\n/, '');
  };
  return {
    status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0),
    head: () => raw.slice(0, Math.max(0, raw.indexOf('\r\n\r\n'))),
    finished: () => ended || (raw.indexOf('\r\n\r\n') >= 0 && raw.endsWith('\r\n0\r\n\r\n')),
    text: body,
    events: () =>
      body()
        .split('\n\n')
        .map((block) => {
          const e: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const m = /^(id|event|data): ?(.*)$/.exec(line);
            if (m) e[m[1] as string] = m[2] as string;
          }
          return { ...e, subject: subjectOf(e['data']) } as SseEvent;
        })
        .filter((e) => e.event !== undefined),
    lastId: () => [...body().matchAll(/^id: ?(.*)$/gm)].pop()?.[1],
    stopReading: () => sock.pause(),
    ended: () => ended,
    close: () => sock.destroy(),
  };
}

function subjectOf(data: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(data ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Sends the request line and headers of a stream request, then aborts after `afterMs` (0 = at once). */
export function abortedStream(base: string, path: string, afterMs: number): Promise<void> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname, () => {
      sock.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
      if (afterMs === 0) sock.destroy();
      else setTimeout(() => sock.destroy(), afterMs);
    });
    sock.on('close', () => resolve());
    sock.on('error', () => undefined);
  });
}
