// Table following — partition: user_id; clustering: target_id ASC (stable paging by user id).
// Written `USING TIMESTAMP atMs*1000` so an old follow never resurrects a newer unfollow.
export const FOLLOWING_CQL = {
  insert: 'INSERT INTO following (user_id, target_id, since) VALUES (?, ?, ?) USING TIMESTAMP ?',
  remove: 'DELETE FROM following USING TIMESTAMP ? WHERE user_id = ? AND target_id = ?',
  exists: 'SELECT since FROM following WHERE user_id = ? AND target_id = ?',
  among: 'SELECT target_id FROM following WHERE user_id = ? AND target_id IN ?',
  pageFirst: 'SELECT target_id, since FROM following WHERE user_id = ? LIMIT ?',
  pageAfter: 'SELECT target_id, since FROM following WHERE user_id = ? AND target_id > ? LIMIT ?',
  all: 'SELECT target_id FROM following WHERE user_id = ?',
  upTo: 'SELECT target_id FROM following WHERE user_id = ? LIMIT ?',
} as const;
