import { APP_CONFIG, AppConfig, AppConfigModule } from '@app/config';
import { ACTIVITY_STORE, DELETE_MARKER_STORE, FOREIGN_ID_STORE, GRAPH_STORE, NOTIFICATION_STORE, READER_STATE_STORE, TIMELINE_STORE } from '@app/feeds';
import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Client } from 'cassandra-driver';
import { connectCassandra } from './bootstrap';
import { CassandraActivityStore } from './cassandra-activity.store';
import { CassandraDeleteMarkerStore } from './cassandra-delete-marker.store';
import { CassandraForeignIdStore } from './cassandra-foreign-id.store';
import { CassandraGraphStore } from './cassandra-graph.store';
import { CassandraHealth } from './cassandra-health';
import { CassandraNotificationStore } from './cassandra-notification.store';
import { CassandraReaderStateStore } from './cassandra-reader-state.store';
import { CassandraTimelineStore } from './cassandra-timeline.store';
import { classifyingClient } from './errors';
import { CASSANDRA_CLIENT } from './tokens';

/** A store over the shared client, seeing driver errors classified (errors.ts). */
const store = (token: symbol, make: (client: Client) => unknown): Provider => ({
  provide: token,
  useFactory: (client: Client) => make(classifyingClient(client)),
  inject: [CASSANDRA_CLIENT],
});

/**
 * Cassandra-backed ports. Resolving CASSANDRA_CLIENT runs the migrations when
 * `cassandra.migrateOnStart` is set and connects; if Cassandra is down the app fails to start with a
 * clear message. Once started, an outage surfaces as errors (NoHostAvailable / timeouts, classed as
 * transient) and the driver reconnects by itself (exponential backoff, capped at 5 s).
 */
@Global()
@Module({})
export class CassandraStorageModule implements OnApplicationShutdown {
  private readonly logger = new Logger(CassandraStorageModule.name);

  constructor(@Inject(CASSANDRA_CLIENT) private readonly client: Client) {}

  static forRoot(): DynamicModule {
    return {
      module: CassandraStorageModule,
      imports: [AppConfigModule],
      providers: [
        {
          provide: CASSANDRA_CLIENT,
          inject: [APP_CONFIG],
          useFactory: (cfg: AppConfig): Promise<Client> => {
            const logger = new Logger(CassandraStorageModule.name);
            return connectCassandra(cfg, { log: (m) => logger.log(m) });
          },
        },
        store(ACTIVITY_STORE, (c) => new CassandraActivityStore(c)),
        store(TIMELINE_STORE, (c) => new CassandraTimelineStore(c)),
        store(GRAPH_STORE, (c) => new CassandraGraphStore(c)),
        store(READER_STATE_STORE, (c) => new CassandraReaderStateStore(c)),
        store(NOTIFICATION_STORE, (c) => new CassandraNotificationStore(c)),
        store(DELETE_MARKER_STORE, (c) => new CassandraDeleteMarkerStore(c)),
        store(FOREIGN_ID_STORE, (c) => new CassandraForeignIdStore(c)),
        CassandraHealth,
      ],
      exports: [CASSANDRA_CLIENT, ACTIVITY_STORE, TIMELINE_STORE, GRAPH_STORE, READER_STATE_STORE, NOTIFICATION_STORE, DELETE_MARKER_STORE, FOREIGN_ID_STORE, CassandraHealth],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.client.shutdown();
    } catch (e) {
      this.logger.warn(`Cassandra client shutdown failed: ${(e as Error).message}`);
    }
  }
}
