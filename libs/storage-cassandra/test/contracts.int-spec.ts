import {
  activityStoreContract,
  graphStoreContract,
  MakeStore,
  notificationStoreContract,
  readerStateStoreContract,
  timelineStoreContract,
} from '@app/testing';
import { CassandraStores } from '../src';
import { openStorage } from './support';

// The store contracts (libs/testing/src/contracts) against Cassandra, on the shared test keyspace:
// every test uses ids with a random tag of its own. libs/testing/test/contracts.spec.ts runs the same
// contracts against the in-memory fakes.
const cassandra =
  <K extends keyof CassandraStores>(key: K): MakeStore<CassandraStores[K]> =>
  async () => {
    const fx = await openStorage(`ct${String(key).slice(0, 3)}`);
    return { store: fx.stores[key], close: () => fx.client.shutdown() };
  };

activityStoreContract(cassandra('activities'));
timelineStoreContract(cassandra('timelines'));
graphStoreContract(cassandra('graph'));
readerStateStoreContract(cassandra('readers'));
notificationStoreContract(cassandra('notifications'));
