import { AppConfig } from '@app/config';
import { ActivityStore, DeleteMarkerStore, ForeignIdStore, GraphStore, NotificationStore, ReaderStateStore, TimelineStore } from '@app/feeds';
import { Client } from 'cassandra-driver';
import { classifyingClient } from './errors';
import { CassandraActivityStore } from './cassandra-activity.store';
import { CassandraDeleteMarkerStore } from './cassandra-delete-marker.store';
import { CassandraForeignIdStore } from './cassandra-foreign-id.store';
import { CassandraGraphStore } from './cassandra-graph.store';
import { CassandraNotificationStore } from './cassandra-notification.store';
import { CassandraReaderStateStore } from './cassandra-reader-state.store';
import { CassandraTimelineStore } from './cassandra-timeline.store';

export interface CassandraStores {
  readonly activities: ActivityStore;
  readonly timelines: TimelineStore;
  readonly graph: GraphStore;
  readonly readers: ReaderStateStore;
  readonly notifications: NotificationStore;
  readonly deletes: DeleteMarkerStore;
  readonly foreignIds: ForeignIdStore;
}

/**
 * All stores over one client bound to the application keyspace (tests, scripts, benchmarks).
 * `_cfg` is accepted for symmetry with the module and future per-store tuning.
 */
export function createCassandraStores(raw: Client, _cfg?: Pick<AppConfig, 'cassandra'>): CassandraStores {
  // Stores see driver errors classified (transient = StoreUnavailableError): see errors.ts.
  const client = classifyingClient(raw);
  return {
    activities: new CassandraActivityStore(client),
    timelines: new CassandraTimelineStore(client),
    graph: new CassandraGraphStore(client),
    readers: new CassandraReaderStateStore(client),
    notifications: new CassandraNotificationStore(client),
    deletes: new CassandraDeleteMarkerStore(client),
    foreignIds: new CassandraForeignIdStore(client),
  };
}
