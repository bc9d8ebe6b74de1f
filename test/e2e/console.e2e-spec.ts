import { waitFor } from '@app/testing';
import { portFor } from '../../apps/fanout-worker/test/worker-process';
import { BrowserHarness, startBrowser } from './support/browser';
import { ABORTED_STREAM, ConsolePage, InPage, ensureConsoleBuilt, feedIds, goTo, openConsole, saveView, waitForText } from './support/console';
import { Stack, startStack } from './support/stack';

/**
 * The web console (apps/console, served at /console/) in real Chromium against the real stack: what a user sees
 * and does. Two people in two browsers follow, post and delete and watch it happen live; a long home feed
 * scrolls to its end; notification badges count and clear; the operator view shows lag rising and falling
 * while a worker is paused; the home view fits a phone. Each run saves the main views to test/e2e/.screenshots
 * (UPDATE_SCREENSHOTS=1 also refreshes docs/images/console-*.png).
 */

interface Posted {
  id: string;
  published: string;
}

/** Feed order (docs/api.md §1.4): newest first by (published, id). */
const newestFirst = (a: Posted, b: Posted): number => (a.published === b.published ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.published < b.published ? 1 : -1);

describe('the web console (real Chromium)', () => {
  let s: Stack;
  let h: BrowserHarness;
  const workerMetrics = `http://127.0.0.1:${portFor(0)}/metrics`;

  beforeAll(async () => {
    ensureConsoleBuilt();
    [s, h] = await Promise.all([startStack({ RATE_LIMIT_PER_MINUTE: '1000000', OPS_WORKER_METRICS_URLS: workerMetrics }, { workers: 1 }), startBrowser()]);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await s?.close();
  });

  const publish = async (actor: string, body: { type: string; object: string; to?: string[] }): Promise<Posted> => {
    const r = await s.call('POST', '/v1/activities', actor, { actor, ...body });
    expect(r.status).toBe(202);
    return r.body as Posted;
  };
  const follow = async (who: string, whom: string): Promise<void> => {
    expect((await s.call('PUT', `/v1/users/${who}/following/${whom}`, who)).status).toBe(204);
  };
  /** Reading home makes a reader active, so fanout writes to their timeline from then on. */
  const readHome = async (who: string): Promise<string[]> => {
    const r = await s.call('GET', `/v1/feeds/home/${who}?limit=100`, who);
    expect(r.status).toBe(200);
    return (r.body as { items: { id: string }[] }).items.map((a) => a.id);
  };

  describe('two people, two browsers: follow, post and delete, live', () => {
    const ann = (): string => s.user('ann');
    const ben = (): string => s.user('ben');
    let a: ConsolePage;
    let b: ConsolePage;
    let postId = '';

    beforeAll(async () => {
      // Something already in Ben's home, from someone he followed earlier, so the feed does not start empty.
      const cat = s.user('cat');
      await follow(ben(), cat);
      await readHome(ben());
      await publish(cat, { type: 'post', object: 'post:tide-tables-for-june' });
      await publish(cat, { type: 'like', object: 'photo:low-tide-at-dawn' });
      await publish(cat, { type: 'comment', object: 'post:harbour-walk' });
      await s.quiesce();
    });

    it("Ben follows Ann on the People view; Ann's post from the composer appears live at the top of Ben's home feed", async () => {
      [a, b] = await Promise.all([openConsole(h, s, ann()), openConsole(h, s, ben())]);

      await goTo(b, 'people');
      await b.byId('follow-input').fill(ann());
      await b.byId('follow-button').click();
      await waitForText(b, 'people-message', `You now follow ${ann()}.`);
      await b.page.locator(`[data-testid="list-following"] [data-testid="graph-entry"][data-user="${ann()}"]`).waitFor({ timeout: 10_000 });

      await goTo(b, 'home');
      await b.page.locator('[data-testid="live-state"][data-state="open"]').waitFor({ timeout: 15_000 });
      await b.page.locator('[data-testid="feed-sentinel"][data-state="end"]').waitFor({ timeout: 15_000 });
      const before = await feedIds(b);
      expect(before).toHaveLength(3);
      // From here on Ben's page is never reloaded: a reload would lose this mark.
      await b.page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

      await a.page.locator('[data-testid="live-state"][data-state="open"]').waitFor({ timeout: 15_000 });
      await a.byId('composer-object').fill('post:first-swim-of-the-year');
      await a.byId('composer-submit').click();
      // Ann's own feed shows it at once, and the composer is ready for the next one.
      const own = a.page.locator('[data-testid="feed-item"]').first();
      await own.filter({ hasText: 'post:first-swim-of-the-year' }).waitFor({ timeout: 10_000 });
      postId = (await own.getAttribute('data-id')) ?? '';
      expect(postId).toMatch(/^[0-9A-Z]{26}$/);
      expect(await a.byId('composer-object').inputValue()).toBe('');

      const arrived = b.page.locator(`[data-testid="feed-item"][data-id="${postId}"]`);
      await arrived.waitFor({ timeout: 20_000 });
      expect(await feedIds(b)).toEqual([postId, ...before]);
      expect(await arrived.getAttribute('data-actor')).toBe(ann());
      expect((await arrived.textContent())?.replace(/\s+/g, ' ')).toContain(`${ann()} posted post:first-swim-of-the-year`);
      expect(await b.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      expect(await b.byId('live-state').getAttribute('data-state')).toBe('open');
      expect((await b.byId('live-state').textContent())?.trim()).toBe('Live');
      // Only Ann's own items carry a delete button.
      expect(await b.page.locator('[data-testid^="delete-"]').count()).toBe(0);
      await saveView(b.page, 'home');

      expect(a.problems()).toEqual([]);
      // Ben left Home for People and came back: the home stream of the first visit was closed on purpose.
      expect(b.problems([ABORTED_STREAM])).toEqual([]);
    });

    it("Ann deletes the post from her feed; it vanishes from Ben's page live", async () => {
      expect(postId).not.toBe('');
      await a.byId(`delete-${postId}`).click();
      await a.page.locator(`[data-testid="feed-item"][data-id="${postId}"]`).waitFor({ state: 'detached', timeout: 10_000 });
      await b.page.locator(`[data-testid="feed-item"][data-id="${postId}"]`).waitFor({ state: 'detached', timeout: 20_000 });
      expect(await feedIds(b)).toHaveLength(3);
      expect(await b.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      expect(await b.byId('live-state').getAttribute('data-state')).toBe('open');
      // The server agrees: gone from Ben's home feed.
      expect(await readHome(ben())).not.toContain(postId);
      expect(a.problems()).toEqual([]);
      expect(b.problems([ABORTED_STREAM])).toEqual([]);
    });

    it('the home view fits a phone (375 px): no horizontal scroll', async () => {
      const phone = await openConsole(h, s, ben(), { viewport: { width: 375, height: 740 } });
      await phone.page.locator('[data-testid="feed-sentinel"][data-state="end"]').waitFor({ timeout: 15_000 });
      expect(await feedIds(phone)).toHaveLength(3);
      await phone.page.locator('[data-testid="live-state"][data-state="open"]').waitFor({ timeout: 15_000 });
      const width = await phone.page.evaluate(() => {
        const { document } = globalThis as unknown as InPage;
        return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth };
      });
      await saveView(phone.page, 'phone');
      expect(width.scroll).toBeLessThanOrEqual(375);
      expect(phone.problems()).toEqual([]);
    });
  });

  it('a long home feed scrolls to its end: every activity once, newest first', async () => {
    const reader = s.user('rea');
    const author = s.user('wri');
    await follow(reader, author);
    await readHome(reader);
    const seeded: Posted[] = [];
    for (let i = 0; i < 60; i++) seeded.push(await publish(author, { type: 'post', object: `post:log-entry-${String(i).padStart(2, '0')}` }));
    await s.quiesce();
    const expected = [...seeded].sort(newestFirst).map((p) => p.id);

    const p = await openConsole(h, s, reader);
    const sentinel = p.byId('feed-sentinel');
    await p.page.locator('[data-testid="feed-item"]').first().waitFor({ timeout: 15_000 });
    await p.page.locator('[data-testid="feed-sentinel"][data-state="idle"]').waitFor({ timeout: 15_000 });
    // The first screen holds a page, not the whole feed: the rest comes by scrolling.
    const firstScreen = (await feedIds(p)).length;
    expect(firstScreen).toBeGreaterThan(0);
    expect(firstScreen).toBeLessThan(seeded.length);
    // Scroll to the bottom again and again, as a reader would, until the console says it is all caught up.
    const deadline = Date.now() + 45_000;
    let scrolls = 0;
    while ((await sentinel.getAttribute('data-state')) !== 'end') {
      if (Date.now() > deadline) throw new Error(`the feed never reached its end: ${(await feedIds(p)).length} items after ${scrolls} scrolls`);
      const shown = (await feedIds(p)).length;
      await sentinel.scrollIntoViewIfNeeded();
      scrolls++;
      await p.page.waitForFunction(
        (n) => {
          const { document } = globalThis as unknown as InPage;
          const st = document.querySelector('[data-testid="feed-sentinel"]')?.getAttribute('data-state');
          return st === 'end' || (st === 'idle' && document.querySelectorAll('[data-testid="feed-item"]').length > n);
        },
        shown,
        { timeout: 15_000, polling: 100 },
      );
    }
    const ids = await feedIds(p);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected);
    expect((await sentinel.textContent())?.trim()).toBe('You are all caught up.');
    expect(p.problems()).toEqual([]);
  });

  it('notifications: live badges count unseen and unread groups; marking seen, then read, clears them here and on the server', async () => {
    const me = s.user('nia');
    const xav = s.user('xav');
    const yan = s.user('yan');
    const p = await openConsole(h, s, me);
    const unseen = p.byId('badge-unseen');
    const unread = p.byId('badge-unread');
    // The badges follow the notification stream: wait until the API has answered it.
    await waitFor('the notification stream to open', () => p.openedStreams().includes(`/v1/feeds/notifications/${me}/stream`), { timeoutMs: 15_000, describe: () => p.openedStreams() });
    await waitForText(p, 'badge-unseen', '0');
    expect(await unseen.getAttribute('class')).toMatch(/\bis-zero\b/);

    // Two people like the same post (one group: "yan and xav liked ..."), one of them also comments (a second group).
    await publish(xav, { type: 'like', object: 'post:sunset-sail', to: [me] });
    await publish(yan, { type: 'like', object: 'post:sunset-sail', to: [me] });
    await publish(xav, { type: 'comment', object: 'post:sunset-sail-photos', to: [me] });
    // Live, on the Home view: no navigation, no reload.
    await waitForText(p, 'badge-unseen', '2', 20_000);
    await waitForText(p, 'badge-unread', '2', 20_000);
    expect(await unseen.getAttribute('class')).not.toMatch(/\bis-zero\b/);
    const server = async (): Promise<{ unseen: number; unread: number }> => {
      const r = await s.call('GET', `/v1/feeds/notifications/${me}`, me);
      expect(r.status).toBe(200);
      return r.body as { unseen: number; unread: number };
    };
    expect(await server()).toMatchObject({ unseen: 2, unread: 2 });

    await goTo(p, 'notifications');
    await waitForText(p, 'notification-summary', '2 unseen · 2 unread');
    const items = p.page.locator('[data-testid="notifications"] [data-testid="notification"]');
    await items.nth(1).waitFor({ timeout: 10_000 });
    const lines = (await items.allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`${xav} commented on post:sunset-sail-photos`);
    expect(lines[1]).toContain(`${yan} and ${xav} liked post:sunset-sail`);
    await saveView(p.page, 'notifications');

    await p.byId('mark-seen').click();
    await waitForText(p, 'badge-unseen', '0');
    await waitForText(p, 'notification-summary', '0 unseen · 2 unread');
    expect((await unread.textContent())?.trim()).toBe('2');
    expect(await server()).toMatchObject({ unseen: 0, unread: 2 });

    await p.byId('mark-read').click();
    await waitForText(p, 'badge-unread', '0');
    await waitForText(p, 'notification-summary', '0 unseen · 0 unread');
    expect(await unread.getAttribute('class')).toMatch(/\bis-zero\b/);
    expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-read')))).toEqual(['true', 'true']);
    expect(await server()).toMatchObject({ unseen: 0, unread: 0 });
    // Leaving Home for Notifications closed the home stream on purpose.
    expect(p.problems([ABORTED_STREAM])).toEqual([]);
  });

  it('operator view: lag rises while the worker is paused under a burst, and falls back to 0 when it resumes', async () => {
    const author = s.user('bur');
    const fan = s.user('fan');
    await follow(fan, author);
    await readHome(fan);
    await s.quiesce();

    const op = await openConsole(h, s, s.user('op'), { admin: true });
    await goTo(op, 'ops');
    await op.byId('operator').waitFor({ timeout: 10_000 });
    await waitForText(op, 'ops-lag-total', '0');
    await waitForText(op, 'ops-workers-up', '1 / 1');
    await op.page.locator('[data-testid="ops-lag-table"] tbody tr').first().waitFor({ timeout: 10_000 });

    /** The total the page shows ("0", "200", "1.2k"...), as a number. */
    const shownLag = async (): Promise<number> => {
      const t = (await op.byId('ops-lag-total').textContent())?.trim() ?? '';
      const m = /^(\d+(?:\.\d+)?)(k?)$/.exec(t);
      if (!m) return Number.NaN;
      return Number(m[1]) * (m[2] ? 1000 : 1);
    };
    const tableLag = (): Promise<number[]> => op.page.locator('[data-testid="ops-lag-table"] tbody tr td:last-child').evaluateAll((els) => els.map((e) => Number(e.textContent)));

    const pid = s.workers[0]?.proc.pid;
    if (pid === undefined) throw new Error('the worker has no pid');
    const burst = 200;
    process.kill(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < burst; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => publish(author, { type: 'post', object: `post:burst-${i + j}` })));
      }
      const peak = await waitFor('the page to show the lag of the burst', async () => {
        const n = await shownLag();
        return n >= burst ? n : undefined;
      }, { timeoutMs: 20_000, intervalMs: 250, describe: () => op.byId('ops-lag-total').textContent() });
      expect(peak).toBeGreaterThanOrEqual(burst);
      const rows = await tableLag();
      expect(rows.some((n) => n > 0)).toBe(true);
      expect(rows.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(burst);
      // A stopped worker does not answer its scrape: the page says so.
      await waitForText(op, 'ops-workers-up', '0 / 1', 15_000);
      await op.page.locator('[data-testid="ops-workers"] li[data-up="false"]').waitFor({ timeout: 5_000 });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitForText(op, 'ops-lag-total', '0', 60_000);
    await waitForText(op, 'ops-workers-up', '1 / 1', 15_000);
    expect((await tableLag()).every((n) => n === 0)).toBe(true);
    // The burst reached the fan's home feed.
    await waitFor('the burst in the fan home feed', async () => (await readHome(s.user('fan'))).length >= 100, { timeoutMs: 15_000 });
    // The lag chart now holds the rise and the fall.
    await saveView(op.page, 'operator');
    expect(op.problems([ABORTED_STREAM])).toEqual([]);
  }, 150_000);
});
