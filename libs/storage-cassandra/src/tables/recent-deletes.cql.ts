// Table recent_deletes — partition: hour = floor(written_at / 1 h); clustering: (written_at ASC, id ASC).
// One row per delete, with a TTL covering the marker span (DELETE_MARKER_HOURS) plus one hour. Read by
// the API to hide deleted activities whose removal fanout has not reached every home timeline yet.
export const RECENT_DELETES_CQL = {
  insert: 'INSERT INTO recent_deletes (hour, written_at, id, actor) VALUES (?, ?, ?, ?) USING TTL ?',
  since: 'SELECT written_at, id FROM recent_deletes WHERE hour = ? AND written_at >= ? LIMIT ?',
} as const;
