#!/usr/bin/env node
// Installs Debian's Chromium (the browser the console's e2e tests drive through playwright-core) when
// /usr/bin/chromium is missing. Never downloads a browser build of its own: apt-get only.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`chromium: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

if (existsSync(CHROMIUM)) {
  console.log(`chromium: ${CHROMIUM} already installed`);
} else {
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
  if (!existsSync(CHROMIUM)) {
    console.error(`chromium: installed, but ${CHROMIUM} is still missing`);
    process.exit(1);
  }
  console.log(`chromium: installed ${CHROMIUM}`);
}
