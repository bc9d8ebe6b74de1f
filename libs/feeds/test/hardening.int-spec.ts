// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { Client } from 'cassandra-driver';
import { AppConfig } from '@app/config';
import { Activity, bucketOf, DAY_MS, DomainError, GraphChange, HOME_BUCKET_MS, HOME_TTL_SLACK_SECONDS, newActivityId, toIso, UserId } from '@app/domain';
import { createCassandraClient, createCassandraStores, CassandraStores } from '@app/storage-cassandra';
import { RecordingChunkPublisher, RecordingLivePublisher, testConfig, uniqueTag, waitFor } from '@app/testing';
import { NOOP_FANOUT_METRICS } from '../src/write/fanout-metrics';
import { createWritePath } from '../src/write/fanout.service';
import { createReadPath } from '../src/read/read-path';
import { EventPublisher, NotificationStore, TimelineStore } from '../src/ports';
import { CursorCodec } from '../src/read/cursor';
import { FeedReaderService } from '../src/read/feed-reader.service';
import { NotificationReaderService, NOTIFICATION_DAY_ROWS, NOTIFICATION_SCAN_DAYS } from '../src/read/notification-reader.service';
import { StoreUnavailableError } from '../src/transient';

/**
 * The write and read services of libs/feeds against the real Cassandra (test keyspace), each case after
 * a behaviour the hardening issue found broken. Kafka is not under test here: the publishers are the
 * recording ones, or an event publisher that fails on demand (what a Kafka outage looks like to them).
 */
jest.setTimeout(120_000);

const tag = uniqueTag('hd');
let cfg: AppConfig;
let client: Client;
let stores: CassandraStores;
const u = (name: string): UserId => `${tag}_${name}`;
const noBeat = async (): Promise<void> => undefined;

class ScriptedPublisher implements EventPublisher {
  failNext = 0;
  readonly sent: string[] = [];
  private gate(kind: string): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new StoreUnavailableError('kafka', `${kind}: Kafka did not acknowledge`);
    }
    this.sent.push(kind);
  }
  async publishActivity(a: Activity): Promise<void> {
    this.gate(`activity:${a.id}`);
  }
  async publishDelete(id: string): Promise<void> {
    this.gate(`delete:${id}`);
  }
  async publishGraphChange(c: GraphChange): Promise<void> {
    this.gate(`${c.op}:${c.user}:${c.target}`);
  }
}

function services(over: Partial<{ timelines: TimelineStore; notifications: NotificationStore; cfg: AppConfig }> = {}) {
  const c = over.cfg ?? cfg;
  const timelines = over.timelines ?? stores.timelines;
  const notifications = over.notifications ?? stores.notifications;
  const cursors = new CursorCodec(c.jwtSecret ?? 'x'.repeat(16));
  const events = new ScriptedPublisher();
  const fanout = createWritePath(c, { ...stores, timelines, notifications, chunks: new RecordingChunkPublisher(), live: new RecordingLivePublisher(), metrics: NOOP_FANOUT_METRICS });
  const { reader, commands } = createReadPath(c, { ...stores, timelines, events }, cursors);
  const notes = new NotificationReaderService(c, cursors, notifications, stores.activities, stores.graph, stores.readers);
  return { fanout, reader, commands, notes, events };
}

let seq = 0;
function activity(actor: UserId, agoMs = 60_000, over: Partial<Activity> = {}): Activity {
  const ms = Math.floor((Date.now() - agoMs) / 1000) * 1000 - seq++;
  return { id: newActivityId(ms), actor, type: 'post', object: `note:${tag}:${seq}`, published: toIso(ms), ...over };
}

async function follow(user: UserId, target: UserId, atMs = Date.now() - 3_600_000): Promise<void> {
  await stores.graph.apply({ op: 'follow', user, target, atMs });
}

async function homeIds(reader: FeedReaderService, user: UserId): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await reader.homeFeed(user, 25, cursor);
    out.push(...page.items.map((a) => a.id));
    if (!page.next) return out;
    cursor = page.next;
  }
  throw new Error('home feed did not end within 50 pages');
}

beforeAll(async () => {
  cfg = testConfig(tag, { FOLLOW_BACKFILL_LIMIT: '5' });
  client = createCassandraClient(cfg.cassandra);
  await client.connect();
  stores = createCassandraStores(client, cfg);
});

afterAll(async () => {
  await client?.shutdown();
});

