import type { components } from './generated/openapi';

type Schemas = components['schemas'];

/** Aliases of the generated component schemas (the API's OpenAPI document is the single source of these shapes). */
export type Activity = Schemas['ActivityDto'];
export type NewActivity = Schemas['ActivityInputDto'];
export type ActivityPage = Schemas['ActivityPageDto'];
export type NotificationGroup = Schemas['GroupDto'];
export type NotificationPage = Schemas['NotificationPageDto'];
export type GraphEntry = Schemas['GraphEntryDto'];
export type GraphPage = Schemas['GraphPageDto'];
export type OpsOverview = Schemas['OpsOverviewDto'];
export type DevToken = Schemas['DevTokenDto'];

export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface TidelineClientOptions {
  /** API origin, e.g. `http://localhost:3000`; '' = same origin (browser). */
  baseUrl: string;
  /** Bearer token, or a function asked before every request (so a refreshed token is picked up). */
  token?: TokenSource;
  fetch?: typeof fetch;
  /** 429 RATE_LIMITED handling: retry up to `maxRetries` times (default 2) when `Retry-After` is at most `maxWaitMs` (default 30 000). */
  retry?: { maxRetries?: number; maxWaitMs?: number };
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

/** Iterating yields items across pages; pages are fetched lazily, one when the previous one is used up. */
export interface Paged<T, P> extends AsyncIterable<T> {
  pages(): AsyncIterable<P>;
  first(): Promise<P>;
}

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveOptions {
  signal?: AbortSignal;
  onState?: (s: LiveState) => void;
  /** Reconnect delays: exponential with jitter between these (defaults 500 and 15 000 ms); the server's `retry:` raises the minimum. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Ends when close() is called or the signal aborts (`for await ... break` closes it too); throws on 401/403. */
export interface LiveStream<E> extends AsyncIterable<E> {
  close(): void;
}

export type HomeEvent = { type: 'activity'; activity: Activity } | { type: 'delete'; id: string };
export type NotificationEvent = { type: 'group'; group: NotificationGroup };

export interface TidelineClient {
  publish(a: NewActivity): Promise<Activity>;
  deleteActivity(id: string): Promise<void>;
  follow(userId: string, targetId: string): Promise<void>;
  unfollow(userId: string, targetId: string): Promise<void>;
  mute(userId: string, targetId: string): Promise<void>;
  unmute(userId: string, targetId: string): Promise<void>;
  following(userId: string, o?: PageOptions): Paged<GraphEntry, GraphPage>;
  followers(userId: string, o?: PageOptions): Paged<GraphEntry, GraphPage>;
  muted(userId: string, o?: PageOptions): Paged<GraphEntry, GraphPage>;
  home(userId: string, o?: PageOptions): Paged<Activity, ActivityPage>;
  userFeed(userId: string, o?: PageOptions): Paged<Activity, ActivityPage>;
  notifications(userId: string, o?: PageOptions): Paged<NotificationGroup, NotificationPage>;
  /** No `groups` = every group. */
  markSeen(userId: string, groups?: string[]): Promise<void>;
  markRead(userId: string, groups?: string[]): Promise<void>;
  homeStream(userId: string, o?: LiveOptions): LiveStream<HomeEvent>;
  notificationStream(userId: string, o?: LiveOptions): LiveStream<NotificationEvent>;
  opsOverview(): Promise<OpsOverview>;
  devToken(body: { sub: string; admin?: boolean; ttlSeconds?: number }): Promise<DevToken>;
}
