// Table notification_marks — partition: user_id; clustering: group_id. Each mark is written
// `USING TIMESTAMP ms*1000`, so a mark never moves backwards when requests are reordered, and with the
// retention as TTL (a group older than that no longer exists). Read only for the groups a page shows.
export const NOTIFICATION_MARKS_CQL = {
  markSeen: 'UPDATE notification_marks USING TTL ? AND TIMESTAMP ? SET seen_at = ? WHERE user_id = ? AND group_id = ?',
  markRead: 'UPDATE notification_marks USING TTL ? AND TIMESTAMP ? SET seen_at = ?, read_at = ? WHERE user_id = ? AND group_id = ?',
  among: 'SELECT group_id, seen_at, read_at FROM notification_marks WHERE user_id = ? AND group_id IN ?',
} as const;
