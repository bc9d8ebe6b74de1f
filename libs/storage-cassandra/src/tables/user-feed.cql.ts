// Table user_feed — partition: (actor, bucket) with bucket = bucketOf(published, USER_FEED_BUCKET_MS);
// clustering: (published DESC, id DESC). Rows carry TTL = retention - age; we never DELETE to trim,
// only to remove a deleted activity (timestamped, so a late re-insert cannot resurrect it). `body` as in
// home_timeline (schema 003).
export const USER_FEED_CQL = {
  insert: 'INSERT INTO user_feed (actor, bucket, published, id, body) VALUES (?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?',
  remove: 'DELETE FROM user_feed USING TIMESTAMP ? WHERE actor = ? AND bucket = ? AND published = ? AND id = ?',
  /** One bucket, strictly older than (published, id), not older than the floor. */
  sliceBefore:
    'SELECT published, id, body FROM user_feed WHERE actor = ? AND bucket = ? AND (published, id) < (?, ?) AND published >= ? LIMIT ?',
  sliceAll: 'SELECT published, id, body FROM user_feed WHERE actor = ? AND bucket = ? AND published >= ? LIMIT ?',
} as const;
