import 'reflect-metadata';
import { Client } from 'cassandra-driver';
import { AppConfig } from '@app/config';
import { Activity, GraphChange, newActivityId, toIso, UserId } from '@app/domain';
import { createCassandraClient, createCassandraStores, CassandraStores } from '@app/storage-cassandra';
import { RecordingChunkPublisher, RecordingLivePublisher, testConfig, uniqueTag } from '@app/testing';
import { EventPublisher } from '../src/ports';
import { createReadPath } from '../src/read/read-path';
import { NOOP_FANOUT_METRICS } from '../src/write/fanout-metrics';
import { createWritePath } from '../src/write/fanout.service';

/**
 * Pages served from timeline rows that carry their activity (schema 003), against real Cassandra: what a
 * reader sees must not change, only what it costs. The worker is never run here unless a test calls it, so
 * "the removal fanout has not run yet" is the state the tests read in.
 */
const tag = uniqueTag('inl');
let cfg: AppConfig;
let client: Client;
let stores: CassandraStores;
const u = (name: string): UserId => `${tag}_${name}`;
const noBeat = async (): Promise<void> => undefined;

/** Kafka as far as the API goes: records are kept, no worker consumes them. */
class KeptEvents implements EventPublisher {
  readonly sent: string[] = [];
  async publishActivity(a: Activity): Promise<void> {
    this.sent.push(`activity:${a.id}`);
  }
  async publishDelete(id: string): Promise<void> {
    this.sent.push(`delete:${id}`);
  }
  async publishGraphChange(c: GraphChange): Promise<void> {
    this.sent.push(`${c.op}:${c.user}:${c.target}`);
  }
}

/** One API instance (its own caches) over the shared stores. */
async function apiInstance() {
  const path = createReadPath(cfg, { ...stores, events: new KeptEvents() });
  await path.recentDeletes.refresh();
  return path;
}

const worker = () => createWritePath(cfg, { ...stores, chunks: new RecordingChunkPublisher(), live: new RecordingLivePublisher(), metrics: NOOP_FANOUT_METRICS });

let seq = 0;
function activity(actor: UserId, agoMs = 60_000): Activity {
  const ms = Math.floor((Date.now() - agoMs) / 1000) * 1000 - seq++;
  return { id: newActivityId(ms), actor, type: 'post', object: `note:${seq}`, published: toIso(ms) };
}

/** Alice posts (fanned out by the worker) to her active follower Bob. */
async function posted(name: string): Promise<{ alice: UserId; bob: UserId; a: Activity }> {
  const [alice, bob] = [u(`alice_${name}`), u(`bob_${name}`)];
  await stores.graph.apply({ op: 'follow', user: bob, target: alice, atMs: Date.now() - 3_600_000 });
  await stores.readers.setLastRead(bob, Date.now());
  const a = activity(alice);
  await worker().ingest(a, Date.now(), noBeat);
  return { alice, bob, a };
}

beforeAll(async () => {
  cfg = testConfig(tag);
  client = createCassandraClient(cfg.cassandra);
  await client.connect();
  stores = createCassandraStores(client, cfg);
});

afterAll(async () => {
  await client?.shutdown();
});

