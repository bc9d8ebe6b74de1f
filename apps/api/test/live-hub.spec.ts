import { Registry } from 'prom-client';
import { Activity } from '@app/domain';
import { LiveEvent, LiveListener } from '@app/feeds';
import { DomainError } from '@app/domain';
import { LiveConnection, LiveHub, MAX_QUEUED_EVENTS } from '../src/live/live-hub';

/** A deferred promise: tests decide when a store lookup answers. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const activity = (id: string, actor = 'bob'): Activity => ({ id, actor, type: 'post', object: id, published: new Date().toISOString() });

function hub(opts: { streamsPerUser?: number } = {}) {
  let listener: LiveListener | null = null;
  // One live-topic partition; every event takes the next offset.
  let offset = 0;
  const lookups: { resolve: (v: Set<string>) => void }[] = [];
  const graph = {
    // Every refresh waits until the test lets it answer.
    mutedBy: () => {
      const d = deferred<Set<string>>();
      lookups.push(d);
      return d.promise;
    },
    pulledFollows: () => Promise.resolve([] as string[]),
  };
  const deleted = new Set<string>();
  const deletes = { add: (id: string) => deleted.add(id), has: (id: string) => deleted.has(id) };
  // The hub reads mutes and pulled authors through the reader contexts.
  const contexts = {
    invalidate: () => undefined,
    get: async () => ({ muted: await graph.mutedBy(), pulled: await graph.pulledFollows() }),
  };
  const h = new LiveHub(
    { subscribe: (l: LiveListener) => ((listener = l), l.restart(new Map([[0, 0]])), () => undefined) },
    { groupOf: () => Promise.resolve(null) } as never,
    { invalidate: () => undefined } as never,
    contexts as never,
    deletes as never,
    { streamsPerUser: opts.streamsPerUser ?? 5, tuning: { liveRefreshMs: 30_000 } } as never,
    { registry: new Registry() } as never,
  );
  h.onModuleInit();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const restart = (from: number): void => {
    offset = from;
    listener?.restart(new Map([[0, from]]));
  };
  return { h, emit: (e: LiveEvent) => listener?.event(e, { partition: 0, offset: offset++ }), restart, lookups, settle };
}

/** Records `event:<id in the data>` (the SSE ids are stream positions, kept in `ids`). */
function conn(user: string, kind: 'home' | 'notifications' = 'home') {
  const got: string[] = [];
  const ids: string[] = [];
  const closed: string[] = [];
  const c: LiveConnection = {
    user,
    kind,
    send: (event, id, data) => {
      got.push(event === 'reset' ? 'reset' : `${event}:${(data as { id: string }).id}`);
      ids.push(id);
    },
    close: (why) => closed.push(why),
  };
  return { c, got, ids, closed };
}

