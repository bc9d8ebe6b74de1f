// TEMPORARY stand-in for @tideline/client (libs/client/src), same names and signatures, until that lands.
// Delete this file and point the alias at ../../libs/client/src once libs/client/src/index.ts exists.

export interface Activity {
  id: string;
  actor: string;
  type: string;
  object: string;
  target?: string;
  published: string;
  to?: string[];
  foreignId?: string;
  extra?: Record<string, unknown>;
}
export interface ActivityInput {
  actor: string;
  type: string;
  object: string;
  target?: string;
  to?: string[];
  foreignId?: string;
  extra?: Record<string, unknown>;
}
export interface ActivityPage { items: Activity[]; next: string | null }
export interface GraphEntry { userId: string; since: string }
export interface GraphPage { items: GraphEntry[]; next: string | null }
export interface NotificationGroup {
  id: string;
  type: string;
  object: string;
  actors: string[];
  actorCount: number;
  activityCount: number;
  latest: Activity;
  updated: string;
  seen: boolean;
  read: boolean;
}
export interface NotificationPage { items: NotificationGroup[]; next: string | null; unseen: number; unread: number }
export interface HistogramSnapshot { count: number; sum: number; buckets: { le: number; count: number }[] }
export interface OpsOverview {
  at: string;
  lag: { topic: string; partition: number; lag: number }[];
  workers: { url: string; up: boolean }[];
  counters: { delivered: number; recordsConsumed: number; deadLettered: { topic: string; code: string; count: number }[] };
  histograms: { fanoutSeconds: HistogramSnapshot; apiRequestSeconds: HistogramSnapshot };
}
export interface DevToken { token: string; sub: string; admin: boolean; expiresAt: string }

export type Paged<T, P> = AsyncIterable<T> & { pages(): AsyncIterable<P>; first(): Promise<P> };
export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';
export type LiveStream<E> = AsyncIterable<E> & { close(): void };
export interface LiveOptions { signal?: AbortSignal; onState?: (state: LiveState) => void }
export type HomeEvent = { type: 'activity'; activity: Activity } | { type: 'delete'; id: string };
export type NotificationEvent = { type: 'group'; group: NotificationGroup };

export class TidelineError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: { field: string; problems: string[] }[],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
export const isTidelineError = (e: unknown, code?: string): e is TidelineError => e instanceof TidelineError && (code === undefined || e.code === code);

interface Options { baseUrl: string; token: () => string | undefined }