describe('home pages from rows that carry their activity', () => {
  it('serves the page with no point read of the activities table', async () => {
    const { bob, a } = await posted('cost');
    const api = await apiInstance();
    const reads = jest.spyOn(stores.activities, 'getMany');
    try {
      const page = await api.reader.homeFeed(bob, 25);
      expect(page.items).toEqual([a]);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it('hides a delete accepted by one API instance on every other instance once it polls, before any home row is removed', async () => {
    const { alice, bob, a } = await posted('delete');
    const [accepting, other] = [await apiInstance(), await apiInstance()];
    expect((await other.reader.homeFeed(bob, 25)).items.map((x) => x.id)).toEqual([a.id]);
    await accepting.commands.delete({ sub: alice, admin: false }, a.id);
    // The accepting instance hides it at once; the other after one poll of recent deletes.
    expect((await accepting.reader.homeFeed(bob, 25)).items).toEqual([]);
    await other.recentDeletes.refresh();
    expect((await other.reader.homeFeed(bob, 25)).items).toEqual([]);
    expect((await other.reader.userFeed(alice, 25)).items).toEqual([]);
    // The row itself is still in Bob's home timeline: only the marker hides it.
    expect((await stores.timelines.readHome(bob, null, Date.now() - 86_400_000, 10)).rows.map((r) => r.id)).toEqual([a.id]);
  });

  it('still hides a deleted activity on an instance whose recent deletes have not loaded (it verifies every row)', async () => {
    const { alice, bob, a } = await posted('unloaded');
    await (await apiInstance()).commands.delete({ sub: alice, admin: false }, a.id);
    const cold = createReadPath(cfg, { ...stores, events: new KeptEvents() });
    expect(cold.recentDeletes.complete).toBe(false);
    expect((await cold.reader.homeFeed(bob, 25)).items).toEqual([]);
  });

  it('drops an unfollowed author from the next page on the instance that took the unfollow, before the worker ran', async () => {
    const { alice, bob, a } = await posted('unfollow');
    const api = await apiInstance();
    expect((await api.reader.homeFeed(bob, 25)).items.map((x) => x.id)).toEqual([a.id]); // context now cached
    await api.commands.changeGraph({ sub: bob, admin: false }, 'unfollow', bob, alice);
    expect((await api.reader.homeFeed(bob, 25)).items).toEqual([]);
    await api.commands.changeGraph({ sub: bob, admin: false }, 'mute', bob, u('nobody'));
    await api.commands.changeGraph({ sub: bob, admin: false }, 'follow', bob, alice);
    expect((await api.reader.homeFeed(bob, 25)).items.map((x) => x.id)).toEqual([a.id]);
  });
});

describe('an activity identified by (actor, foreignId) alone (CONTRACT v1.1 §1)', () => {
  it('a REST retry without published answers with the first acceptance: same id and published, also under concurrency', async () => {
    const api = await apiInstance();
    const alice = u('fid_rest');
    const caller = { sub: alice, admin: false };
    const input = { actor: alice, type: 'post', object: 'note:retry', foreignId: 'client-42' };
    const first = await api.commands.accept(caller, input);
    await new Promise((r) => setImmediate(r));
    const retry = await api.commands.accept(caller, { ...input });
    expect(retry).toEqual(first);
    const racing = await Promise.all(Array.from({ length: 6 }, () => api.commands.accept(caller, { ...input, foreignId: 'client-43' })));
    expect(new Set(racing.map((a) => a.id)).size).toBe(1);
    expect(new Set(racing.map((a) => a.published)).size).toBe(1);
    // The same foreignId of another actor is another activity.
    const bob = u('fid_rest_bob');
    expect((await api.commands.accept({ sub: bob, admin: false }, { ...input, actor: bob })).id).not.toBe(first.id);
  });

  it("a producer's re-sent Kafka record without published lands on the first one's rows: one feed entry", async () => {
    const alice = u('fid_kafka');
    const base = { actor: alice, type: 'post', object: 'note:k', foreignId: 'prod-7' };
    const a1 = { ...base, id: newActivityId(Date.now() - 5_000), published: toIso(Date.now() - 5_000) };
    const a2 = { ...base, id: newActivityId(Date.now() - 1_000), published: toIso(Date.now() - 1_000) };
    await worker().ingest(a1, Date.now() - 5_000, noBeat, true);
    await worker().ingest(a2, Date.now(), noBeat, true);
    const api = await apiInstance();
    expect((await api.reader.userFeed(alice, 10)).items.map((x) => [x.id, x.published])).toEqual([[a1.id, a1.published]]);
  });
});