describe('LiveHub', () => {
  it('never delivers a delete before its activity, even when delivering the activity has to wait for a store', async () => {
    const { h, emit, lookups, settle } = hub();
    const a = conn('alice');
    h.add(a.c);
    emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('A1') });
    emit({ kind: 'home', op: 'delete', users: ['alice'], id: 'A1' });
    await settle();
    // The mute lookup for the activity has not answered: nothing may have been sent yet (the delete
    // waits behind its activity).
    expect(a.got).toEqual([]);
    lookups.forEach((l) => l.resolve(new Set()));
    await settle();
    // By the time the activity could go out its delete was known: only the delete is sent.
    expect(a.got).toEqual(['delete:A1']);
  });

  it('keeps arrival order: activities delivered before their deletes arrive come first, later ones after', async () => {
    const { h, emit, lookups, settle } = hub();
    const a = conn('alice');
    h.add(a.c);
    for (let i = 0; i < 5; i++) emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity(`H${i}`) });
    await settle();
    lookups.forEach((l) => l.resolve(new Set()));
    await settle();
    for (let i = 0; i < 5; i++) emit({ kind: 'home', op: 'delete', users: ['alice'], id: `H${i}` });
    emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('H5') });
    await settle();
    expect(a.got).toEqual([...[0, 1, 2, 3, 4].map((i) => `activity:H${i}`), ...[0, 1, 2, 3, 4].map((i) => `delete:H${i}`), 'activity:H5']);
  });

  it('never sends an activity whose delete arrived first (Kafka does not order them across partitions)', async () => {
    const { h, emit, lookups, settle } = hub();
    const a = conn('alice');
    h.add(a.c);
    emit({ kind: 'home', op: 'delete', users: ['alice'], id: 'X1' });
    emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('X1') });
    emit({ kind: 'pulled', op: 'delete', actor: 'bob', id: 'X2' });
    emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('X2') });
    emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('X3') });
    await settle();
    lookups.forEach((l) => l.resolve(new Set()));
    await settle();
    expect(a.got).toEqual(['delete:X1', 'activity:X3']);
  });

  it('suppresses an activity whose delete arrives while the activity waits for a lookup', async () => {
    const { h, emit, lookups, settle } = hub();
    const a = conn('alice');
    h.add(a.c);
    emit({ kind: 'home', op: 'activity', users: ['bob'], activity: activity('warm') });
    emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('Y1') });
    await settle();
    // Y1 is waiting for alice's mute lookup when its delete comes in for another user only.
    emit({ kind: 'home', op: 'delete', users: ['carol'], id: 'Y1' });
    lookups.forEach((l) => l.resolve(new Set()));
    await settle();
    expect(a.got).toEqual([]);
  });

  it('closes a connection whose queue overflows instead of buffering without bound', async () => {
    const { h, emit, settle } = hub();
    const slow = conn('alice');
    const other = conn('bob');
    h.add(slow.c);
    h.add(other.c);
    // The refresh never answers: one event is being delivered, the rest pile up until the bound.
    for (let i = 0; i <= MAX_QUEUED_EVENTS + 1; i++) emit({ kind: 'home', op: 'delete', users: ['alice'], id: `D${i}` });
    await settle();
    expect(slow.closed).toHaveLength(1);
    expect(other.closed).toEqual([]);
  });

  it('refuses the stream beyond STREAMS_PER_USER for that user only, and frees the slot on removal', () => {
    const { h } = hub({ streamsPerUser: 2 });
    const r1 = h.add(conn('alice').c);
    h.add(conn('alice', 'notifications').c);
    expect(() => h.add(conn('alice').c)).toThrow(expect.objectContaining({ code: 'TOO_MANY_STREAMS' }) as DomainError);
    expect(() => h.add(conn('bob').c)).not.toThrow();
    r1.remove();
    r1.remove();
    expect(h.connectionCount).toBe(2);
    expect(() => h.add(conn('alice').c)).not.toThrow();
  });

  describe('resuming with Last-Event-ID', () => {
    /** A stream that saw some events, then dropped: what a reconnect with its last id gets. */
    async function dropped() {
      const t = hub();
      const first = conn('alice');
      const handle = t.h.add(first.c);
      t.emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('R1') });
      await t.settle();
      t.lookups.forEach((l) => l.resolve(new Set()));
      await t.settle();
      expect(first.got).toEqual(['activity:R1']);
      handle.remove();
      // While nobody listens: one for alice, one for someone else, a delete of R1.
      t.emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('R2') });
      t.emit({ kind: 'home', op: 'activity', users: ['bob'], activity: activity('B1') });
      t.emit({ kind: 'home', op: 'delete', users: ['alice'], id: 'R1' });
      return { ...t, lastId: first.ids[first.ids.length - 1] as string };
    }

    it('replays exactly the events missed since the last id, in order, then carries on live', async () => {
      const t = await dropped();
      const again = conn('alice');
      t.h.add(again.c, t.lastId);
      t.emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('R3') });
      await t.settle();
      t.lookups.forEach((l) => l.resolve(new Set()));
      await t.settle();
      expect(again.got).toEqual(['activity:R2', 'delete:R1', 'activity:R3']);
    });

    it('an id from a quiet stream (its position block) resumes too, without repeating anything', async () => {
      const t = hub();
      t.emit({ kind: 'home', op: 'activity', users: ['bob'], activity: activity('before') });
      const quiet = t.h.add(conn('alice').c);
      const pos = quiet.position();
      quiet.remove();
      t.emit({ kind: 'home', op: 'activity', users: ['alice'], activity: activity('gap') });
      const again = conn('alice');
      t.h.add(again.c, pos);
      await t.settle();
      t.lookups.forEach((l) => l.resolve(new Set()));
      await t.settle();
      expect(again.got).toEqual(['activity:gap']);
    });

    it('sends reset for an id it cannot vouch for: garbage, another topic, or from before a restart of the source', async () => {
      const t = await dropped();
      for (const bad of ['', 'nonsense', '999999', '1.2', '-5', '0x1', '1e3']) {
        const c = conn('alice');
        const handle = t.h.add(c.c, bad);
        await t.settle();
        expect([bad, c.got]).toEqual([bad, ['reset']]);
        handle.remove();
      }
      t.restart(100);
      const c = conn('alice');
      t.h.add(c.c, t.lastId);
      await t.settle();
      expect(c.got).toEqual(['reset']);
    });

    it('tells every open stream to reset when the source restarts (it may have missed events)', async () => {
      const t = hub();
      const a = conn('alice');
      t.h.add(a.c);
      t.restart(50);
      await t.settle();
      expect(a.got).toEqual(['reset']);
    });
  });
});
