export * from './in-memory-stores';
