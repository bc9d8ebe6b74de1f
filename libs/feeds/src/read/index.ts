export * from './cursor';
export * from './page-merger';
export * from './feed-reader.service';
export * from './notification-reader.service';
export * from './commands.service';
export * from './activity-cache';
