import {
  activityStoreContract,
  graphStoreContract,
  InMemoryActivityStore,
  InMemoryGraphStore,
  InMemoryNotificationStore,
  InMemoryReaderStateStore,
  InMemoryTimelineStore,
  notificationStoreContract,
  readerStateStoreContract,
  timelineStoreContract,
} from '@app/testing';

// The store contracts against the in-memory fakes used by unit tests; libs/storage-cassandra/test/
// contracts.int-spec.ts runs the same contracts against Cassandra, so the fakes cannot drift from it.
activityStoreContract(async () => ({ store: new InMemoryActivityStore() }));
timelineStoreContract(async () => ({ store: new InMemoryTimelineStore() }));
graphStoreContract(async () => ({ store: new InMemoryGraphStore() }));
readerStateStoreContract(async () => ({ store: new InMemoryReaderStateStore() }));
notificationStoreContract(async () => ({ store: new InMemoryNotificationStore() }));
