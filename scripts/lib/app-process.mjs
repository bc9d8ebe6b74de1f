// Shared by the scripts that run the real apps on the local infrastructure (client:generate, test:api): the
// e2e tier's throwaway environment, and a child process started under ts-node that is ready once a URL answers.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TS_NODE = [path.join(ROOT, 'node_modules/ts-node/dist/bin.js'), '-r', 'tsconfig-paths/register', '--transpile-only'];

/** The e2e tier's environment for `tag` (libs/testing testEnv), so this run shares nothing with other runs. */
export function testEnv(tag, overrides) {
  const code = `process.stdout.write(JSON.stringify(require('@app/testing').testEnv(${JSON.stringify(tag)}, ${JSON.stringify(overrides)})))`;
  const r = spawnSync(process.execPath, [...TS_NODE, '-e', code], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`testEnv failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Spawns `entry` under ts-node and resolves once `readyUrl` answers 200 (deadline 90 s). */
export async function startProcess(name, entry, env, readyUrl) {
  const proc = spawn(process.execPath, [...TS_NODE, entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}\n${out.slice(-3000)}`);
    try {
      if ((await fetch(readyUrl)).status === 200) return { stop, output: () => out };
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} not ready at ${readyUrl} after 90 s\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
