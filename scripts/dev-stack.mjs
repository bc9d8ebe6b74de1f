#!/usr/bin/env node
// `npm start`: the whole local stack in the foreground. Starts Kafka + Cassandra (scripts/infra.mjs) if they are
// not running, builds the apps when the build is missing or older than the sources, runs the API and one fanout
// worker (migrations and topics are applied by the apps at start), loads demo data and prints where to look.
// Ctrl-C stops the apps, then the servers this script started (servers that were already running stay up).
//
// Honours PORT (API, default 3000), WORKER_HTTP_PORT (default 9464) and AUTH_JWT_SECRET; without a secret it
// uses a development one (generated once, kept in .infra/dev-secret) and prints a ready-to-use token for the
// demo user; `npm run token -- <user> [--admin]` makes tokens for other users with the same secret.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { status, stop, up } from './infra.mjs';
import { DEV_SECRET_FILE, devSecret, signToken } from './jwt.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (m) => console.log(`[start] ${m}`);
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(ts|tsx|css|cql)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  const outs = ['dist/apps/api/src/main.js', 'dist/apps/fanout-worker/src/main.js', 'dist/console/index.html'].map((f) => path.join(REPO, f));
  if (!outs.every((f) => fs.existsSync(f))) return true;
  const built = Math.min(...outs.map((f) => fs.statSync(f).mtimeMs));
  return Math.max(newestMtime(path.join(REPO, 'apps')), newestMtime(path.join(REPO, 'libs'))) > built;
}

const token = (secret, sub, scope) => signToken(secret, sub, { admin: scope === 'admin' });

async function waitReady(url, name, deadlineMs) {
  const until = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `${r.status} ${await r.text()}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${name} not ready at ${url} after ${deadlineMs / 1000}s (last: ${last})`);
}

