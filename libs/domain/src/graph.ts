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
