import { LiveEvent } from '@app/feeds';
import { LiveReplay } from '../src/live/live-replay';

const ev = (id: string): LiveEvent => ({ kind: 'home', op: 'delete', users: ['u'], id });
const ids = (r: { event: LiveEvent }[] | null): string[] | null => r && r.map((x) => (x.event as { id: string }).id);

describe('LiveReplay', () => {
  it('replays, across partitions, exactly the events after a position, in routing order', () => {
    const r = new LiveReplay();
    r.restart(new Map([[0, 10], [1, 0]]));
    expect(r.position()).toBe('9.-1');
    r.record(ev('a'), { partition: 0, offset: 10 });
    const afterA = r.record(ev('b'), { partition: 1, offset: 0 });
    r.record(ev('c'), { partition: 0, offset: 11 });
    r.record(ev('d'), { partition: 1, offset: 1 });
    expect(afterA).toBe('10.0');
    expect(ids(r.since(afterA))).toEqual(['c', 'd']);
    expect(ids(r.since('9.-1'))).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(r.since(r.position()))).toEqual([]);
  });

  it('refuses positions it no longer holds (count bound), from before its start, or ahead of what it saw', () => {
    const r = new LiveReplay(3);
    r.restart(new Map([[0, 0]]));
    const start = r.position();
    for (let i = 0; i < 3; i++) r.record(ev(`e${i}`), { partition: 0, offset: i });
    expect(ids(r.since(start))).toEqual(['e0', 'e1', 'e2']);
    r.record(ev('e3'), { partition: 0, offset: 3 });
    // e0 was evicted: a stream that had not seen it cannot be told exactly what it missed.
    expect(r.since(start)).toBeNull();
    expect(ids(r.since('0'))).toEqual(['e1', 'e2', 'e3']);
    expect(r.since('-2')).toBeNull();
    expect(r.since('4')).toBeNull();
    expect(r.since('0.0')).toBeNull();
  });

  it('forgets events older than its age bound', () => {
    let now = 0;
    const r = new LiveReplay(100, 1_000, () => now);
    r.restart(new Map([[0, 0]]));
    r.record(ev('old'), { partition: 0, offset: 0 });
    now = 500;
    const afterOld = r.record(ev('new'), { partition: 0, offset: 1 });
    now = 1_200;
    expect(r.since('-1')).toBeNull();
    expect(ids(r.since('0'))).toEqual(['new']);
    expect(ids(r.since(afterOld))).toEqual([]);
  });

  it('a restart of the source invalidates every earlier position; with no partition known nothing resumes', () => {
    const r = new LiveReplay();
    r.restart(new Map([[0, 0]]));
    r.record(ev('x'), { partition: 0, offset: 0 });
    const before = r.position();
    r.restart(new Map([[0, 5]]));
    expect(r.since(before)).toBeNull();
    r.restart(new Map());
    expect(r.since(r.position())).toBeNull();
  });
});
