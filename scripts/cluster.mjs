#!/usr/bin/env node
// Three-node test clusters for `npm run test:cluster` (the proof that Tideline survives losing one Cassandra node or
// one Kafka broker): a 3-node Cassandra 5.0 ring and a 3-broker Kafka KRaft cluster (combined broker+controller),
// run as plain JVM processes from the same Maven jars as scripts/infra.mjs.
//
//   node scripts/cluster.mjs up | down | status | reset
//   node scripts/cluster.mjs kill|stop|start <cassandra|kafka> <1|2|3>
//   node scripts/cluster.mjs run <command...>     up, the command, down (also on Ctrl-C); npm run test:cluster uses it
//
// Decisions:
// - Node n listens on 127.0.0.(n+1): Cassandra on :9042 (CQL) and :7000 (storage), Kafka on :9092 (clients) and :9093
//   (KRaft controller). Not 127.0.0.1: the single-node servers of scripts/infra.mjs (used by `npm test` and by other
//   engineers on this machine) hold 127.0.0.1:9042/7000/9092/9093, and every client default in the code base points
//   at 127.0.0.1, so a cluster there would either collide or silently receive traffic meant for the dev servers.
//   Linux routes all of 127.0.0.0/8 to lo, so the other addresses need no setup; each node keeps the standard ports.
// - Everything lives under TIDELINE_CLUSTER_DIR (default <repo>/.infra-cluster, git-ignored by `.infra-*/`):
//     cassandra/lib kafka/lib            jars (resolved by infra.mjs's ensureJars: mvn, once per POM hash)
//     <service>-<n>/{conf,var,logs,tmp,run}  one directory per node
// - Cassandra: cluster "tideline-cluster", seed = node 1, GossipingPropertyFileSnitch with dc1/rack1 on every node (so
//   NetworkTopologyStrategy {dc1: 3} works), num_tokens 16, 512 MiB heaps, hinted handoff on (a node that was down gets
//   the writes it missed). The nodes start one after another, each once the previous answers CQL. auto_bootstrap is
//   off: the ring is created empty, so there is nothing to stream, and joining without bootstrap skips the ring delay
//   sleep of every joining node (a node that was killed and restarted keeps its tokens either way).
// - Kafka: node.id n, controller.quorum.voters of all three, 384 MiB heaps, default.replication.factor 3,
//   min.insync.replicas 2, internal topics with RF 3 (transaction state min ISR 2). All three brokers are spawned at once
//   (a KRaft quorum of 3 elects nobody until two voters run) and are ready when each lists 3 brokers in its metadata.
// - Processes are recognised exactly like infra.mjs does it (main class + -Dtideline.infra.dir=<node dir> in
//   /proc/<pid>/cmdline), so this script can never signal the single-node servers or another checkout's cluster.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commonJvmArgs, ensureJars, javaBin, mainClassOf, probeCql, probeKafka, runWhenInvoked, serverJvmArgs } from './infra.mjs';

const SCRIPT_PATH = fileURLToPath(import.meta.url);
const REPO_DIR = path.resolve(path.dirname(SCRIPT_PATH), '..');
const TEMPLATE_DIR = path.join(REPO_DIR, 'infra');

export const NODES = [1, 2, 3];
export const SERVICES = ['cassandra', 'kafka'];
export const address = (n) => `127.0.0.${n + 1}`;
export const CQL_PORT = 9042;
const STORAGE_PORT = 7000;
export const KAFKA_PORT = 9092;
const CONTROLLER_PORT = 9093;
export const contactPoints = () => NODES.map((n) => `${address(n)}:${CQL_PORT}`).join(',');
export const brokers = () => NODES.map((n) => `${address(n)}:${KAFKA_PORT}`).join(',');

