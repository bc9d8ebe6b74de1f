// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { AppConfig } from '@app/config';
import { testConfig, uniqueTag } from '@app/testing';
import { Client } from 'cassandra-driver';
import { createCassandraClient, createCassandraStores, CassandraStores } from '../src';

export interface StorageFixture {
  readonly tag: string;
  readonly cfg: AppConfig;
  readonly client: Client;
  readonly stores: CassandraStores;
}

/** A client on the shared test keyspace (migrated by test/global-setup.ts) and its stores. */
export async function openStorage(prefix: string): Promise<StorageFixture> {
  const tag = uniqueTag(prefix);
  const cfg = testConfig(tag);
  const client = createCassandraClient(cfg.cassandra);
  await client.connect();
  return { tag, cfg, client, stores: createCassandraStores(client, cfg) };
}

export const DAY_MS = 86_400_000;
