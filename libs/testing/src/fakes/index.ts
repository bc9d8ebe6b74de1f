export * from './in-memory-stores';
export * from './in-memory-delete-markers';
export * from './in-memory-foreign-ids';