const CASSANDRA_HEAP = ['-Xms512M', '-Xmx512M'];
const KAFKA_HEAP = ['-Xms384M', '-Xmx384M'];
// Distinct from the dev node's id: a broker of one cluster can never be taken for one of the other.
const KAFKA_CLUSTER_ID = Buffer.from('TidelineCluster3').toString('base64url');
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 45_000;
const KAFKA_DOWN_GRACE_MS = 15_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[cluster] ${new Date().toISOString().slice(11, 19)} ${msg}`);

const clusterDir = () => path.resolve(process.env.TIDELINE_CLUSTER_DIR || path.join(REPO_DIR, '.infra-cluster'));

/** The layout of one node, in the shape infra.mjs's jvmArgs expects. */
function nodeLayout(svc, n) {
  const root = path.join(clusterDir(), `${svc}-${n}`);
  return {
    root,
    run: path.join(root, 'run'),
    logs: path.join(root, 'logs'),
    var: path.join(root, 'var'),
    tmp: path.join(root, 'tmp'),
    lib: (s) => path.join(clusterDir(), s, 'lib'),
    conf: () => path.join(root, 'conf'),
    pidFile: path.join(root, 'run', `${svc}.pid`),
    serverLog: path.join(root, 'logs', svc === 'kafka' ? 'kafka-server.log' : 'cassandra-system.log'),
    outFile: path.join(root, 'logs', `${svc}.out`),
  };
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function tail(file, lines = 25) {
  const text = readText(file);
  if (text === null) return `  (no ${file})`;
  return text.trimEnd().split('\n').slice(-lines).map((l) => `  | ${l}`).join('\n');
}

function checkNode(svc, n) {
  if (!SERVICES.includes(svc)) throw Object.assign(new Error(`unknown service "${svc}" (cassandra or kafka)`), { usage: true });
  if (!NODES.includes(n)) throw Object.assign(new Error(`node must be one of ${NODES.join(', ')}, got "${n}"`), { usage: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

function isOurs(pid, svc, L) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (!cmdline) return false;
  const argv = cmdline.split('\0');
  return argv.includes(mainClassOf(svc)) && argv.includes(`-Dtideline.infra.dir=${L.root}`);
}

function findPid(svc, n) {
  const L = nodeLayout(svc, n);
  const recorded = Number.parseInt(readText(L.pidFile) ?? '', 10);
  if (isOurs(recorded, svc, L)) return recorded;
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && isOurs(Number(entry), svc, L)) {
      fs.mkdirSync(L.run, { recursive: true });
      fs.writeFileSync(L.pidFile, `${entry}\n`);
      return Number(entry);
    }
  }
  fs.rmSync(L.pidFile, { force: true });
  return null;
}

function runJava(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(javaBin(), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, output }));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Configs

/** Replaces each `from` (which must occur in the template) by `to`. */
function substitute(text, file, pairs) {
  for (const [from, to] of pairs) {
    if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}; update scripts/cluster.mjs`);
    text = text.replaceAll(from, to);
  }
  return text;
}

function writeIfChanged(file, text) {
  if (readText(file) !== text) fs.writeFileSync(file, text);
}

function renderCassandra(n) {
  const L = nodeLayout('cassandra', n);
  const conf = L.conf();
  fs.mkdirSync(path.join(conf, 'triggers'), { recursive: true });
  for (const d of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) fs.mkdirSync(path.join(L.var, 'cassandra', d), { recursive: true });
  const yamlFile = path.join(TEMPLATE_DIR, 'cassandra', 'cassandra.yaml');
  const yaml = substitute(fs.readFileSync(yamlFile, 'utf8').replaceAll('@@VAR_DIR@@', L.var), yamlFile, [
    ["cluster_name: 'tideline-dev'", "cluster_name: 'tideline-cluster'"],
    ['\nnum_tokens: 1\n', '\nnum_tokens: 16\n'],
    ['endpoint_snitch: SimpleSnitch', 'endpoint_snitch: GossipingPropertyFileSnitch'],
    ['seeds: "127.0.0.1:7000"', `seeds: "${address(1)}:${STORAGE_PORT}"`],
    ['\nlisten_address: 127.0.0.1\n', `\nlisten_address: ${address(n)}\n`],
    ['\nrpc_address: 127.0.0.1\n', `\nrpc_address: ${address(n)}\n`],
    ['hinted_handoff_enabled: false', 'hinted_handoff_enabled: true'],
  ]);
  writeIfChanged(
    path.join(conf, 'cassandra.yaml'),
    `${yaml.trimEnd()}\n\n# scripts/cluster.mjs: the ring is created empty, nothing to stream when a node first joins.\nauto_bootstrap: false\n`,
  );
  writeIfChanged(path.join(conf, 'cassandra-rackdc.properties'), 'dc=dc1\nrack=rack1\n');
  const logback = fs.readFileSync(path.join(TEMPLATE_DIR, 'cassandra', 'logback.xml'), 'utf8').replaceAll('@@LOG_DIR@@', L.logs);
  writeIfChanged(path.join(conf, 'logback.xml'), logback);
}