async function seed(api, admin) {
  const call = async (method, p, body) => {
    const r = await fetch(`${api}${p}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
  };
  const users = ['demo', 'alice', 'bob', 'carol', 'dave'];
  for (const u of users) for (const t of users) if (u !== t && (u === 'demo' || Math.abs(u.length - t.length) <= 1)) await call('PUT', `/v1/users/${u}/following/${t}`);
  const now = Date.now();
  let n = 0;
  for (const u of users.slice(1)) {
    for (let i = 0; i < 5; i++) {
      const published = new Date(now - (n++ * 7 + 1) * 60_000).toISOString();
      await call('POST', '/v1/activities', { actor: u, type: 'post', object: `post:${u}:${i}`, published, foreignId: `demo-${u}-${i}` });
    }
    await call('POST', '/v1/activities', { actor: u, type: 'like', object: 'post:demo:1', to: ['demo'], foreignId: `demo-like-${u}`, published: new Date(now - 60_000).toISOString() });
  }
}

/** Set once the apps are being started: the failure path uses it to stop them again. */
let shutdownHook = null;

async function main() {
  const port = Number(process.env.PORT || 3000);
  const workerPort = Number(process.env.WORKER_HTTP_PORT || 9464);
  const generated = !process.env.AUTH_JWT_SECRET;
  // Without AUTH_JWT_SECRET: the development secret kept in .infra/dev-secret (made on the first run), so
  // tokens, including those from `npm run token`, stay valid across restarts.
  const secret = process.env.AUTH_JWT_SECRET || devSecret();

  const before = new Set((await status()).filter((s) => s.answering).map((s) => s.name));
  log('starting Kafka and Cassandra (first run downloads the jars through Maven) ...');
  await up();
  const startedInfra = ['kafka', 'cassandra'].filter((s) => !before.has(s));

  if (needsBuild()) {
    log('building the apps ...');
    const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('build failed');
  }

  // Development only: readable logs (pino-pretty, successful requests at debug) and POST /dev/tokens, which
  // mints tokens for any user (the web console at /console/ signs in through it). LOG_FORMAT=json in the environment keeps the JSON lines.
  const env = {
    ...process.env,
    AUTH_JWT_SECRET: secret,
    PORT: String(port),
    WORKER_HTTP_PORT: String(workerPort),
    MIGRATE_ON_START: 'true',
    LOG_FORMAT: process.env.LOG_FORMAT || 'pretty',
    DEV_TOKENS: 'true',
  };
  const pretty = env.LOG_FORMAT === 'pretty';
  const children = [];
  const run = (name, file, nodeArgs = []) => {
    const child = spawn(process.execPath, ['--enable-source-maps', ...nodeArgs, file], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = (stream, out) => {
      let buf = '';
      stream.on('data', (d) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        // Pretty lines already name their service; JSON lines and stray output get the app's name.
        for (const l of lines) out.write(pretty && out === process.stdout ? `${l}\n` : `[${name}] ${l}\n`);
      });
    };
    prefix(child.stdout, process.stdout);
    prefix(child.stderr, process.stderr);
    child.on('exit', (code, sig) => {
      if (!stopping) {
        log(`${name} exited (${sig ?? code}); stopping the stack`);
        void shutdown(1);
      }
    });
    children.push(child);
    return child;
  };

  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping the API and the worker ...');
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
            c.once('exit', () => (clearTimeout(timer), resolve()));
            c.kill('SIGTERM');
          }),
      ),
    );
    for (const s of startedInfra) await stop(s).catch((e) => log(`stopping ${s}: ${e.message}`));
    log(startedInfra.length > 0 ? `stopped ${startedInfra.join(' and ')}` : 'left Kafka and Cassandra running (they were up before)');
    process.exit(code);
  };
  shutdownHook = shutdown;
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  // The worker first: it migrates the schema and creates the topics; the API then finds them ready.
  // A fixed old-space limit keeps the worker's memory flat whatever the follower counts (docs/operations.md).
  run('worker', 'dist/apps/fanout-worker/src/main.js', ['--max-old-space-size=256']);
  await waitReady(`http://127.0.0.1:${workerPort}/health/ready`, 'worker', 120_000);
  run('api', 'dist/apps/api/src/main.js');
  const api = `http://127.0.0.1:${port}`;
  await waitReady(`${api}/health/ready`, 'api', 120_000);
  log(`ready after ${secs()} s; loading demo data ...`);
  await seed(api, token(secret, 'demo', 'admin'));
  const demo = token(secret, 'demo');
  const lines = [
    'Tideline is up.',
    '',
    `API            ${api}/v1`,
    `Swagger UI     ${api}/docs        (OpenAPI: ${api}/docs-json)`,
    `health         ${api}/health/ready   worker: http://127.0.0.1:${workerPort}/health/ready`,
    `metrics        ${api}/metrics        worker: http://127.0.0.1:${workerPort}/metrics`,
    generated ? `dev secret     ${secret}   (kept in ${path.relative(REPO, DEV_SECRET_FILE)}; set AUTH_JWT_SECRET to choose one)` : 'secret         from AUTH_JWT_SECRET',
    `demo token     ${demo}`,
    `web console    ${api}/console/#token=${demo}   (signed in as demo; sign out to pick any user)`,
    `operator view  ${api}/console/#token=${token(secret, 'demo', 'admin')}   (demo with the admin scope: Operator tab)`,
    'more tokens    npm run -s token -- <user> [--admin]',
    `               curl -X POST -H 'content-type: application/json' -d '{"sub":"alice"}' ${api}/dev/tokens`,
    '',
    'Try:',
    `  curl -H "Authorization: Bearer ${demo}" ${api}/v1/feeds/home/demo`,
    `  curl -N "${api}/v1/feeds/home/demo/stream?access_token=${demo}"`,
    '',
    `Ctrl-C stops everything this command started.${process.stdin.isTTY ? ' Enter shows this again.' : ''}`,
  ];
  const rule = '='.repeat(Math.min(100, Math.max(...lines.map((l) => l.length)) + 4));
  const banner = `\n${rule}\n${lines.map((l) => `  ${l}`).join('\n')}\n${rule}\n`;
  // Also on disk, for when the logs have scrolled it away (git-ignored: it holds a token).
  fs.mkdirSync(path.join(REPO, '.infra'), { recursive: true });
  fs.writeFileSync(path.join(REPO, '.infra', 'banner.txt'), banner, { mode: 0o600 });
  process.stdout.write(banner);
  if (process.stdin.isTTY) {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => {
      if (d.includes('\n') || d.includes('\r')) process.stdout.write(banner);
    });
  }
}

main().catch((e) => {
  console.error(`[start] failed: ${e.message}`);
  // Stop whatever was already started (apps, then the servers this command brought up).
  if (shutdownHook) void shutdownHook(1);
  else process.exit(1);
});
