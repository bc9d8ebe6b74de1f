export * from './errors';
export * from './ids';
export * from './activity';
export * from './policy';
export * from './buckets';
export * from './merge';
export * from './graph';
export * from './notifications';
