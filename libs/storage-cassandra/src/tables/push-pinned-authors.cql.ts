// Table push_pinned_authors — partition: author_id. An operator pinned the author to push (`tideline demote`);
// the pin wins over high_follower_authors and over the follower count. `tideline promote` removes it.
export const PUSH_PINNED_AUTHORS_CQL = {
  insert: 'INSERT INTO push_pinned_authors (author_id, since) VALUES (?, ?)',
  get: 'SELECT since FROM push_pinned_authors WHERE author_id = ?',
  remove: 'DELETE FROM push_pinned_authors WHERE author_id = ?',
} as const;
