export * from './support';
export * from './activity-store.contract';
export * from './timeline-store.contract';
export * from './graph-store.contract';
export * from './reader-state-store.contract';
export * from './notification-store.contract';