function renderKafka(n) {
  const L = nodeLayout('kafka', n);
  const conf = L.conf();
  fs.mkdirSync(conf, { recursive: true });
  fs.mkdirSync(path.join(L.var, 'kafka'), { recursive: true });
  const propsFile = path.join(TEMPLATE_DIR, 'kafka', 'server.properties');
  const voters = NODES.map((m) => `${m}@${address(m)}:${CONTROLLER_PORT}`).join(',');
  const props = substitute(fs.readFileSync(propsFile, 'utf8').replaceAll('@@VAR_DIR@@', L.var), propsFile, [
    ['\nnode.id=1\n', `\nnode.id=${n}\n`],
    ['controller.quorum.voters=1@127.0.0.1:9093', `controller.quorum.voters=${voters}`],
    ['listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093', `listeners=PLAINTEXT://${address(n)}:${KAFKA_PORT},CONTROLLER://${address(n)}:${CONTROLLER_PORT}`],
    ['advertised.listeners=PLAINTEXT://127.0.0.1:9092', `advertised.listeners=PLAINTEXT://${address(n)}:${KAFKA_PORT}`],
    ['default.replication.factor=1', 'default.replication.factor=3'],
    ['offsets.topic.replication.factor=1', 'offsets.topic.replication.factor=3'],
    ['transaction.state.log.replication.factor=1', 'transaction.state.log.replication.factor=3'],
    ['transaction.state.log.min.isr=1', 'transaction.state.log.min.isr=2'],
  ]);
  writeIfChanged(
    path.join(conf, 'server.properties'),
    `${props.trimEnd()}\n\n# scripts/cluster.mjs: an acknowledged (acks=all) write is on at least two brokers.\nmin.insync.replicas=2\n`,
  );
  const log4j = fs.readFileSync(path.join(TEMPLATE_DIR, 'kafka', 'log4j.properties'), 'utf8').replaceAll('@@LOG_DIR@@', L.logs);
  writeIfChanged(path.join(conf, 'log4j.properties'), log4j);
}

