// Table high_follower_authors — partition: author_id. Sticky: rows are never deleted, so an author
// once pulled stays pulled and no activity falls between the push and pull paths.
export const HIGH_FOLLOWER_AUTHORS_CQL = {
  insert: 'INSERT INTO high_follower_authors (author_id, since) VALUES (?, ?)',
  get: 'SELECT since FROM high_follower_authors WHERE author_id = ?',
} as const;
