// Table followers — partition: user_id (the followee); clustering: follower_id ASC. The mirror of
// `following`, written with the same timestamps. Large partitions are read with driver paging.
export const FOLLOWERS_CQL = {
  insert: 'INSERT INTO followers (user_id, follower_id, since) VALUES (?, ?, ?) USING TIMESTAMP ?',
  remove: 'DELETE FROM followers USING TIMESTAMP ? WHERE user_id = ? AND follower_id = ?',
  pageFirst: 'SELECT follower_id, since FROM followers WHERE user_id = ? LIMIT ?',
  pageAfter: 'SELECT follower_id, since FROM followers WHERE user_id = ? AND follower_id > ? LIMIT ?',
  all: 'SELECT follower_id FROM followers WHERE user_id = ?',
} as const;
