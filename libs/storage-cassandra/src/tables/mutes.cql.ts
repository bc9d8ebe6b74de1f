// Table mutes — partition: user_id (the muter); clustering: target_id. Timestamped like `following`.
export const MUTES_CQL = {
  insert: 'INSERT INTO mutes (user_id, target_id, since) VALUES (?, ?, ?) USING TIMESTAMP ?',
  remove: 'DELETE FROM mutes USING TIMESTAMP ? WHERE user_id = ? AND target_id = ?',
  exists: 'SELECT since FROM mutes WHERE user_id = ? AND target_id = ?',
  all: 'SELECT target_id FROM mutes WHERE user_id = ?',
  pageFirst: 'SELECT target_id, since FROM mutes WHERE user_id = ? LIMIT ?',
  pageAfter: 'SELECT target_id, since FROM mutes WHERE user_id = ? AND target_id > ? LIMIT ?',
} as const;
