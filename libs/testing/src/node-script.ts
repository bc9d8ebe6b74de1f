import { spawn } from 'node:child_process';

/**
 * Runs `node <script> <args...>` (the repository's infra and cluster scripts) with this process's environment;
 * resolves with its combined output, rejects on a non-zero exit or after `timeoutMs` (then SIGKILLed).
 */
export function runNodeScript(script: string, args: readonly string[], cwd: string, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`node ${script} ${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}
