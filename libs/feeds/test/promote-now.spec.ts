import { loadAppConfig } from '@app/config';
import { InMemoryGraphStore } from '@app/testing';
import { PromotionService } from '../src';

/** PromotionService.promoteNow (`tideline promote`): the threshold's promotion, forced, idempotent. */
describe('PromotionService.promoteNow', () => {
  const cfg = loadAppConfig({ FANOUT_HIGH_FOLLOWER_THRESHOLD: '1000', FANOUT_CHUNK_SIZE: '2' });
  const heartbeat = async (): Promise<void> => undefined;

  it('promotes an author far below the threshold: every follower gets a pulled_follows row, then the flag', async () => {
    const graph = new InMemoryGraphStore();
    for (const f of ['f1', 'f2', 'f3']) await graph.apply({ op: 'follow', user: f, target: 'star', atMs: 1_000 });
    const promotion = new PromotionService(cfg, graph);
    // Remembered as pushed (far below the threshold) before the promotion…
    expect(await promotion.isPulledAuthor('star', heartbeat)).toBe(false);
    expect(await promotion.promoteNow('star', heartbeat)).toEqual({ already: false, followers: 3 });
    expect(await graph.isHighFollower('star')).toBe(true);
    for (const f of ['f1', 'f2', 'f3']) expect(await graph.pulledFollows(f)).toEqual(['star']);
    // …and pulled right after it in the same process, and in a fresh one (the flag is read first).
    expect(await promotion.isPulledAuthor('star', heartbeat)).toBe(true);
    expect(await new PromotionService(cfg, graph).isPulledAuthor('star', heartbeat)).toBe(true);
  });

  it('is a no-op for an author already pulled', async () => {
    const graph = new InMemoryGraphStore();
    await graph.apply({ op: 'follow', user: 'f1', target: 'star', atMs: 1_000 });
    await graph.markHighFollower('star', 1);
    expect(await new PromotionService(cfg, graph).promoteNow('star', heartbeat)).toEqual({ already: true, followers: 1 });
    expect(graph.pulledAdds).toEqual([]);
  });
});
