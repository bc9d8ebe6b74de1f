import 'reflect-metadata';
import { StoreUnavailableError, ACTIVITY_STORE, GRAPH_STORE, NOTIFICATION_STORE, READER_STATE_STORE, TIMELINE_STORE } from '@app/feeds';
import { TEST_KEYSPACE, testConfig, uniqueTag } from '@app/testing';
import { Test } from '@nestjs/testing';
import { Client } from 'cassandra-driver';
import {
  CASSANDRA_CLIENT,
  CassandraActivityStore,
  CassandraGraphStore,
  CassandraHealth,
  CassandraNotificationStore,
  CassandraReaderStateStore,
  CassandraStorageModule,
  CassandraTimelineStore,
  createCassandraClient,
  pingCassandra,
} from '../src';

describe('CassandraStorageModule', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('provides every port, a keyspace-bound client and a health probe, and closes the client on shutdown', async () => {
    Object.assign(process.env, { CASSANDRA_KEYSPACE: TEST_KEYSPACE, MIGRATE_ON_START: 'true', LOG_LEVEL: 'warn' });
    const app = await Test.createTestingModule({ imports: [CassandraStorageModule.forRoot()] }).compile();
    await app.init();

    expect(app.get(ACTIVITY_STORE)).toBeInstanceOf(CassandraActivityStore);
    expect(app.get(TIMELINE_STORE)).toBeInstanceOf(CassandraTimelineStore);
    expect(app.get(GRAPH_STORE)).toBeInstanceOf(CassandraGraphStore);
    expect(app.get(READER_STATE_STORE)).toBeInstanceOf(CassandraReaderStateStore);
    expect(app.get(NOTIFICATION_STORE)).toBeInstanceOf(CassandraNotificationStore);
    const client = app.get<Client>(CASSANDRA_CLIENT);
    expect(client.keyspace).toBe(TEST_KEYSPACE);
    await expect(app.get(CassandraHealth).ping()).resolves.toBeUndefined();

    await app.close();
    await expect(client.execute('SELECT release_version FROM system.local')).rejects.toThrow();
  });

  it('answers a ping against an unreachable cluster with StoreUnavailableError within the ping timeout', async () => {
    const cfg = testConfig(uniqueTag('down'), { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' });
    const client = createCassandraClient(cfg.cassandra, { keyspace: null });
    const started = Date.now();
    try {
      await expect(pingCassandra(client)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await client.shutdown();
    }
  });
});