async function formatKafka(n) {
  const L = nodeLayout('kafka', n);
  const dataDir = path.join(L.var, 'kafka', 'data');
  if (fs.existsSync(path.join(dataDir, 'meta.properties'))) return;
  fs.mkdirSync(L.tmp, { recursive: true });
  fs.mkdirSync(L.logs, { recursive: true });
  const result = await runJava(
    [
      '-Xmx256m',
      ...commonJvmArgs(L, 'kafka-storage'),
      `-Dlog4j.configuration=file:${path.join(L.conf(), 'log4j.properties')}`,
      '-cp',
      `${L.lib('kafka')}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      KAFKA_CLUSTER_ID,
      '--config',
      path.join(L.conf(), 'server.properties'),
      '--ignore-formatted',
    ],
    L.root,
  );
  if (result.code !== 0) throw new Error(`kafka-${n}: storage format failed (exit ${result.code}):\n${result.output.trim()}`);
}

/** Jars of both services, resolved once into the cluster dir (mvn reads them from ~/.m2 after the first time). */
async function prepareJars() {
  const root = clusterDir();
  const shared = { root, lib: (s) => path.join(root, s, 'lib') };
  await Promise.all(SERVICES.map((svc) => ensureJars(svc, shared, (m) => log(m))));
}

function prepare(svc, n) {
  if (svc === 'cassandra') renderCassandra(n);
  else renderKafka(n);
  return svc === 'kafka' ? formatKafka(n) : Promise.resolve();
}

function spawnNode(svc, n) {
  const L = nodeLayout(svc, n);
  for (const d of [L.logs, L.run, L.tmp]) fs.mkdirSync(d, { recursive: true });
  const args = serverJvmArgs(svc, L, svc === 'cassandra' ? CASSANDRA_HEAP : KAFKA_HEAP);
  if (svc === 'cassandra') {
    // GossipingPropertyFileSnitch reads dc/rack from this file (by default from the classpath).
    args.splice(args.indexOf('-cp'), 0, `-Dcassandra-rackdc.properties=file://${path.join(L.conf(), 'cassandra-rackdc.properties')}`);
  }
  const out = fs.openSync(L.outFile, 'a');
  fs.writeSync(out, `\n===== ${new Date().toISOString()} starting ${svc}-${n} =====\n`);
  const child = spawn(javaBin(), args, { cwd: L.root, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.on('error', () => {});
  child.unref();
  fs.writeFileSync(L.pidFile, `${child.pid}\n`);
  return child.pid;
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness

function cassandraDriver() {
  return createRequire(path.join(REPO_DIR, 'package.json'))('cassandra-driver');
}

/** Node n's own view of the ring: the peers it lists in system.peers_v2 (those that joined as NORMAL). */
async function ringView(n, timeoutMs = 5000) {
  const { Client, policies } = cassandraDriver();
  const contact = `${address(n)}:${CQL_PORT}`;
  const client = new Client({
    contactPoints: [contact],
    localDataCenter: 'dc1',
    policies: { loadBalancing: new policies.loadBalancing.AllowListPolicy(new policies.loadBalancing.DCAwareRoundRobinPolicy('dc1'), [contact]) },
    socketOptions: { connectTimeout: timeoutMs, readTimeout: timeoutMs },
    pooling: { warmup: false },
  });
  try {
    await client.connect();
    const local = (await client.execute('SELECT data_center, rack, bootstrapped FROM system.local')).first();
    const peers = (await client.execute('SELECT peer, data_center FROM system.peers_v2')).rows.map((r) => String(r.get('peer')));
    return { dc: local.get('data_center'), rack: local.get('rack'), bootstrapped: local.get('bootstrapped'), peers: peers.sort() };
  } finally {
    await client.shutdown().catch(() => {});
  }
}

async function probe(svc, n) {
  if (svc === 'cassandra') return probeCql(address(n), CQL_PORT, 2000);
  const r = await probeKafka(address(n), KAFKA_PORT, 2000);
  const count = Number(/^(\d+) broker/.exec(r.detail)?.[1] ?? 0);
  return r.ok && count < NODES.length ? { ok: false, detail: r.detail, brokers: count } : { ...r, brokers: count };
}

/** Waits until node n answers its protocol (Kafka: and lists all 3 brokers); fails fast if its process died. */
async function waitReady(svc, n, pid, t0) {
  const L = nodeLayout(svc, n);
  let last = { detail: 'not probed yet' };
  for (;;) {
    if (pid !== null && !isOurs(pid, svc, L)) {
      throw new Error(`${svc}-${n} exited during startup after ${secs(t0)}\n--- ${L.outFile}\n${tail(L.outFile)}\n--- ${L.serverLog}\n${tail(L.serverLog)}`);
    }
    last = await probe(svc, n);
    if (last.ok) return;
    if (Date.now() - t0 > START_TIMEOUT_MS) {
      throw new Error(`${svc}-${n} not ready on ${address(n)} after ${secs(t0)} (last probe: ${last.detail})\n--- ${L.serverLog}\n${tail(L.serverLog)}`);
    }
    await sleep(300);
  }
}

/** Waits until every running Cassandra node lists every other node as a peer, all in dc1. */
async function waitRing(t0 = Date.now(), timeoutMs = 120_000) {
  let last = null;
  for (;;) {
    try {
      const views = await Promise.all(NODES.map((n) => ringView(n)));
      last = views;
      const ok = views.every((v, i) => v.dc === 'dc1' && v.peers.length === NODES.length - 1 && !v.peers.includes(address(NODES[i])));
      if (ok) return views;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`Cassandra ring not complete after ${secs(t0)}: ${JSON.stringify(last)}`);
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

async function launch(svc, n) {
  const existing = findPid(svc, n);
  if (existing) {
    log(`${svc}-${n}: already running (pid ${existing})`);
    return { pid: existing, since: Date.now(), started: false };
  }
  const p = await probe(svc, n);
  if (p.ok || /broker/.test(p.detail)) throw new Error(`${address(n)} already serves ${svc} from a process not managed from ${clusterDir()}`);
  await prepare(svc, n);
  const since = Date.now();
  const pid = spawnNode(svc, n);
  log(`${svc}-${n}: starting on ${address(n)} (pid ${pid}, log ${path.relative(process.cwd(), nodeLayout(svc, n).serverLog)})`);
  return { pid, since, started: true };
}

/** Starts both clusters (Kafka's 3 brokers at once, then Cassandra's nodes one after another). */
export async function up() {
  const t0 = Date.now();
  await prepareJars();
  const kafkaLaunches = [];
  for (const n of NODES) kafkaLaunches.push(await launch('kafka', n));
  const kafkaReady = Promise.all(
    kafkaLaunches.map(async (l, i) => {
      await waitReady('kafka', NODES[i], l.pid, l.since);
      if (l.started) log(`kafka-${NODES[i]}: ready, 3 brokers in its metadata (${secs(l.since)})`);
    }),
  );
  kafkaReady.catch(() => {});
  for (const n of NODES) {
    const l = await launch('cassandra', n);
    await waitReady('cassandra', n, l.pid, l.since);
    if (l.started) log(`cassandra-${n}: answering CQL on ${address(n)}:${CQL_PORT} (${secs(l.since)})`);
  }
  await kafkaReady;
  const views = await waitRing();
  log(`cassandra ring: ${views.map((v, i) => `node ${NODES[i]} sees ${v.peers.join(' ')}`).join('; ')}`);
  log(`up: ready (${secs(t0)}); CASSANDRA_CONTACT_POINTS=${contactPoints()} KAFKA_BROKERS=${brokers()}`);
  return { seconds: (Date.now() - t0) / 1000 };
}

/** Starts one node (data kept) and waits until it answers (Cassandra: and the ring is complete again). */
export async function start(svc, n) {
  checkNode(svc, n);
  const t0 = Date.now();
  const l = await launch(svc, n);
  await waitReady(svc, n, l.pid, l.since);
  if (svc === 'cassandra') await waitRing();
  log(`${svc}-${n}: ready (${secs(t0)})`);
}

async function terminate(svc, n, signal, graceMs = STOP_TIMEOUT_MS) {
  const L = nodeLayout(svc, n);
  const pid = findPid(svc, n);
  if (!pid) {
    log(`${svc}-${n}: not running`);
    return false;
  }
  const t0 = Date.now();
  log(`${svc}-${n}: ${signal === 'SIGKILL' ? 'killing' : 'stopping'} pid ${pid}`);
  const send = (sig) => {
    try {
      process.kill(pid, sig);
    } catch (err) {
      if (err.code !== 'ESRCH') throw err;
    }
  };
  send(signal);
  let escalated = signal === 'SIGKILL';
  while (isOurs(pid, svc, L)) {
    if (Date.now() - t0 > (escalated ? 10_000 : graceMs)) {
      if (escalated) throw new Error(`${svc}-${n}: pid ${pid} did not exit after SIGKILL`);
      log(`${svc}-${n}: still running after ${secs(t0)}, sending SIGKILL`);
      send('SIGKILL');
      escalated = true;
    }
    await sleep(100);
  }
  fs.rmSync(L.pidFile, { force: true });
  log(`${svc}-${n}: gone (${secs(t0)})`);
  return true;
}

export const kill = (svc, n) => (checkNode(svc, n), terminate(svc, n, 'SIGKILL'));
export const stop = (svc, n) => (checkNode(svc, n), terminate(svc, n, 'SIGTERM'));

/**
 * Stops all six servers (SIGTERM; SIGKILL after 45 s for Cassandra, 15 s for Kafka). Data is kept. Kafka gets less:
 * whichever broker stops last has lost its controller quorum and waits for a controlled shutdown that cannot happen
 * (seen: 45 s, then SIGKILL); its logs are recovered on the next start.
 */
export async function down() {
  const t0 = Date.now();
  await Promise.all(SERVICES.flatMap((svc) => NODES.map((n) => terminate(svc, n, 'SIGTERM', svc === 'kafka' ? KAFKA_DOWN_GRACE_MS : STOP_TIMEOUT_MS))));
  log(`down (${secs(t0)})`);
}

/** down, then deletes every node's data (jars stay). */
export async function reset() {
  await down();
  for (const svc of SERVICES) for (const n of NODES) fs.rmSync(nodeLayout(svc, n).var, { recursive: true, force: true });
  log(`reset: deleted the data of all nodes under ${clusterDir()}`);
}

export async function status() {
  const rows = [];
  for (const svc of SERVICES) {
    for (const n of NODES) {
      const pid = findPid(svc, n);
      const p = await probe(svc, n);
      let ring = '';
      if (svc === 'cassandra' && p.ok) {
        try {
          const v = await ringView(n);
          ring = `, ${v.dc}/${v.rack}, peers ${v.peers.join(' ') || '-'}`;
        } catch (e) {
          ring = `, ring view failed: ${e.message}`;
        }
      }
      rows.push({ service: svc, node: n, address: address(n), running: pid !== null, pid, answering: p.ok, detail: `${p.detail}${ring}` });
    }
  }
  return rows;
}

/**
 * up, then `args` through /bin/sh with inherited stdio, then down whatever the outcome, also on SIGINT/SIGTERM/SIGHUP
 * (passed on to the command first; a second signal SIGKILLs it). Resolves to the command's exit code (128 + signal
 * number if it died from one), 1 if up failed.
 */
export async function run(args) {
  let child = null;
  let interrupted = null;
  // The command runs in a process group of its own, so that a signal reaches every process of it (sh alone would
  // wait for its child); a Ctrl-C in the terminal reaches only this script, which passes it on.
  const toGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch (err) {
      if (err.code !== 'ESRCH') throw err;
    }
  };
  const onSignal = (signal) => {
    const running = child && child.exitCode === null && child.signalCode === null;
    if (interrupted) {
      if (running) toGroup('SIGKILL');
      return;
    }
    interrupted = signal;
    log(`${signal} received${running ? ', stopping the command' : ''}; the clusters are stopped afterwards`);
    if (running) toGroup(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
  let exitCode = 1;
  try {
    await up();
    if (!interrupted) {
      const line = args.length === 1 ? args[0] : args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
      exitCode = await new Promise((resolve) => {
        child = spawn('/bin/sh', ['-c', line], { stdio: 'inherit', detached: true });
        child.on('error', (err) => {
          log(`cannot run the command: ${err.message}`);
          resolve(127);
        });
        child.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
      });
    }
  } catch (err) {
    console.error(`[cluster] error: ${err.message}`);
    exitCode = 1;
  } finally {
    try {
      await down();
    } catch (err) {
      console.error(`[cluster] could not stop the clusters: ${err.message}`);
      exitCode ||= 1;
    }
  }
  if (interrupted && exitCode === 0) exitCode = 128 + os.constants.signals[interrupted];
  return exitCode;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: node scripts/cluster.mjs <command>
  up                                  start the 3-node Cassandra ring and the 3-broker Kafka cluster, wait until ready
  down                                stop all six servers (data kept)
  status [--json]                     state of every node
  reset                               down, then delete all data (jars kept)
  kill  <cassandra|kafka> <1|2|3>     SIGKILL one node
  stop  <cassandra|kafka> <1|2|3>     SIGTERM one node (SIGKILL after 45 s)
  start <cassandra|kafka> <1|2|3>     start one node (data kept), wait until it answers
  run <command...>                    up, run the command (through /bin/sh), down whatever happens; its exit code
node n listens on 127.0.0.(n+1); state under TIDELINE_CLUSTER_DIR (default <repo>/.infra-cluster)`;

async function main([command, ...rest]) {
  const node = () => {
    if (rest.length !== 2) throw Object.assign(new Error(`${command} needs <cassandra|kafka> <1|2|3>`), { usage: true });
    return [rest[0], Number(rest[1])];
  };
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'reset':
      await reset();
      return 0;
    case 'run':
      if (rest.length === 0) throw Object.assign(new Error('run needs a command'), { usage: true });
      return run(rest);
    case 'kill':
      await kill(...node());
      return 0;
    case 'stop':
      await stop(...node());
      return 0;
    case 'start':
      await start(...node());
      return 0;
    case 'status': {
      const rows = await status();
      if (rest.includes('--json')) console.log(JSON.stringify(rows, null, 2));
      else {
        for (const r of rows) {
          console.log(
            [`${r.service}-${r.node}`.padEnd(12), r.address.padEnd(10), (r.running ? `pid ${r.pid}` : 'stopped').padEnd(11), r.answering ? `answering (${r.detail})` : `not answering (${r.detail})`].join(' '),
          );
        }
      }
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command: ${command}\n${USAGE}`);
      return 2;
  }
}

runWhenInvoked(SCRIPT_PATH, main, 'cluster', USAGE);
