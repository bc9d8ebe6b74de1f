import { dayNumber, foldGroups, GroupMarks, groupId, MAX_GROUP_ACTORS, NotificationEntry, utcDay } from '../src/notifications';

const D1 = Date.UTC(2024, 2, 10, 0, 0, 0);
const H = 3_600_000;
const noMarks: GroupMarks = { seen: new Map(), read: new Map(), seenAllMs: 0, readAllMs: 0 };

let seq = 0;
function entry(over: Partial<NotificationEntry> & { ms: number }): NotificationEntry {
  seq++;
  return {
    id: `id${String(over.ms).padStart(15, '0')}${String(seq).padStart(4, '0')}`,
    actor: 'a1',
    type: 'Like',
    object: 'post:1',
    receivedMs: over.ms,
    ...over,
  };
}

describe('groupId', () => {
  it('is stable and URL-safe, with the UTC day prefix', () => {
    const id = groupId('Like', 'post:1', D1 + 5 * H);
    expect(id).toMatch(/^\d{8}-[A-Za-z0-9_-]{22}$/);
    expect(id.startsWith('20240310-')).toBe(true);
    expect(groupId('Like', 'post:1', D1 + 23 * H)).toBe(id);
    expect(groupId('Like', 'post:1', D1)).toBe(id);
  });
  it('differs by type, object and UTC day', () => {
    const id = groupId('Like', 'post:1', D1);
    expect(groupId('Announce', 'post:1', D1)).not.toBe(id);
    expect(groupId('Like', 'post:2', D1)).not.toBe(id);
    expect(groupId('Like', 'post:1', D1 - 1)).not.toBe(id);
    expect(groupId('Like', 'post:1', D1 + 24 * H)).not.toBe(id);
  });
  it('does not confuse field boundaries', () => {
    expect(groupId('a', 'bc', D1)).not.toBe(groupId('ab', 'c', D1));
  });
  it('utcDay and dayNumber use UTC', () => {
    expect(utcDay(D1 - 1)).toBe('2024-03-09');
    expect(dayNumber(D1)).toBe(20240310);
  });
});

