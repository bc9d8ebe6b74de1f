// Table user_state — partition: user_id (one row). last_read_at and the "mark all" watermarks are
// written `USING TIMESTAMP ms*1000` (they only move forward); home_floor uses the driver's
// (wall-clock) timestamp because a rebuild may legitimately lower it.
export const USER_STATE_CQL = {
  get: 'SELECT last_read_at, home_floor, seen_all_at, read_all_at, rebuild_started_at, rebuilt_at, home_layout FROM user_state WHERE user_id = ?',
  /** Up to LAST_READ_GROUP users of one replica (fanout's active check). */
  lastReadAmong: 'SELECT user_id, last_read_at FROM user_state WHERE user_id IN ?',
  setLastRead: 'UPDATE user_state USING TIMESTAMP ? SET last_read_at = ? WHERE user_id = ?',
  setHomeFloor: 'UPDATE user_state SET home_floor = ? WHERE user_id = ?',
  startRebuild: 'UPDATE user_state USING TIMESTAMP ? SET last_read_at = ?, rebuild_started_at = ? WHERE user_id = ?',
  finishRebuild: 'UPDATE user_state SET rebuilt_at = ?, home_floor = ?, home_layout = ? WHERE user_id = ?',
  /** Loaders that write home rows themselves (the benchmark) record the layout they wrote. */
  setHomeLayout: 'UPDATE user_state SET home_layout = ? WHERE user_id = ?',
  markSeenAll: 'UPDATE user_state USING TIMESTAMP ? SET seen_all_at = ? WHERE user_id = ?',
  markReadAll: 'UPDATE user_state USING TIMESTAMP ? SET seen_all_at = ?, read_all_at = ? WHERE user_id = ?',
} as const;
