import { AppConfig, loadAppConfig } from '@app/config';
import { createKafka } from '@app/messaging-kafka';
import { CassandraStores, createCassandraClient, createCassandraStores } from '@app/storage-cassandra';
import { Client } from 'cassandra-driver';
import { Admin, Kafka } from 'kafkajs';
import { CliError, CliIo, errorText } from './io';
import { Progress } from './progress';

/**
 * What a command needs, opened on first use and closed once the command ends: the configuration (validated
 * from the environment, as the API and worker do), Cassandra (never migrated from here: a CLI run must not change
 * the schema), Kafka.
 */
export class CliContext {
  private cfgCache: AppConfig | null = null;
  private client: Client | null = null;
  private kafkaCache: Kafka | null = null;
  private adminCache: Admin | null = null;

  /** Deadline of one bounded topic read (`--read-timeout`). */
  readTimeoutMs = 60_000;

  constructor(readonly io: CliIo) {}

  get cfg(): AppConfig {
    if (!this.cfgCache) {
      try {
        this.cfgCache = loadAppConfig(this.io.env);
      } catch (e) {
        throw new CliError(errorText(e), 1, 'INVALID_CONFIG');
      }
    }
    return this.cfgCache;
  }

  progress(label: string): Progress {
    return new Progress(this.io.stderr, this.io.stderrIsTTY, label);
  }

  /** A connected client bound to the configured keyspace. */
  async cassandra(): Promise<Client> {
    if (this.client) return this.client;
    const { contactPoints, keyspace } = this.cfg.cassandra;
    const client = createCassandraClient(this.cfg.cassandra);
    try {
      await client.connect();
    } catch (e) {
      await client.shutdown().catch(() => undefined);
      throw new CliError(`Cannot connect to Cassandra at ${contactPoints.join(',')} (keyspace ${keyspace}): ${errorText(e)}. Run \`tideline doctor\`.`, 1, 'CASSANDRA_UNAVAILABLE');
    }
    this.client = client;
    return client;
  }

  async stores(): Promise<CassandraStores> {
    return createCassandraStores(await this.cassandra(), this.cfg);
  }

  kafka(): Kafka {
    this.kafkaCache ??= createKafka(this.cfg, 'cli');
    return this.kafkaCache;
  }

  async admin(): Promise<Admin> {
    if (this.adminCache) return this.adminCache;
    const admin = this.kafka().admin();
    try {
      await admin.connect();
    } catch (e) {
      throw new CliError(`Cannot connect to Kafka at ${this.cfg.kafka.brokers.join(',')}: ${errorText(e)}. Run \`tideline doctor\`.`, 1, 'KAFKA_UNAVAILABLE');
    }
    this.adminCache = admin;
    return admin;
  }

  async close(): Promise<void> {
    await this.adminCache?.disconnect().catch(() => undefined);
    await this.client?.shutdown().catch(() => undefined);
    this.adminCache = null;
    this.client = null;
  }
}
