// Table foreign_ids — partition: (actor, foreign_id), one row: the id and `published` the first acceptance of
// that pair was given (claimed with IF NOT EXISTS, so concurrent first submissions agree on one).
export const FOREIGN_IDS_CQL = {
  claim: 'INSERT INTO foreign_ids (actor, foreign_id, id, published) VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ?',
  get: 'SELECT id, published FROM foreign_ids WHERE actor = ? AND foreign_id = ?',
} as const;
