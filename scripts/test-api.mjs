#!/usr/bin/env node
// Contract fuzzing of the REST API with schemathesis (issue 12): every operation of the OpenAPI document the
// API serves at /docs-json, every check, every phase, against the real API + one worker on the running infra.
//
//   node scripts/with-infra.mjs node scripts/test-api.mjs      (npm run test:api; `npm test` runs it after jest)
//
// - schemathesis lives in a git-ignored virtualenv (.venv-schemathesis), installed from PyPI at the pinned version
//   once; later runs skip the install when that version is already there.
// - The API and the worker run on topics and a consumer group of their own (libs/testing testEnv), in the shared
//   test keyspace, exactly like the e2e stack (test/e2e/support/stack.ts).
// - Exit code: schemathesis's (0 = no failure), or 1 if the stack did not start.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signToken } from './jwt.mjs';
import { startProcess, testEnv } from './lib/app-process.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMATHESIS = '4.32.5';
const VENV = path.join(ROOT, '.venv-schemathesis');
const BIN = path.join(VENV, 'bin');
/** Fixed seed: a failure found once is found again by the next run. */
const SEED = 20261202;
/** Per operation and phase; keeps the whole run around two minutes on the 2-core build machine. */
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 40);

const log = (msg) => console.error(`[test-api] ${msg}`);

/**
 * The interpreter for the virtualenv: the newest CPython 3.12+ found (PATH, then pyenv), else python3. CPython
 * 3.11 trips over an AST bug in hypothesis's lambda introspection ("AST constructor recursion depth mismatch").
 */
function pickPython() {
  const pyenv = path.join(process.env.PYENV_ROOT ?? path.join(process.env.HOME ?? '/root', '.pyenv'), 'versions');
  const fromPyenv = fs.existsSync(pyenv)
    ? fs.readdirSync(pyenv).filter((v) => /^3\.(1[2-9])\.\d+$/.test(v)).sort((a, b) => b.localeCompare(a, 'en', { numeric: true })).map((v) => path.join(pyenv, v, 'bin', 'python3'))
    : [];
  for (const cmd of ['python3.14', 'python3.13', 'python3.12', ...fromPyenv]) {
    if (spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0) return cmd;
  }
  return 'python3';
}

const versionOf = (python) => spawnSync(python, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).stdout.trim();

function ensureSchemathesis() {
  const python = pickPython();
  const want = versionOf(python);
  const installed = spawnSync(path.join(BIN, 'schemathesis'), ['--version'], { encoding: 'utf8' });
  if (installed.status === 0 && installed.stdout.includes(`version ${SCHEMATHESIS}`) && versionOf(path.join(BIN, 'python')) === want) return;
  log(`installing schemathesis ${SCHEMATHESIS} into ${path.relative(ROOT, VENV)} (Python ${want})`);
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
  };
  fs.rmSync(VENV, { recursive: true, force: true });
  run(python, ['-m', 'venv', VENV]);
  run(path.join(BIN, 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS}`]);
}

async function main() {
  ensureSchemathesis();
  const tag = `s${randomBytes(4).toString('hex')}`;
  // As portFor in apps/fanout-worker/test/worker-process.ts: below the ephemeral port range (32768 and up).
  const base = 20_000 + (process.pid % 1_276) * 10;
  const apiPort = base + 8;
  const workerPort = base + 7;
  // The fuzzer sends thousands of requests from one address with one token: the limiter would answer 429 to most.
  // DEV_TOKENS on, so POST /dev/tokens is exercised rather than answering 404 throughout; streams end after 2 s,
  // so the fuzzer gets whole answers from them instead of waiting out its request timeout.
  const env = testEnv(tag, { RATE_LIMIT_PER_MINUTE: '1000000', DEV_TOKENS: 'true', STREAM_MAX_SECONDS: '2' });
  const started = [];
  let code = 1;
  try {
    // The worker creates the topics (and applies migrations, so this also runs outside `npm test`).
    started.push(await startProcess('worker', 'apps/fanout-worker/src/main.ts', { ...env, MIGRATE_ON_START: 'true', WORKER_HTTP_PORT: String(workerPort) }, `http://127.0.0.1:${workerPort}/health/ready`));
    started.push(await startProcess('api', 'apps/api/src/main.ts', { ...env, PORT: String(apiPort) }, `http://127.0.0.1:${apiPort}/health/ready`));
    const secret = env.AUTH_JWT_SECRET;
    const admin = signToken(secret, `${tag}-admin`, { admin: true, ttlSeconds: 3600 });
    const user = signToken(secret, `${tag}-user`, { ttlSeconds: 3600 });
    code = runSchemathesis(`http://127.0.0.1:${apiPort}`, admin, user);
  } catch (e) {
    log(e.message);
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
  return code;
}

function runSchemathesis(api, adminToken, userToken) {
  const args = [
    'run', `${api}/docs-json`,
    '--url', api,
    '--checks', 'all',
    '--phases', 'examples,coverage,fuzzing,stateful',
    '--seed', String(SEED),
    '--max-examples', String(MAX_EXAMPLES),
    '--header', `Authorization: Bearer ${adminToken}`,
    '--workers', '4',
    '--request-timeout', '10',
    '--suppress-health-check', 'all',
    '--no-color',
  ];
  log(`schemathesis ${SCHEMATHESIS}, seed ${SEED}, max ${MAX_EXAMPLES} examples`);
  const r = spawnSync(path.join(BIN, 'schemathesis'), args, { stdio: 'inherit', cwd: ROOT, env: {
      ...process.env,
      TIDELINE_USER_TOKEN: userToken,
      // test/api/schemathesis_hooks.py: the three rules JSON Schema cannot express (see its docstring).
      PYTHONPATH: path.join(ROOT, 'test', 'api'),
      SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
    },
  });
  return r.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(e.stack ?? String(e));
    process.exit(1);
  },
);
