import { Activity } from '@app/domain';
import { InMemoryActivityStore } from '@app/testing';
import { CachedActivityStore } from '../src/read/activity-cache';

const activity = (id: string): Activity => ({ id, actor: 'alice', type: 'post', object: `o-${id}`, published: new Date().toISOString() });

describe('CachedActivityStore (API hydration cache)', () => {
  afterEach(() => jest.useRealTimers());

  it('serves repeated reads from memory, but never longer than its TTL', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = new InMemoryActivityStore();
    const spy = jest.spyOn(store, 'getMany');
    const cache = new CachedActivityStore(store, 5_000, 100);
    await store.put(activity('a'), Date.now(), 3600);
    expect((await cache.getMany(['a'])).get('a')?.activity?.id).toBe('a');
    expect((await cache.getMany(['a'])).get('a')?.activity?.id).toBe('a');
    expect(spy).toHaveBeenCalledTimes(1);
    // A delete made by another process (not through this cache) shows once the entry expires.
    await store.markDeleted('a', 'alice', Date.now() * 1000, 3600);
    expect((await cache.getMany(['a'])).get('a')?.deleted).toBe(false);
    jest.setSystemTime(1_000_000 + 5_001);
    expect((await cache.getMany(['a'])).get('a')?.deleted).toBe(true);
  });

  it('drops an activity at once when deleted through it or invalidated by a delete event', async () => {
    const store = new InMemoryActivityStore();
    const cache = new CachedActivityStore(store, 60_000, 100);
    await store.put(activity('a'), Date.now(), 3600);
    await store.put(activity('b'), Date.now(), 3600);
    await cache.getMany(['a', 'b']);
    await cache.markDeleted('a', 'alice', Date.now() * 1000, 3600);
    expect((await cache.get('a'))?.deleted).toBe(true);
    await store.markDeleted('b', 'alice', Date.now() * 1000, 3600);
    cache.invalidate('b');
    expect((await cache.get('b'))?.deleted).toBe(true);
  });

  it('never caches deleted or missing activities, and stays within its size bound', async () => {
    const store = new InMemoryActivityStore();
    const spy = jest.spyOn(store, 'getMany');
    const cache = new CachedActivityStore(store, 60_000, 2);
    await store.markDeleted('gone', 'alice', Date.now() * 1000, 3600);
    await cache.getMany(['gone', 'missing']);
    await cache.getMany(['gone', 'missing']);
    expect(spy).toHaveBeenCalledTimes(2);
    for (const id of ['x', 'y', 'z']) await store.put(activity(id), Date.now(), 3600);
    await cache.getMany(['x', 'y', 'z']); // x is evicted (oldest) to keep 2 entries
    spy.mockClear();
    await cache.getMany(['y', 'z']);
    expect(spy).not.toHaveBeenCalled();
    await cache.getMany(['x']);
    expect(spy).toHaveBeenCalledWith(['x']);
  });
});
