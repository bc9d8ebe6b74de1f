import { UserId } from './ids';

export type GraphOp = 'follow' | 'unfollow' | 'mute' | 'unmute';

/**
 * A follow-graph change. `atMs` orders changes to the same edge: the graph tables are written
 * `USING TIMESTAMP atMs*1000`, so replaying an old follow never resurrects a later unfollow.
 */
export interface GraphChange {
  readonly op: GraphOp;
  readonly user: UserId;
  readonly target: UserId;
  readonly atMs: number;
}

/** What a reader's feeds are filtered by at read time (and by live streams at delivery). */
export interface ReaderGraph {
  /** Accounts the reader follows (for a live event: those it may come from). */
  readonly following: ReadonlySet<UserId>;
  readonly muted: ReadonlySet<UserId>;
}

/** home(U) shows an actor's activity iff the actor is U or followed by U, and not muted by U (docs/api.md §1.4). */
export const visibleInHome = (user: UserId, actor: UserId, g: ReaderGraph): boolean => !g.muted.has(actor) && (actor === user || g.following.has(actor));

/** notifications(U) shows an activity iff its actor is not U and not muted by U (docs/api.md §1.4). */
export const visibleInNotifications = (user: UserId, actor: UserId, muted: ReadonlySet<UserId>): boolean => actor !== user && !muted.has(actor);