describe('foldGroups', () => {
  it('groups by (type, object, UTC day of published); the same object on two UTC days is two groups', () => {
    const entries = [
      entry({ ms: D1 + H, actor: 'u1' }),
      entry({ ms: D1 + 2 * H, actor: 'u2' }),
      entry({ ms: D1 - H, actor: 'u3' }), // previous UTC day
      entry({ ms: D1 + 3 * H, actor: 'u4', type: 'Announce' }),
      entry({ ms: D1 + 4 * H, actor: 'u5', object: 'post:2' }),
    ];
    const groups = foldGroups(entries, noMarks);
    expect(groups).toHaveLength(4);
    const like1 = groups.find((g) => g.id === groupId('Like', 'post:1', D1));
    expect(like1?.activityCount).toBe(2);
    expect(groups.find((g) => g.id === groupId('Like', 'post:1', D1 - H))?.activityCount).toBe(1);
  });

  it('orders groups by their newest activity, whatever the input order', () => {
    const entries = [
      entry({ ms: D1 + 1 * H, object: 'A' }),
      entry({ ms: D1 + 5 * H, object: 'B' }),
      entry({ ms: D1 + 2 * H, object: 'C' }),
      entry({ ms: D1 + 6 * H, object: 'A' }),
      entry({ ms: D1 + 3 * H, object: 'B' }),
    ];
    const forward = foldGroups(entries, noMarks).map((g) => g.object);
    const backward = foldGroups([...entries].reverse(), noMarks).map((g) => g.object);
    expect(forward).toEqual(['A', 'B', 'C']);
    expect(backward).toEqual(forward);
  });

  it('keeps up to 10 most recent distinct actors, newest first, and counts all actors and activities', () => {
    const entries: NotificationEntry[] = [];
    for (let i = 0; i < 15; i++) entries.push(entry({ ms: D1 + i * 60_000, actor: `u${i}` }));
    // repeat activity by u3 (most recent of all) and an old repeat by u14's... older time
    entries.push(entry({ ms: D1 + 20 * 60_000, actor: 'u3' }));
    entries.push(entry({ ms: D1 + 30_000, actor: 'u14' }));
    const [g] = foldGroups(entries, noMarks);
    expect(g).toBeDefined();
    expect(g?.actors).toHaveLength(MAX_GROUP_ACTORS);
    expect(g?.actors).toEqual(['u3', 'u14', 'u13', 'u12', 'u11', 'u10', 'u9', 'u8', 'u7', 'u6']);
    expect(g?.actorCount).toBe(15);
    expect(g?.activityCount).toBe(17);
    expect(g?.latest.ms).toBe(D1 + 20 * 60_000);
    expect(g?.updatedMs).toBe(D1 + 20 * 60_000);
    expect(g?.type).toBe('Like');
    expect(g?.object).toBe('post:1');
  });

  it('latest is the newest activity by (published, id)', () => {
    const a = entry({ ms: D1 + H, id: 'AAA' });
    const b = entry({ ms: D1 + H, id: 'BBB' });
    const c = entry({ ms: D1 + 30_000, id: 'ZZZ' });
    expect(foldGroups([a, c, b], noMarks)[0]?.latest).toEqual({ ms: D1 + H, id: 'BBB' });
  });

  it('a group is unseen and unread until marked', () => {
    const [g] = foldGroups([entry({ ms: D1 + H })], noMarks);
    expect(g?.seen).toBe(false);
    expect(g?.read).toBe(false);
  });

  it('seen marks make it seen but not read; read marks imply seen', () => {
    const e = entry({ ms: D1 + H, receivedMs: D1 + H + 10 });
    const id = groupId(e.type, e.object, e.ms);
    const seen = foldGroups([e], { ...noMarks, seen: new Map([[id, D1 + 2 * H]]) })[0];
    expect(seen?.seen).toBe(true);
    expect(seen?.read).toBe(false);
    const read = foldGroups([e], { ...noMarks, read: new Map([[id, D1 + 2 * H]]) })[0];
    expect(read?.read).toBe(true);
    expect(read?.seen).toBe(true);
  });

  it('marks on one group do not affect another', () => {
    const e1 = entry({ ms: D1 + H, object: 'X' });
    const e2 = entry({ ms: D1 + H, object: 'Y' });
    const groups = foldGroups([e1, e2], { ...noMarks, read: new Map([[groupId('Like', 'X', D1), D1 + 5 * H]]) });
    expect(groups.find((g) => g.object === 'X')?.read).toBe(true);
    expect(groups.find((g) => g.object === 'Y')?.read).toBe(false);
    expect(groups.find((g) => g.object === 'Y')?.seen).toBe(false);
  });

  it('a newer arrival re-opens a marked group (unseen and unread again)', () => {
    const e1 = entry({ ms: D1 + H, actor: 'u1', receivedMs: D1 + H });
    const id = groupId(e1.type, e1.object, e1.ms);
    const marks: GroupMarks = { ...noMarks, seen: new Map([[id, D1 + 2 * H]]), read: new Map([[id, D1 + 2 * H]]) };
    expect(foldGroups([e1], marks)[0]).toMatchObject({ seen: true, read: true });
    const e2 = entry({ ms: D1 + 90 * 60_000, actor: 'u2', receivedMs: D1 + 3 * H });
    expect(foldGroups([e1, e2], marks)[0]).toMatchObject({ seen: false, read: false, activityCount: 2 });
  });

  it('arrival, not published, decides: a late-arriving older activity also re-opens the group', () => {
    const e1 = entry({ ms: D1 + 5 * H, receivedMs: D1 + 5 * H });
    const id = groupId(e1.type, e1.object, e1.ms);
    const marks: GroupMarks = { ...noMarks, read: new Map([[id, D1 + 6 * H]]) };
    const late = entry({ ms: D1 + H, actor: 'u9', receivedMs: D1 + 7 * H });
    expect(foldGroups([e1, late], marks)[0]).toMatchObject({ seen: false, read: false });
  });

  it('mark-all watermarks apply to every group that had no later arrival', () => {
    const old1 = entry({ ms: D1 + H, object: 'A', receivedMs: D1 + H });
    const old2 = entry({ ms: D1 + 2 * H, object: 'B', receivedMs: D1 + 2 * H });
    const fresh = entry({ ms: D1 + 4 * H, object: 'C', receivedMs: D1 + 4 * H });
    const seenAll = foldGroups([old1, old2, fresh], { ...noMarks, seenAllMs: D1 + 3 * H });
    expect(seenAll.map((g) => [g.object, g.seen, g.read])).toEqual([
      ['C', false, false],
      ['B', true, false],
      ['A', true, false],
    ]);
    const readAll = foldGroups([old1, old2, fresh], { ...noMarks, readAllMs: D1 + 3 * H });
    expect(readAll.map((g) => [g.object, g.seen, g.read])).toEqual([
      ['C', false, false],
      ['B', true, true],
      ['A', true, true],
    ]);
  });

  it('returns no groups for no entries', () => {
    expect(foldGroups([], noMarks)).toEqual([]);
  });
});
