// Table notification_days — partition: user_id; clustering: day DESC. An index of the days holding
// notifications, so readers skip empty days in one query. Rows are never deleted: a day whose entries
// were all removed reads as empty. Their TTL outlives the day's entries (see the store).
export const NOTIFICATION_DAYS_CQL = {
  insert: 'INSERT INTO notification_days (user_id, day) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?',
  between: 'SELECT day FROM notification_days WHERE user_id = ? AND day >= ? AND day <= ? LIMIT ?',
} as const;
