// Table pulled_follows — partition: user_id; clustering: author_id. The high-follower authors a user
// follows (merged into home at read time). Timestamped writes and deletes (last-write-wins).
export const PULLED_FOLLOWS_CQL = {
  insert: 'INSERT INTO pulled_follows (user_id, author_id) VALUES (?, ?) USING TIMESTAMP ?',
  remove: 'DELETE FROM pulled_follows USING TIMESTAMP ? WHERE user_id = ? AND author_id = ?',
  all: 'SELECT author_id FROM pulled_follows WHERE user_id = ?',
} as const;
