// Table activities — partition: id (one row per activity). The body is stored once and hydrated at
// read time. A delete adds its actor to `deleted_by` (a marker kept for the retention TTL) instead of
// removing the row, so a redelivered create cannot resurrect it, and a marker by one actor never hides
// another actor's activity (schema 002). `extra` is JSON text; optional columns are bound
// `unset` when absent so no null tombstones are written.
export const ACTIVITIES_CQL = {
  insert:
    'INSERT INTO activities (id, actor, type, object, target, published, recipients, foreign_id, extra, accepted_at) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?',
  markDeleted: 'UPDATE activities USING TTL ? AND TIMESTAMP ? SET deleted_by = deleted_by + ? WHERE id = ?',
  get: 'SELECT id, actor, type, object, target, published, recipients, foreign_id, extra, accepted_at, deleted, deleted_by FROM activities WHERE id = ?',
} as const;
