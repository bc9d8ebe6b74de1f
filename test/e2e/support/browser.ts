import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/**
 * Real-browser test harness: Debian's Chromium driven by playwright-core (no browser download of its own),
 * a static HTTP server to act as a second origin, and a record of what went wrong in a page. One
 * `BrowserHarness` per test file; `close()` in afterAll closes pages, browser and servers.
 */

/** Debian's launcher script (/usr/bin/chromium) and the binary it starts, with extra flags of its own. */
const DEBIAN_LAUNCHER = '/usr/bin/chromium';
const DEBIAN_BINARY = '/usr/lib/chromium/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * The Chromium to drive: `CHROMIUM_PATH` if set, else the one `node scripts/chromium.mjs` installs. The binary
 * behind Debian's launcher is preferred to the launcher, which adds flags of its own (extensions, GPU
 * rasterisation) and runs shell checks on every start.
 */
export function chromiumPath(): string {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const p of [DEBIAN_BINARY, DEBIAN_LAUNCHER]) if (existsSync(p)) return p;
  throw new Error(`Chromium is missing (looked for ${DEBIAN_BINARY} and ${DEBIAN_LAUNCHER}): run node scripts/chromium.mjs, or set CHROMIUM_PATH`);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: FLAGS });
}

/** What went wrong in a page: console errors, uncaught exceptions, requests that failed at the network level. */
export interface PageWatch {
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly failedRequests: string[];
  /** Every problem recorded so far that matches none of `allowed`, one line each (empty when all is well). */
  problems(allowed?: RegExp[]): string[];
}

export function watchPage(page: Page): PageWatch {
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url || 'page'})`);
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('requestfailed', (r) => failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
  return {
    consoleErrors,
    pageErrors,
    failedRequests,
    problems: (allowed = []) =>
      [...consoleErrors.map((e) => `console: ${e}`), ...pageErrors.map((e) => `page error: ${e}`), ...failedRequests.map((e) => `request failed: ${e}`)].filter(
        (line) => !allowed.some((a) => a.test(line)),
      ),
  };
}

export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly watch: PageWatch;
}

/** A static site on 127.0.0.1 (its own origin): paths mapped to bodies; `/favicon.ico` is an empty 204. */
export interface StaticSite {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly origin: string;
  url(p?: string): string;
  close(): Promise<void>;
}

export type StaticFiles = Record<string, string | { body: string | Buffer; contentType: string }>;

export async function serveStatic(files: StaticFiles): Promise<StaticSite> {
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    const f = files[p];
    if (f === undefined) {
      res.writeHead(p === '/favicon.ico' ? 204 : 404, { 'cache-control': 'no-store' }).end();
      return;
    }
    const { body, contentType } = typeof f === 'string' ? { body: f, contentType: 'text/html; charset=utf-8' } : f;
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
  });
  await listen(server);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (p = '/') => `${origin}${p}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A site whose `/` is `html`. */
export const serveHtml = (html: string): Promise<StaticSite> => serveStatic({ '/': html });

/**
 * A TCP proxy in front of `target` (`http://host:port`) that a test can cut, as a network drop would:
 * `cut()` destroys every proxied connection and holds new ones, unanswered, until `restore()`. `heads()` are
 * the first request head of each connection, in order, so a test sees what the browser sent (e.g. a
 * `Last-Event-ID` on an EventSource's reconnect).
 */
export interface CuttableProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  heads(): string[];
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
  const live = new Set<net.Socket>();
  const held: net.Socket[] = [];
  const heads: string[] = [];
  let cut = false;
  const pipe = (client: net.Socket): void => {
    const upstream = net.connect(Number(port), hostname);
    live.add(client).add(upstream);
    let head = '';
    client.on('data', (d: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end >= 0) heads.push(head.slice(0, end));
    });
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  };
  const server = net.createServer((client) => {
    if (!cut) return pipe(client);
    client.pause();
    client.on('error', () => client.destroy());
    held.push(client);
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads: () => [...heads],
    cut: () => {
      cut = true;
      for (const s of live) s.destroy();
      live.clear();
    },
    restore: () => {
      cut = false;
      for (const c of held.splice(0)) {
        if (c.destroyed) continue;
        pipe(c);
        c.resume();
      }
    },
    close: async () => {
      for (const s of [...live, ...held]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One browser and everything a test file opens with it. `newPage()` gives each page a context of its own
 * (no shared cache or storage between pages) and a `PageWatch`.
 */
export interface BrowserHarness {
  readonly browser: Browser;
  newPage(opts?: { viewport?: { width: number; height: number } }): Promise<OpenedPage>;
  /** Registers something for `close()` to close (a site, a proxy, a stack...). */
  track<T extends { close(): Promise<void> }>(thing: T): T;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<BrowserHarness> {
  const browser = await launchBrowser();
  const closers: (() => Promise<void>)[] = [];
  return {
    browser,
    newPage: async (opts = {}) => {
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
      closers.push(() => context.close());
      const page = await context.newPage();
      return { page, context, watch: watchPage(page) };
    },
    track: (thing) => {
      closers.push(() => thing.close());
      return thing;
    },
    close: async () => {
      // Contexts and servers first, newest first, each independently; then the browser.
      const errors: unknown[] = [];
      for (const c of closers.splice(0).reverse()) await c().catch((e: unknown) => errors.push(e));
      await browser.close();
      if (errors.length) throw new Error(`closing the browser harness: ${errors.map((e) => (e as Error).message).join('; ')}`);
    },
  };
}

/** A full-page PNG at `file` (directories made as needed); returns the path. */
export async function screenshot(page: Page, file: string): Promise<string> {
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
