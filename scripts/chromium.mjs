#!/usr/bin/env node
// Installs Debian's Chromium (the browser the real-browser e2e tests drive through playwright-core,
// test/e2e/support/browser.ts) when /usr/bin/chromium is missing, then checks that the browser starts. Never
// downloads a browser build of its own: apt-get only. With CHROMIUM_PATH set, only checks that one.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const LAUNCHER = '/usr/bin/chromium';
// What the tests start (test/e2e/support/browser.ts): the binary behind Debian's launcher script, which adds
// flags of its own.
const BINARY = '/usr/lib/chromium/chromium';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`chromium: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

const fromEnv = process.env.CHROMIUM_PATH;
if (fromEnv) {
  if (!existsSync(fromEnv)) {
    console.error(`chromium: CHROMIUM_PATH=${fromEnv} does not exist`);
    process.exit(1);
  }
} else if (existsSync(LAUNCHER)) {
  console.log(`chromium: ${LAUNCHER} already installed`);
} else {
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
  if (!existsSync(LAUNCHER)) {
    console.error(`chromium: installed, but ${LAUNCHER} is still missing`);
    process.exit(1);
  }
  console.log(`chromium: installed ${LAUNCHER}`);
}

// A browser that is present but cannot start (a missing shared library) fails here, not in the first test.
const exe = fromEnv || (existsSync(BINARY) ? BINARY : LAUNCHER);
const v = spawnSync(exe, ['--headless', '--no-sandbox', '--version'], { encoding: 'utf8', timeout: 30_000 });
if (v.status !== 0) {
  console.error(`chromium: ${exe} --version failed (exit ${v.status}): ${(v.stderr || v.error?.message || '').trim()}`);
  process.exit(1);
}
console.log(`chromium: the tests drive ${exe} (${v.stdout.trim()})`);
