// Table high_follower_authors — partition: author_id. Set by promotion (crossing the threshold, or `tideline
// promote`) after every follower has a pulled_follows row; removed only by `tideline demote`, after the author is
// pinned to push and every follower's home holds the author's recent activities (libs/feeds DemotionService).
export const HIGH_FOLLOWER_AUTHORS_CQL = {
  insert: 'INSERT INTO high_follower_authors (author_id, since) VALUES (?, ?)',
  get: 'SELECT since FROM high_follower_authors WHERE author_id = ?',
  remove: 'DELETE FROM high_follower_authors WHERE author_id = ?',
} as const;
