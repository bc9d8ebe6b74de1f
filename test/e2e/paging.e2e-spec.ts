import { Stack, startStack } from './support/stack';

interface Page {
  items: { id: string; published: string }[];
  next: string | null;
}

/**
 * docs/api.md §2 "Following next never repeats or skips an item, even while new items arrive": a reader
 * pages through home and user feeds while authors keep publishing (newer) activities between pages.
 */
describe('paging while new activities arrive', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ HOME_WINDOW_DAYS: '2', FOLLOW_BACKFILL_LIMIT: '5', RATE_LIMIT_PER_MINUTE: '100000' });
  }, 180_000);
  afterAll(async () => s?.close());

  it('home and user pages neither repeat nor skip, across the materialised window and below it', async () => {
    const reader = s.user('reader');
    const authors = ['a', 'b', 'c'].map((x) => s.user(x));
    expect((await s.call('GET', `/v1/feeds/home/${reader}`, reader)).status).toBe(200);
    for (const a of authors) expect((await s.call('PUT', `/v1/users/${reader}/following/${a}`, reader)).status).toBe(204);
    const now = Date.now();
    const before: string[] = [];
    // 45 activities over 6 days: the older half lies below the 2-day home window (served by pull).
    for (let i = 0; i < 45; i++) {
      const actor = authors[i % 3] as string;
      const published = new Date(now - i * 3 * 3_600_000 - 1000).toISOString();
      const r = await s.call('POST', '/v1/activities', actor, { actor, type: 'post', object: `p${i}`, published, foreignId: `page-${i}` });
      expect(r.status).toBe(202);
      before.push((r.body as { id: string }).id);
    }
    await s.quiesce();

    const seen: string[] = [];
    let cursor: string | null = null;
    let extra = 0;
    for (let pages = 0; pages < 100; pages++) {
      const q: string = `?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await s.call('GET', `/v1/feeds/home/${reader}${q}`, reader);
      expect(r.status).toBe(200);
      const page = r.body as Page;
      seen.push(...page.items.map((i) => i.id));
      // New activities arrive between pages (newer than everything already listed).
      const actor = authors[pages % 3] as string;
      expect((await s.call('POST', '/v1/activities', actor, { actor, type: 'post', object: `new${pages}` })).status).toBe(202);
      extra++;
      if (page.next === null) break;
      cursor = page.next;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(before);

    await s.quiesce();
    // A fresh first page starts with the newest arrivals.
    const top = (await s.call('GET', `/v1/feeds/home/${reader}?limit=100`, reader)).body as Page;
    expect(top.items).toHaveLength(45 + extra);
    expect(top.items.slice(extra).map((i) => i.id)).toEqual(before);

    // The same holds for a user feed.
    const author = authors[0] as string;
    const expected = before.filter((_, i) => i % 3 === 0);
    const userSeen: string[] = [];
    cursor = null;
    for (let pages = 0; pages < 50; pages++) {
      const q: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await s.call('GET', `/v1/feeds/user/${author}${q}`, reader)).body as Page;
      userSeen.push(...page.items.map((i) => i.id));
      await s.call('POST', '/v1/activities', author, { actor: author, type: 'post', object: `more${pages}` });
      if (page.next === null) break;
      cursor = page.next;
    }
    // The user feed also holds the new posts published during the first loop (all newer than `before`).
    const ownNew = userSeen.length - expected.length;
    expect(new Set(userSeen).size).toBe(userSeen.length);
    expect(userSeen.slice(ownNew)).toEqual(expected);
  });
});
