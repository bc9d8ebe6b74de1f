// Table follow_counts — partition: user_id; counters. Counter updates are not idempotent (never
// retried by the driver) and are approximate under races; see CassandraGraphStore.apply.
export const FOLLOW_COUNTS_CQL = {
  addFollowers: 'UPDATE follow_counts SET followers = followers + ? WHERE user_id = ?',
  addFollowing: 'UPDATE follow_counts SET following = following + ? WHERE user_id = ?',
  get: 'SELECT followers, following FROM follow_counts WHERE user_id = ?',
} as const;
