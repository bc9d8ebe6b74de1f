export * from './cursor';
export * from './page-merger';
export * from './feed-reader.service';
export * from './returning-readers';
export * from './notification-reader.service';
export * from './activity-cache';
