// Table notification_log — partition: (user_id, day) with day = dayNumber(published) (yyyymmdd, UTC),
// exactly the scope of a notification group; clustering: (published DESC, id DESC). TTL per row.
export const NOTIFICATION_LOG_CQL = {
  insert:
    'INSERT INTO notification_log (user_id, day, published, id, actor, type, object, received_at) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?',
  remove: 'DELETE FROM notification_log USING TIMESTAMP ? WHERE user_id = ? AND day = ? AND published = ? AND id = ?',
  readDay: 'SELECT published, id, actor, type, object, received_at FROM notification_log WHERE user_id = ? AND day = ? LIMIT ?',
} as const;