describe('delete markers from untrusted producers', () => {
  it("a delete for an id not yet stored, by another actor, does not hide the real actor's activity", async () => {
    const { fanout, reader } = services();
    const [alice, mallory] = [u('alice1'), u('mallory1')];
    const a = activity(alice);
    await fanout.remove(a.id, mallory, Date.now(), noBeat); // arrives first, names alice's future id
    await fanout.ingest(a, Date.now(), noBeat);
    expect((await reader.userFeed(alice, 10)).items.map((x) => x.id)).toEqual([a.id]);
  });

  it("the actor's own early delete still wins over a later create", async () => {
    const { fanout, reader } = services();
    const alice = u('alice2');
    const a = activity(alice);
    await fanout.remove(a.id, alice, Date.now(), noBeat);
    expect(await fanout.ingest(a, Date.now() - 1000, noBeat)).toBe('deleted');
    expect((await reader.userFeed(alice, 10)).items).toEqual([]);
  });

  it("a create naming another actor's stored id is refused, and the stored activity is untouched", async () => {
    const { fanout } = services();
    const [alice, mallory] = [u('alice3'), u('mallory3')];
    const a = activity(alice);
    await fanout.ingest(a, Date.now(), noBeat);
    await expect(fanout.ingest({ ...a, actor: mallory, object: 'note:evil' }, Date.now(), noBeat)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await stores.activities.get(a.id))?.activity).toEqual(a);
  });
});

