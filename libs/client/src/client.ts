import createClient, { defaultPathSerializer } from 'openapi-fetch';
import { errorFromBody, networkError } from './errors';
import type { paths } from './generated/openapi';
import { liveStream } from './live';
import { paged } from './paging';
import { baseFetch, resolveToken, restTransport } from './transport';
import type { Activity, ActivityPage, HomeEvent, LiveOptions, NotificationEvent, NotificationGroup, NotificationPage, PageOptions, TidelineClient, TidelineClientOptions } from './types';
import { homeTracker, notificationTracker } from './unseen';

type Api = ReturnType<typeof createClient<paths>>;

/** The data of a 2xx answer; any other status is thrown as a TidelineError built from the API's error body. */
async function ok<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const r = await call;
  if (!r.response.ok) throw errorFromBody(r.response, r.error);
  return r.data as D;
}

const query = (o: PageOptions, cursor: string | undefined): { limit?: number; cursor?: string } => ({
  ...(o.limit !== undefined ? { limit: o.limit } : {}),
  ...(cursor !== undefined ? { cursor } : {}),
});

/**
 * The typed client of the Tideline API (docs/api.md §2). Every REST call goes through openapi-fetch on the
 * generated `paths`, so a path, parameter or body the API does not have fails to compile.
 */
export function createTidelineClient(opts: TidelineClientOptions): TidelineClient {
  const api: Api = createClient<paths>({ baseUrl: opts.baseUrl, fetch: restTransport(opts) });
  const rest = { ...writes(api), ...reads(api) };
  return { ...rest, ...streams(opts, rest) };
}

function writes(api: Api): Pick<TidelineClient, 'publish' | 'deleteActivity' | 'follow' | 'unfollow' | 'mute' | 'unmute' | 'markSeen' | 'markRead' | 'devToken'> {
  const pair = (userId: string, targetId: string): { params: { path: { userId: string; targetId: string } } } => ({ params: { path: { userId, targetId } } });
  const groupsBody = (groups: string[] | undefined): { groups: string[] } | undefined => (groups === undefined ? undefined : { groups });
  return {
    publish: (a) => ok(api.POST('/v1/activities', { body: a })),
    deleteActivity: async (id) => void (await ok(api.DELETE('/v1/activities/{id}', { params: { path: { id } } }))),
    follow: async (u, t) => void (await ok(api.PUT('/v1/users/{userId}/following/{targetId}', pair(u, t)))),
    unfollow: async (u, t) => void (await ok(api.DELETE('/v1/users/{userId}/following/{targetId}', pair(u, t)))),
    mute: async (u, t) => void (await ok(api.PUT('/v1/users/{userId}/muted/{targetId}', pair(u, t)))),
    unmute: async (u, t) => void (await ok(api.DELETE('/v1/users/{userId}/muted/{targetId}', pair(u, t)))),
    markSeen: async (userId, groups) =>
      void (await ok(api.POST('/v1/feeds/notifications/{userId}/seen', { params: { path: { userId } }, body: groupsBody(groups) }))),
    markRead: async (userId, groups) =>
      void (await ok(api.POST('/v1/feeds/notifications/{userId}/read', { params: { path: { userId } }, body: groupsBody(groups) }))),
    devToken: (body) => ok(api.POST('/dev/tokens', { body })),
  };
}

function reads(api: Api): Pick<TidelineClient, 'following' | 'followers' | 'muted' | 'home' | 'userFeed' | 'notifications' | 'opsOverview'> {
  const init = (userId: string, o: PageOptions, cursor: string | undefined) => ({ params: { path: { userId }, query: query(o, cursor) }, signal: o.signal });
  return {
    following: (u, o = {}) => paged((c) => ok(api.GET('/v1/users/{userId}/following', init(u, o, c))), o),
    followers: (u, o = {}) => paged((c) => ok(api.GET('/v1/users/{userId}/followers', init(u, o, c))), o),
    muted: (u, o = {}) => paged((c) => ok(api.GET('/v1/users/{userId}/muted', init(u, o, c))), o),
    home: (u, o = {}) => paged((c) => ok(api.GET('/v1/feeds/home/{userId}', init(u, o, c))), o),
    userFeed: (u, o = {}) => paged((c) => ok(api.GET('/v1/feeds/user/{userId}', init(u, o, c))), o),
    notifications: (u, o = {}) => paged((c) => ok(api.GET('/v1/feeds/notifications/{userId}', init(u, o, c))), o),
    opsOverview: () => ok(api.GET('/v1/ops/overview')),
  };
}

/** The two SSE paths, checked against the generated `paths` (openapi-fetch does not stream, so these use fetch). */
type StreamPath = '/v1/feeds/home/{userId}/stream' | '/v1/feeds/notifications/{userId}/stream';
const HOME_STREAM = '/v1/feeds/home/{userId}/stream' satisfies StreamPath & keyof paths;
const NOTIFICATION_STREAM = '/v1/feeds/notifications/{userId}/stream' satisfies StreamPath & keyof paths;

function streams(opts: TidelineClientOptions, rest: Pick<TidelineClient, 'home' | 'notifications'>): Pick<TidelineClient, 'homeStream' | 'notificationStream'> {
  const f = baseFetch(opts);
  const base = opts.baseUrl.replace(/\/+$/, '');
  const connect = (path: StreamPath, params: paths[StreamPath]['get']['parameters']['path']) => async (lastEventId: string | undefined, signal: AbortSignal) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = await resolveToken(opts.token);
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    try {
      return await f(base + defaultPathSerializer(path, params), { headers, signal });
    } catch (e) {
      throw networkError(e, signal);
    }
  };
  return {
    homeStream: (userId, o?: LiveOptions) =>
      liveStream<HomeEvent, ActivityPage>(
        {
          connect: connect(HOME_STREAM, { userId }),
          firstPage: (signal) => rest.home(userId, { signal }).first(),
          decode: (event, data) => (event === 'activity' ? { type: 'activity', activity: data as Activity } : event === 'delete' ? { type: 'delete', id: (data as { id: string }).id } : undefined),
          tracker: homeTracker(),
        },
        o,
      ),
    notificationStream: (userId, o?: LiveOptions) =>
      liveStream<NotificationEvent, NotificationPage>(
        {
          connect: connect(NOTIFICATION_STREAM, { userId }),
          firstPage: (signal) => rest.notifications(userId, { signal }).first(),
          decode: (event, data) => (event === 'group' ? { type: 'group', group: data as NotificationGroup } : undefined),
          tracker: notificationTracker(),
        },
        o,
      ),
  };
}