export function createTidelineClient(opts: Options) {
  const req = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = {};
    const t = opts.token();
    if (t) headers['authorization'] = `Bearer ${t}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(opts.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new TidelineError(0, 'NETWORK', `network error: ${(e as Error).message}`);
    }
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const b = (data ?? {}) as { error?: string; message?: string; fields?: { field: string; problems: string[] }[] };
      const ra = res.headers.get('retry-after');
      throw new TidelineError(res.status, b.error ?? 'HTTP_' + res.status, b.message ?? res.statusText, b.fields, ra ? Number(ra) : undefined);
    }
    return data as T;
  };
  const enc = encodeURIComponent;
  const qs = (o: Record<string, string | number | undefined>): string => {
    const p = Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`);
    return p.length ? `?${p.join('&')}` : '';
  };
  function paged<T, P extends { items: T[]; next: string | null }>(path: string, o: { limit?: number; cursor?: string }): Paged<T, P> {
    const page = (cursor?: string) => req<P>('GET', path + qs({ limit: o.limit, cursor }));
    async function* pages(): AsyncGenerator<P> {
      let cursor = o.cursor;
      for (;;) {
        const p = await page(cursor);
        yield p;
        if (!p.next) return;
        cursor = p.next;
      }
    }
    return {
      pages,
      first: () => page(o.cursor),
      async *[Symbol.asyncIterator]() {
        for await (const p of pages()) yield* p.items;
      },
    };
  }
  function live<E>(path: string, kinds: string[], o: LiveOptions, map: (kind: string, data: unknown) => E | undefined, onReset: () => Promise<E[]>): LiveStream<E> {
    const queue: E[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    let es: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const push = (e: E) => {
      queue.push(e);
      wake?.();
    };
    const open = () => {
      if (closed) return;
      o.onState?.('connecting');
      es = new EventSource(`${opts.baseUrl}${path}?access_token=${enc(opts.token() ?? '')}`);
      es.onopen = () => o.onState?.('open');
      es.onerror = () => {
        if (closed) return;
        if (es?.readyState === EventSource.CLOSED) {
          o.onState?.('reconnecting');
          timer = setTimeout(open, 3000);
        } else o.onState?.('reconnecting');
      };
      for (const k of kinds) es.addEventListener(k, (m) => {
        const e = map(k, JSON.parse((m as MessageEvent<string>).data));
        if (e) push(e);
      });
      es.addEventListener('reset', () => void onReset().then((es2) => es2.forEach(push), () => undefined));
    };
    const close = () => {
      closed = true;
      clearTimeout(timer);
      es?.close();
      o.onState?.('closed');
      wake?.();
    };
    o.signal?.addEventListener('abort', close);
    open();
    return {
      close,
      async *[Symbol.asyncIterator]() {
        while (!closed) {
          const e = queue.shift();
          if (e !== undefined) yield e;
          else await new Promise<void>((r) => (wake = r));
        }
      },
    };
  }
  const u = (id: string) => `/v1/users/${enc(id)}`;
  return {
    publish: (a: ActivityInput) => req<Activity>('POST', '/v1/activities', a),
    deleteActivity: (id: string) => req<void>('DELETE', `/v1/activities/${enc(id)}`),
    follow: (user: string, target: string) => req<void>('PUT', `${u(user)}/following/${enc(target)}`),
    unfollow: (user: string, target: string) => req<void>('DELETE', `${u(user)}/following/${enc(target)}`),
    mute: (user: string, target: string) => req<void>('PUT', `${u(user)}/muted/${enc(target)}`),
    unmute: (user: string, target: string) => req<void>('DELETE', `${u(user)}/muted/${enc(target)}`),
    following: (user: string, o: { limit?: number } = {}) => paged<GraphEntry, GraphPage>(`${u(user)}/following`, o),
    followers: (user: string, o: { limit?: number } = {}) => paged<GraphEntry, GraphPage>(`${u(user)}/followers`, o),
    muted: (user: string, o: { limit?: number } = {}) => paged<GraphEntry, GraphPage>(`${u(user)}/muted`, o),
    home: (user: string, o: { limit?: number; cursor?: string } = {}) => paged<Activity, ActivityPage>(`/v1/feeds/home/${enc(user)}`, o),
    userFeed: (user: string, o: { limit?: number; cursor?: string } = {}) => paged<Activity, ActivityPage>(`/v1/feeds/user/${enc(user)}`, o),
    notifications: (user: string, o: { limit?: number; cursor?: string } = {}) => paged<NotificationGroup, NotificationPage>(`/v1/feeds/notifications/${enc(user)}`, o),
    markSeen: (user: string, groups?: string[]) => req<void>('POST', `/v1/feeds/notifications/${enc(user)}/seen`, groups ? { groups } : undefined),
    markRead: (user: string, groups?: string[]) => req<void>('POST', `/v1/feeds/notifications/${enc(user)}/read`, groups ? { groups } : undefined),
    homeStream: (user: string, o: LiveOptions = {}): LiveStream<HomeEvent> =>
      live<HomeEvent>(`/v1/feeds/home/${enc(user)}/stream`, ['activity', 'delete'], o,
        (k, d) => (k === 'activity' ? { type: 'activity', activity: d as Activity } : { type: 'delete', id: (d as { id: string }).id }),
        async () => (await req<ActivityPage>('GET', `/v1/feeds/home/${enc(user)}`)).items.reverse().map((activity) => ({ type: 'activity' as const, activity }))),
    notificationStream: (user: string, o: LiveOptions = {}): LiveStream<NotificationEvent> =>
      live<NotificationEvent>(`/v1/feeds/notifications/${enc(user)}/stream`, ['group'], o, (_k, d) => ({ type: 'group', group: d as NotificationGroup }),
        async () => (await req<NotificationPage>('GET', `/v1/feeds/notifications/${enc(user)}`)).items.map((group) => ({ type: 'group' as const, group }))),
    opsOverview: () => req<OpsOverview>('GET', '/v1/ops/overview'),
    devToken: (b: { sub: string; admin?: boolean }) => req<DevToken>('POST', '/dev/tokens', b),
  };
}
export type TidelineClient = ReturnType<typeof createTidelineClient>;
