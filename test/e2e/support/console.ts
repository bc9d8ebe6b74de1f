import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Locator, Page } from 'playwright-core';
import { BrowserHarness, OpenedPage } from './browser';
import { Stack } from './stack';

/**
 * Helpers for the real-browser tests of the web console (apps/console), served by the e2e API at /console/:
 * the build, a page signed in through a `#token=` link, what a user reads off the page, and screenshots.
 */

const ROOT = path.resolve(__dirname, '../../..');
const BUILT_INDEX = path.join(ROOT, 'dist/console/index.html');

/** Every run's screenshots (git-ignored); with UPDATE_SCREENSHOTS=1 the main views also go to docs/images. */
export const SCREENSHOT_DIR = path.join(ROOT, 'test/e2e/.screenshots');
const DOCS_IMAGES = path.join(ROOT, 'docs/images');

/**
 * The API serves dist/console, so the console must be built. `npm run build:console` normally did it; when the
 * build is missing it is made here, once (a few seconds).
 */
export function ensureConsoleBuilt(): void {
  if (existsSync(BUILT_INDEX)) return;
  console.log('dist/console/index.html is missing: building the console (npx vite build --config apps/console/vite.config.ts)');
  execFileSync('npx', ['vite', 'build', '--config', 'apps/console/vite.config.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(BUILT_INDEX)) throw new Error(`the console build did not produce ${BUILT_INDEX}`);
}

/**
 * The little of the browser's globals the tests' page functions use (the test tsconfig has no DOM lib):
 * `const { document } = globalThis as unknown as InPage;` inside a function run by the page.
 */
export interface InPage {
  document: {
    querySelector(sel: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
    querySelectorAll(sel: string): { length: number };
    documentElement: { scrollWidth: number; clientWidth: number };
  };
  location: { hash: string };
}

export interface ConsolePage extends OpenedPage {
  readonly user: string;
  /** The element with `data-testid=id` (the console's stable hooks). */
  byId(id: string): Locator;
  /** Lines of what went wrong in the page (console errors, page errors, failed requests), minus `allowed`. */
  problems(allowed?: RegExp[]): string[];
  /** Paths of the live streams (…/stream) the API has answered 200 for in this page, in order. */
  openedStreams(): string[];
}

/**
 * A fresh browser context (its own sessionStorage) with the console open as `user`, signed in by the
 * `#token=<jwt>` link an administrator would hand out; resolves once the shell shows who is signed in.
 */
export async function openConsole(h: BrowserHarness, s: Stack, user: string, opts: { admin?: boolean; viewport?: { width: number; height: number } } = {}): Promise<ConsolePage> {
  const opened = await h.newPage(opts.viewport ? { viewport: opts.viewport } : {});
  const token = s.token(user, opts.admin ? { scope: 'admin' } : {});
  const streams: string[] = [];
  opened.page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() === 200 && u.pathname.endsWith('/stream')) streams.push(u.pathname);
  });
  await opened.page.goto(`${s.api}/console/#token=${encodeURIComponent(token)}`);
  const byId = (id: string): Locator => opened.page.locator(`[data-testid="${id}"]`);
  await opened.page.locator(`[data-testid="whoami"][data-user="${user}"]`).waitFor({ timeout: 15_000 });
  return { ...opened, user, byId, problems: (allowed) => opened.watch.problems(allowed), openedStreams: () => [...streams] };
}

/**
 * Leaving a view ends its live stream: the console aborts the stream's fetch, and with it the first-page fetch the
 * stream makes to sync on (re)connect (no query string, unlike the view's own `?limit=` pages). Chromium reports
 * each as a failed request (net::ERR_ABORTED). That is the page doing what it should, not a problem a user could
 * notice. Any other aborted or failed request still counts.
 */
export const ABORTED_STREAM = /request failed: GET \S+\/(stream\S*|v1\/feeds\/(home|notifications)\/[^/?\s]+): net::ERR_ABORTED$/;

/** Navigates with the console's own nav link, as a user would (the hash changes; the page is not reloaded). */
export async function goTo(p: ConsolePage, view: 'home' | 'people' | 'notifications' | 'ops'): Promise<void> {
  await p.byId(`nav-${view}`).click();
  await p.page.waitForFunction((v) => (globalThis as unknown as InPage).location.hash === `#/${v}`, view, { timeout: 5_000 });
}

/** The data-ids of the feed items shown, top to bottom. */
export const feedIds = (p: ConsolePage): Promise<string[]> =>
  p.page.locator('[data-testid="feed"] [data-testid="feed-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));

/** Waits until the element's trimmed text is `text`. */
export async function waitForText(p: ConsolePage, id: string, text: string, timeoutMs = 15_000): Promise<void> {
  // Attached, not visible: a zero badge is in the page (its text is the count) but not shown.
  await p.byId(id).first().waitFor({ state: 'attached', timeout: timeoutMs });
  await p.page.waitForFunction(
    ([sel, want]) => (globalThis as unknown as InPage).document.querySelector(sel)?.textContent?.trim() === want,
    [`[data-testid="${id}"]`, text] as const,
    { timeout: timeoutMs, polling: 100 },
  );
}

/**
 * A viewport-sized PNG of the page as it is now, in SCREENSHOT_DIR as `console-<name>.png`; with
 * UPDATE_SCREENSHOTS=1 also copied to docs/images (the pictures docs and the README show).
 */
export async function saveView(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `console-${name}.png`);
  // No caret or animation mid-way in the picture.
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  if (process.env['UPDATE_SCREENSHOTS'] === '1') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    copyFileSync(file, path.join(DOCS_IMAGES, `console-${name}.png`));
  }
  return file;
}