describe('delete right after post (docs/api.md)', () => {
  it('an accepted id is deletable before the worker stored it, and then never appears', async () => {
    const { commands, fanout, reader, events } = services();
    const alice = u('poster');
    const caller = { sub: alice, admin: false };
    const posted = await commands.accept(caller, { actor: alice, type: 'post', object: 'note:quick' });
    await commands.delete(caller, posted.id); // the worker has not run yet
    expect(events.sent).toEqual([`activity:${posted.id}`, `delete:${posted.id}`]);
    // The worker now sees the create, then the delete (same key, in order).
    const stored = await stores.activities.get(posted.id);
    expect(await fanout.ingest(posted, stored?.acceptedMs ?? Date.now(), noBeat)).toBe('deleted');
    await fanout.remove(posted.id, alice, Date.now(), noBeat);
    expect((await reader.userFeed(alice, 10)).items).toEqual([]);
    expect(await homeIds(reader, alice)).toEqual([]);
  });

  it('a delete retried after a 503 completes: the retry is 202 and publishes the removal again', async () => {
    const { commands, events } = services();
    const alice = u('retrier');
    const caller = { sub: alice, admin: false };
    const posted = await commands.accept(caller, { actor: alice, type: 'post', object: 'note:retry' });
    events.failNext = 1;
    await expect(commands.delete(caller, posted.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await commands.delete(caller, posted.id);
    expect(events.sent).toEqual([`activity:${posted.id}`, `delete:${posted.id}`]);
    await commands.delete(caller, posted.id); // and again: still 202, idempotent
  });

  it('publishing needs Kafka only: with the activity store unavailable, a post is still accepted and published', async () => {
    const events = new ScriptedPublisher();
    const down = new Proxy(stores.activities, {
      get(target, prop, recv) {
        if (prop === 'put') return async () => Promise.reject(new StoreUnavailableError('cassandra', 'injected: no host available'));
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
    const { commands } = createReadPath(cfg, { ...stores, activities: down, events });
    const alice = u('outage');
    const posted = await commands.accept({ sub: alice, admin: false }, { actor: alice, type: 'post', object: 'note:outage' });
    expect(events.sent).toEqual([`activity:${posted.id}`]);
  });

  it('an id that was never accepted is 404, and another user may not delete', async () => {
    const { commands } = services();
    const alice = u('owner');
    await expect(commands.delete({ sub: alice, admin: false }, newActivityId(Date.now()))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const posted = await commands.accept({ sub: alice, admin: false }, { actor: alice, type: 'post', object: 'note:mine' });
    await expect(commands.delete({ sub: u('other'), admin: false }, posted.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('returning readers', () => {
  /** Fails appendHomeMany after `okCalls` successful calls (a Cassandra outage half-way through). */
  function failingHomeWrites(okCalls: number): TimelineStore {
    let calls = 0;
    return new Proxy(stores.timelines, {
      get(target, prop, recv) {
        if (prop === 'appendHomeMany') {
          return async (...args: Parameters<TimelineStore['appendHomeMany']>) => {
            if (calls++ >= okCalls) throw new StoreUnavailableError('cassandra', 'injected: write timed out');
            return target.appendHomeMany(...args);
          };
        }
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
  }

  async function returningReader(name: string, followees: number): Promise<{ reader: UserId; expected: string[] }> {
    const reader = u(name);
    const { fanout } = services();
    const expected: Activity[] = [];
    for (let i = 0; i < followees; i++) {
      const author = u(`${name}_a${i}`);
      await follow(reader, author);
      const a = activity(author, 120_000 + i * 1000);
      await fanout.ingest(a, Date.now(), noBeat); // the reader is inactive: fanout skips them
      expected.push(a);
    }
    expected.sort((x, y) => (x.published === y.published ? (x.id < y.id ? 1 : -1) : x.published < y.published ? 1 : -1));
    return { reader, expected: expected.map((a) => a.id) };
  }

  it('a rebuild that fails half-way leaves no holes: the next read is complete', async () => {
    const { reader, expected } = await returningReader('rb1', 40);
    const broken = services({ timelines: failingHomeWrites(10) });
    await expect(broken.reader.homeFeed(reader, 25)).rejects.toBeInstanceOf(StoreUnavailableError);
    const { reader: healthy } = services();
    expect(await homeIds(healthy, reader)).toEqual(expected);
  });

  it('a first read concurrent with a rebuild elsewhere never sees the half-built timeline', async () => {
    const { reader, expected } = await returningReader('rb2', 40);
    // Instance A's rebuild stalls after a few copies (slow store); instance B reads meanwhile.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow = new Proxy(stores.timelines, {
      get(target, prop, recv) {
        if (prop === 'appendHomeMany') {
          return async (...args: Parameters<TimelineStore['appendHomeMany']>) => {
            if (calls++ >= 5) await gate;
            return target.appendHomeMany(...args);
          };
        }
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
    const a = services({ timelines: slow });
    const b = services();
    const rebuilding = a.reader.homeFeed(reader, 25);
    await waitFor('the rebuild on instance A to stall half-way', async () => calls >= 6);
    expect(await homeIds(b.reader, reader)).toEqual(expected);
    release();
    expect((await rebuilding).items.map((x) => x.id)).toEqual(expected.slice(0, 25));
    expect(await homeIds(b.reader, reader)).toEqual(expected);
  });

  it('opening a stream (startReading) marks the reader active, so fanout delivers to them', async () => {
    const { fanout, reader: feeds } = services();
    const [reader, author] = [u('streamer'), u('streamed')];
    await follow(reader, author);
    await feeds.startReading(reader);
    const a = activity(author, 1000);
    await fanout.ingest(a, Date.now(), noBeat);
    const rows = await client.execute('SELECT id FROM home_timeline WHERE user_id = ? AND bucket = ?', [reader, bucketOf(Date.parse(a.published), HOME_BUCKET_MS)], { prepare: true });
    expect(rows.rows.map((r) => r.get('id') as string)).toEqual([a.id]);
  });
});

describe('replays and clocks', () => {
  it('a redelivered activity does not reopen a notification group the user marked seen', async () => {
    const { fanout, notes } = services();
    const [bob, carol] = [u('bob'), u('carol')];
    const a = activity(carol, 5_000, { to: [bob], type: 'Like', object: `post:${tag}:liked` });
    const acceptedMs = Date.now() - 4_000;
    await fanout.ingest(a, acceptedMs, noBeat);
    await notes.mark(bob, 'seen', undefined);
    expect((await notes.list(bob, 10)).unseen).toBe(0);
    await new Promise((r) => setTimeout(r, 20)); // a redelivery happens later on the worker's clock
    await fanout.ingest(a, acceptedMs, noBeat);
    const page = await notes.list(bob, 10);
    expect(page.unseen).toBe(0);
    expect(page.items[0]?.seen).toBe(true);
  });

  it('home rows outlive the window edge by the slack, so a page crossing the edge finds them in one region', async () => {
    const { fanout } = services();
    const [reader, author] = [u('edge-r'), u('edge-a')];
    await follow(reader, author);
    await stores.readers.setLastRead(reader, Date.now());
    const a = activity(author, cfg.policy.homeWindowDays * DAY_MS - 30_000); // 30 s inside the window
    await fanout.ingest(a, Date.now(), noBeat);
    const rs = await client.execute('SELECT TTL(actor) AS t FROM home_timeline WHERE user_id = ? AND bucket = ? AND published = ? AND id = ?', [reader, bucketOf(Date.parse(a.published), HOME_BUCKET_MS), new Date(a.published), a.id], { prepare: true });
    expect(rs.first()?.get('t') as number).toBeGreaterThan(HOME_TTL_SLACK_SECONDS);
  });
});

describe('follow changes whose publish fails', () => {
  it('a follow answered 503 (publish failed) changed nothing; the retry does the whole follow', async () => {
    const { commands, events } = services();
    const [user, target] = [u('f503'), u('t503')];
    events.failNext = 1;
    await expect(commands.changeGraph({ sub: user, admin: false }, 'follow', user, target)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await stores.graph.isFollowing(user, target)).toBe(false);
    await commands.changeGraph({ sub: user, admin: false }, 'follow', user, target);
    expect(await stores.graph.isFollowing(user, target)).toBe(true);
    expect(events.sent).toEqual([`follow:${user}:${target}`]);
  });

  it('an unfollow answered 503 leaves the edge in place (no half: no removal without its event)', async () => {
    const { commands, events } = services();
    const [user, target] = [u('uf503'), u('ut503')];
    await commands.changeGraph({ sub: user, admin: false }, 'follow', user, target);
    events.failNext = 1;
    await expect(commands.changeGraph({ sub: user, admin: false }, 'unfollow', user, target)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await stores.graph.isFollowing(user, target)).toBe(true);
  });
});

describe('bounded cost per request', () => {
  it('FOLLOW_LIMIT: one more follow is 409 FOLLOW_LIMIT_REACHED, re-following is fine, and the worker refuses it too', async () => {
    const { commands, fanout } = services({ cfg: testConfig(tag, { FOLLOW_LIMIT: '3' }) });
    const user = u('many');
    const caller = { sub: user, admin: false };
    for (let i = 0; i < 3; i++) await commands.changeGraph(caller, 'follow', user, u(`many_t${i}`));
    const over = commands.changeGraph(caller, 'follow', user, u('many_t3'));
    await expect(over).rejects.toBeInstanceOf(DomainError);
    await expect(over).rejects.toMatchObject({ code: 'FOLLOW_LIMIT_REACHED' });
    await commands.changeGraph(caller, 'follow', user, u('many_t0'));
    await expect(fanout.applyGraphChange({ op: 'follow', user, target: u('many_t4'), atMs: Date.now() }, noBeat)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await stores.graph.isFollowing(user, u('many_t4'))).toBe(false);
  });

  it('a notifications page reads a bounded number of day partitions and rows, and paging still reaches every group', async () => {
    const victim = u('victim');
    const days = NOTIFICATION_SCAN_DAYS + 9;
    const now = Date.now();
    const entries: { ms: number; id: string }[] = [];
    for (let d = 0; d < days; d++) {
      const ms = now - d * DAY_MS - 60_000;
      const id = newActivityId(ms);
      const a: Activity = { id, actor: u(`spam${d % 3}`), type: 'Mention', object: `obj:${d}`, published: toIso(ms), to: [victim] };
      await stores.activities.put(a, now, 3600);
      await stores.notifications.append([victim], { ms, id, actor: a.actor, type: a.type, object: a.object, receivedMs: now }, 3600, now * 1000);
      entries.push({ ms, id });
    }
    // One very busy day on top.
    const busy = Array.from({ length: NOTIFICATION_DAY_ROWS + 200 }, (_, i) => now - 30_000 - i);
    for (const ms of busy) {
      const a: Activity = { id: newActivityId(ms), actor: u('spam0'), type: 'Mention', object: 'obj:0', published: toIso(ms), to: [victim] };
      await stores.activities.put(a, now, 3600);
      await stores.notifications.append([victim], { ms, id: a.id, actor: a.actor, type: a.type, object: a.object, receivedMs: now }, 3600, now * 1000);
    }

    const reads: number[] = [];
    const counting = new Proxy(stores.notifications, {
      get(target, prop, recv) {
        if (prop === 'readDay') {
          return async (...args: Parameters<NotificationStore['readDay']>) => {
            const rows = await target.readDay(...args);
            reads.push(rows.length);
            return rows;
          };
        }
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
    const { notes } = services({ notifications: counting });
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      reads.length = 0;
      const page = await notes.list(victim, 100, cursor);
      expect(reads.length).toBeLessThanOrEqual(2 * NOTIFICATION_SCAN_DAYS);
      expect(Math.max(0, ...reads)).toBeLessThanOrEqual(NOTIFICATION_DAY_ROWS);
      for (const g of page.items) seen.add(g.object);
      if (!page.next) break;
      cursor = page.next;
    }
    expect([...Array(days).keys()].filter((d) => !seen.has(`obj:${d}`))).toEqual([]);
  });
});
