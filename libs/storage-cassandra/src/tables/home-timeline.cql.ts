// Table home_timeline — partition: (user_id, bucket) with bucket = bucketOf(published, HOME_BUCKET_MS);
// clustering: (published DESC, id DESC). Rows carry TTL = home window - age; never trimmed by DELETE.
// Deletes are timestamped with the delete's time, so a late fanout insert cannot resurrect the row.
// `body` (schema 003) is the activity as JSON when it fits the inline limit, else unset (hydrated).
export const HOME_TIMELINE_CQL = {
  insert: 'INSERT INTO home_timeline (user_id, bucket, published, id, actor, body) VALUES (?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?',
  remove: 'DELETE FROM home_timeline USING TIMESTAMP ? WHERE user_id = ? AND bucket = ? AND published = ? AND id = ?',
  sliceBefore:
    'SELECT published, id, actor, body FROM home_timeline WHERE user_id = ? AND bucket = ? AND (published, id) < (?, ?) AND published >= ? LIMIT ?',
  sliceAll: 'SELECT published, id, actor, body FROM home_timeline WHERE user_id = ? AND bucket = ? AND published >= ? LIMIT ?',
} as const;
