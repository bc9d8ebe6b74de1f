export * from './ports';
export * from './dto/activity-input.dto';
export * from './intake';
export * from './fanout.service';
export * from './active-reader-cache';
export * from './fanout-metrics';
export * from './transient';
export * from './fanout.module';
