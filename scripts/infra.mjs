#!/usr/bin/env node
// Local infrastructure for Tideline: a real Kafka (KRaft, single combined node) and a real Cassandra 5.0 node,
// run as plain JVM processes (no Docker on our machines), both bound to 127.0.0.1 only.
//
//   node scripts/infra.mjs up|down|status [--json]|reset
//   node scripts/infra.mjs start|stop|kill cassandra|kafka
//
// Plain Node 20 ESM with zero npm dependencies: it runs before `npm ci` and in CI. The same functions are exported
// (up, down, status, start, stop, kill, reset) for test code that injects faults or manages the servers itself.
//
// Decisions:
// - Jars come from Maven Central through `mvn dependency:copy-dependencies` on infra/<service>/pom.xml, one lib dir
//   per service (Cassandra and Kafka must never share a classpath). A marker holding the POM's hash makes later runs
//   skip mvn entirely.
// - Servers run on the Debian OpenJDK 17: Cassandra 5.0 installs a SecurityManager, which JDK 24+ (the Temurin 25
//   also installed) refuses.
// - Everything is written under one directory, TIDELINE_INFRA_DIR (default <repo>/.infra):
//     cassandra/{lib,conf}  kafka/{lib,conf}   jars and rendered configs
//     var/{cassandra,kafka}                    data (kept across stop/start; only `reset` deletes it)
//     logs/                                    <service>.out (stdout/stderr), cassandra-system.log, kafka-server.log
//     run/                                     <service>.pid, lock
//     tmp/                                     java.io.tmpdir / JNA / netty native extraction
// - Servers are spawned detached (own process group, stdio to files), so they outlive this script and a Ctrl-C in
//   the terminal that ran `up` does not reach them.
// - A process is "ours" only if /proc/<pid>/cmdline names the service's main class and carries the
//   -Dtideline.infra.dir=<this infra dir> tag: a stale pid file or a recycled pid is never signalled, and a server
//   whose pid file was lost is found again by scanning /proc.
// - Readiness is checked with the real wire protocols, not a bare TCP connect: CQL OPTIONS/STARTUP/QUERY on 9042 and
//   a Kafka Metadata request on 9092 that must list at least one (unfenced) broker.
// - Ports default to 9042 (CQL), 7000 (Cassandra storage), 9092 (Kafka) and 9093 (KRaft controller); INFRA_CQL_PORT,
//   INFRA_CASSANDRA_STORAGE_PORT, INFRA_KAFKA_PORT and INFRA_KAFKA_CONTROLLER_PORT move them, so that a second pair
//   (with its own TIDELINE_INFRA_DIR) can run beside the first, e.g. for fault-injection tests.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT_PATH = fileURLToPath(import.meta.url);
const REPO_DIR = path.resolve(path.dirname(SCRIPT_PATH), '..');
const TEMPLATE_DIR = path.join(REPO_DIR, 'infra');
const MAVEN_SETTINGS = path.join(TEMPLATE_DIR, 'maven-settings.xml');

const DEFAULT_JAVA = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
const HOST = '127.0.0.1';
// Fixed KRaft cluster id (22 chars of base64url = 16 bytes): a dev cluster has no reason to be random, and a fixed
// id keeps re-formatting after `reset` reproducible.
const KAFKA_CLUSTER_ID = Buffer.from('TidelineDevClust').toString('base64url');

const seconds = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v * 1000 : fallback * 1000;
};
const START_TIMEOUT_MS = () => seconds('INFRA_START_TIMEOUT_S', 180);
const STOP_TIMEOUT_MS = () => seconds('INFRA_STOP_TIMEOUT_S', 60);

/**
 * Listening ports, resolved at call time (like the directory layout) so that a second, independent server pair can
 * run beside the default one, e.g. for fault-injection tests that stop and kill servers:
 *   INFRA_CQL_PORT (9042), INFRA_CASSANDRA_STORAGE_PORT (7000), INFRA_KAFKA_PORT (9092), INFRA_KAFKA_CONTROLLER_PORT
 *   (9093). Cassandra opens no other port here (JMX is off; the legacy SSL storage port 7001 is only bound when
 *   server_encryption_options enables it), and neither does Kafka (no JMX).
 */
const PORT_DEFAULTS = {
  INFRA_CQL_PORT: 9042,
  INFRA_CASSANDRA_STORAGE_PORT: 7000,
  INFRA_KAFKA_PORT: 9092,
  INFRA_KAFKA_CONTROLLER_PORT: 9093,
};

function ports() {
  const out = {};
  for (const [name, fallback] of Object.entries(PORT_DEFAULTS)) {
    const raw = (process.env[name] ?? '').trim();
    const v = raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(v) || v < 1 || v > 65535) {
      throw new Error(`${name} must be a TCP port number (1-65535), got "${raw}"`);
    }
    out[name] = v;
  }
  const seen = new Map();
  for (const [name, v] of Object.entries(out)) {
    if (seen.has(v)) throw new Error(`${name} and ${seen.get(v)} are both ${v}; each port must be distinct`);
    seen.set(v, name);
  }
  return {
    cql: out.INFRA_CQL_PORT,
    storage: out.INFRA_CASSANDRA_STORAGE_PORT,
    kafka: out.INFRA_KAFKA_PORT,
    controller: out.INFRA_KAFKA_CONTROLLER_PORT,
  };
}

/**
 * The port settings in the templates are written with their default values (the templates stay readable, valid
 * configs); rendering rewrites exactly these texts. A template that no longer contains one of them is an error
 * rather than a server silently listening on the default port.
 */
const PORT_SUBSTITUTIONS = {
  'server.properties': (p) => [
    ['127.0.0.1:9092', `127.0.0.1:${p.kafka}`],
    ['127.0.0.1:9093', `127.0.0.1:${p.controller}`],
  ],
  'cassandra.yaml': (p) => [
    ...(process.env.INFRA_CASSANDRA_COMMITLOG === 'group'
      ? [['commitlog_sync: periodic\ncommitlog_sync_period: 10000ms', 'commitlog_sync: group\ncommitlog_sync_group_window: 10ms']]
      : []),
    ['seeds: "127.0.0.1:7000"', `seeds: "127.0.0.1:${p.storage}"`],
    ['\nstorage_port: 7000\n', `\nstorage_port: ${p.storage}\n`],
    ['\nnative_transport_port: 9042\n', `\nnative_transport_port: ${p.cql}\n`],
  ],
};

/** Directory layout, resolved at call time so that callers may set TIDELINE_INFRA_DIR before calling. */
function layout() {
  const root = path.resolve(process.env.TIDELINE_INFRA_DIR || path.join(REPO_DIR, '.infra'));
  return {
    root,
    run: path.join(root, 'run'),
    logs: path.join(root, 'logs'),
    var: path.join(root, 'var'),
    tmp: path.join(root, 'tmp'),
    lib: (svc) => path.join(root, svc, 'lib'),
    conf: (svc) => path.join(root, svc, 'conf'),
    pidFile: (svc) => path.join(root, 'run', `${svc}.pid`),
  };
}

function javaBin() {
  const java = process.env.INFRA_JAVA || DEFAULT_JAVA;
  if (!fs.existsSync(java)) {
    throw new Error(`Java 17 not found at ${java} (install openjdk-17-jdk-headless, or set INFRA_JAVA)`);
  }
  return java;
}

/** Heap options: env value is either a size ("2G" -> -Xms2G -Xmx2G) or raw JVM options ("-Xms256m -Xmx1g"). */
function heapArgs(envName, fallback) {
  const v = (process.env[envName] || '').trim();
  if (!v) return fallback;
  return v.startsWith('-') ? v.split(/\s+/) : [`-Xms${v}`, `-Xmx${v}`];
}

// ---------------------------------------------------------------------------------------------------------------
// Services

const SERVICES = {
  kafka: {
    name: 'kafka',
    mainClass: 'kafka.Kafka',
    get port() {
      return ports().kafka;
    },
    mainJar: /^kafka_2\.13-.*\.jar$/,
    templates: ['server.properties', 'log4j.properties'],
    serverLog: 'kafka-server.log',
    probe: (timeoutMs) => probeKafka(HOST, ports().kafka, timeoutMs),
    prepare: formatKafkaStorage,
    jvmArgs(L, heap) {
      const conf = L.conf('kafka');
      return [
        ...(heap ?? heapArgs('INFRA_KAFKA_HEAP', ['-Xms256m', '-Xmx512m'])),
        // What bin/kafka-run-class.sh passes to the broker (3.9): G1 tuned for short pauses.
        '-server',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-XX:MaxInlineLevel=15',
        '-Djava.awt.headless=true',
        ...commonJvmArgs(L, 'kafka'),
        `-Dlog4j.configuration=file:${path.join(conf, 'log4j.properties')}`,
        `-Dkafka.logs.dir=${L.logs}`,
        '-cp',
        `${L.lib('kafka')}/*`,
        'kafka.Kafka',
        path.join(conf, 'server.properties'),
      ];
    },
  },

  cassandra: {
    name: 'cassandra',
    mainClass: 'org.apache.cassandra.service.CassandraDaemon',
    get port() {
      return ports().cql;
    },
    mainJar: /^cassandra-all-.*\.jar$/,
    templates: ['cassandra.yaml', 'logback.xml'],
    serverLog: 'cassandra-system.log',
    probe: (timeoutMs) => probeCql(HOST, ports().cql, timeoutMs),
    prepare: prepareCassandraDirs,
    jvmArgs(L, heap) {
      const conf = L.conf('cassandra');
      const lib = L.lib('cassandra');
      const jamm = fs.readdirSync(lib).find((f) => /^jamm-.*\.jar$/.test(f));
      // bin/cassandra.in.sh adds these only when running on a full JDK (javac present), CASSANDRA-19001.
      const hasJdkModules = fs.existsSync(path.join(path.dirname(javaBin()), 'javac'));
      return [
        // Small fixed heap; the default would be a quarter of RAM (6 GB here).
        ...(heap ?? heapArgs('INFRA_CASSANDRA_HEAP', ['-Xms1G', '-Xmx1G'])),
        // conf/jvm-server.options of 5.0, minus -XX:+AlwaysPreTouch (touches the whole heap at boot: slower start,
        // full RSS at once) and -XX:+UseNUMA (no NUMA here), -XX:+HeapDumpOnOutOfMemoryError (1 GB dumps; we exit).
        '-ea',
        '-da:net.openhft...',
        '-XX:+UseThreadPriorities',
        '-Xss256k',
        '-XX:+UseTLAB',
        '-XX:+ResizeTLAB',
        '-Djava.net.preferIPv4Stack=true',
        // conf/jvm17-server.options of 5.0: G1 settings and the module opens Cassandra needs on JDK 17.
        '-XX:+UseG1GC',
        '-XX:+ParallelRefProcEnabled',
        '-XX:MaxTenuringThreshold=1',
        '-XX:G1HeapRegionSize=16m',
        '-XX:G1RSetUpdatingPauseTimePercent=5',
        '-XX:MaxGCPauseMillis=300',
        '-XX:InitiatingHeapOccupancyPercent=70',
        '-Djdk.attach.allowAttachSelf=true',
        ...[
          'java.base/jdk.internal.misc',
          'java.management.rmi/com.sun.jmx.remote.internal.rmi',
          'java.management/com.sun.jmx.remote.security',
          'java.rmi/sun.rmi.registry',
          'java.rmi/sun.rmi.server',
          'java.sql/java.sql',
          'java.base/java.lang.ref',
          'jdk.unsupported/sun.misc',
          ...(hasJdkModules ? ['jdk.attach/sun.tools.attach', 'jdk.compiler/com.sun.tools.javac.file'] : []),
        ].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
        ...[
          'java.base/java.lang.module',
          'java.base/jdk.internal.loader',
          'java.base/jdk.internal.ref',
          'java.base/jdk.internal.reflect',
          'java.base/jdk.internal.math',
          'java.base/jdk.internal.module',
          'java.base/jdk.internal.util.jar',
          'jdk.management/com.sun.management.internal',
          'java.base/sun.nio.ch',
          'java.base/java.io',
          'java.base/java.lang.reflect',
          'java.base/java.lang',
          'java.base/java.util',
          'java.base/java.nio',
          ...(hasJdkModules ? ['jdk.compiler/com.sun.tools.javac'] : []),
        ].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
        '-Dio.netty.tryReflectionSetAccessible=true',
        '-Dio.netty.allocator.useCacheForAllThreads=true',
        '-Dio.netty.allocator.maxOrder=11',
        // conf/cassandra-env.sh: jamm measures memtable sizes exactly (5.0 falls back to Unsafe without it).
        ...(jamm ? [`-javaagent:${path.join(lib, jamm)}`] : []),
        ...commonJvmArgs(L, 'cassandra'),
        // Stay offline and quiet: no chronicle analytics, no "jemalloc could not be preloaded" warning.
        '-Dchronicle.analytics.disable=true',
        '-Dchronicle.announcer.disable=true',
        '-Dcassandra.libjemalloc=-',
        `-Djna.tmpdir=${L.tmp}`,
        // cassandra.config must be a URL.
        `-Dcassandra.config=file://${path.join(conf, 'cassandra.yaml')}`,
        `-Dlogback.configurationFile=${path.join(conf, 'logback.xml')}`,
        `-Dcassandra.logdir=${L.logs}`,
        `-Dcassandra.storagedir=${path.join(L.var, 'cassandra')}`,
        `-Dcassandra.triggers_dir=${path.join(conf, 'triggers')}`,
        // Without it CassandraDaemon closes System.out/err after startup: WARN+ would vanish from cassandra.out.
        '-Dcassandra-foreground=yes',
        // Single node: no need to wait (>= 8 s) for gossip to settle.
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        // No -Dcassandra.unsafesystem: skipping the schema flush after DDL makes a killed node replay the
        // commit log before it knows the new tables, silently dropping acknowledged writes to them (seen
        // in the Cassandra fault test).
        // No -Dcassandra.jmx.local.port: JMX (and so nodetool) stays disabled; nothing else needs it.
        '-cp',
        `${lib}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ];
    },
  },
};

/** Start order: Kafka boots in seconds, Cassandra takes longest; both boot concurrently after being spawned. */
const ORDER = ['kafka', 'cassandra'];

function commonJvmArgs(L, svc) {
  return [
    // A JVM in trouble should die (and be seen as down) rather than limp on.
    '-XX:+ExitOnOutOfMemoryError',
    `-XX:ErrorFile=${path.join(L.logs, `${svc}-hs_err_%p.log`)}`,
    // No /tmp/hsperfdata_<user> file: keeps every write under the infra dir.
    '-XX:+PerfDisableSharedMem',
    `-Djava.io.tmpdir=${L.tmp}`,
    // Identity tag: lets us recognise our own process in /proc (see isOurs()).
    `-Dtideline.infra.service=${svc}`,
    `-Dtideline.infra.dir=${L.root}`,
  ];
}

function service(name) {
  const svc = SERVICES[name];
  if (!svc) throw new Error(`unknown service "${name}" (expected one of: ${ORDER.join(', ')})`);
  return svc;
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const elapsed = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function defaultLogger(opts = {}) {
  if (opts.log) return opts.log;
  if (opts.quiet) return () => {};
  return (msg) => console.log(`[infra] ${msg}`);
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function tail(file, lines = 30) {
  const text = readText(file);
  if (text === null) return `  (no ${file})`;
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `  | ${l}`)
    .join('\n');
}

function runCommand(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, output }));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Process identity

/** True if pid is a live (non-zombie) process running this service from this infra dir. */
function isOurs(pid, svc, L) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (!cmdline) return false; // gone, or a zombie (empty cmdline)
  const argv = cmdline.split('\0');
  return argv.includes(svc.mainClass) && argv.includes(`-Dtideline.infra.dir=${L.root}`);
}

/** The pid of our running server, from its pid file or, failing that, by scanning /proc. Repairs the pid file. */
function findPid(svc, L) {
  const pidFile = L.pidFile(svc.name);
  const recorded = Number.parseInt(readText(pidFile) ?? '', 10);
  if (isOurs(recorded, svc, L)) return recorded;
  let found = null;
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && isOurs(Number(entry), svc, L)) {
      found = Number(entry);
      break;
    }
  }
  if (found) {
    fs.mkdirSync(L.run, { recursive: true });
    fs.writeFileSync(pidFile, `${found}\n`);
  } else {
    fs.rmSync(pidFile, { force: true }); // stale: process dead or pid reused by something else
  }
  return found;
}

/**
 * Serialises mutating commands (up/start/stop/...) across processes: parallel test workers or two terminals calling
 * `up` must not spawn two servers. A lock whose holder is dead is taken over.
 */
async function withLock(L, fn) {
  const lockDir = path.join(L.run, 'lock');
  const owner = path.join(lockDir, 'owner');
  fs.mkdirSync(L.run, { recursive: true });
  const t0 = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(owner, `${process.pid}\n`);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readText(owner) ?? '', 10);
      const holderAlive = Number.isInteger(holder) && fs.existsSync(`/proc/${holder}`);
      // No owner file yet: the holder is between mkdir and writeFile; give it a moment before calling it stale.
      if (holder === process.pid || (!holderAlive && (Number.isInteger(holder) || Date.now() - t0 > 2000))) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - t0 > START_TIMEOUT_MS() + STOP_TIMEOUT_MS() + 300_000) {
        throw new Error(`timed out waiting for ${lockDir} (held by pid ${holder})`);
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Preparation: jars, configs, storage

/** Makes sure .infra/<svc>/lib holds the resolved jars of infra/<svc>/pom.xml; runs mvn only when it does not. */
async function ensureLib(svc, L, log) {
  const pom = path.join(TEMPLATE_DIR, svc.name, 'pom.xml');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  const lib = L.lib(svc.name);
  const marker = path.join(lib, '.complete');
  if (readText(marker)?.trim() === hash) return;

  const t0 = Date.now();
  log(`${svc.name}: resolving jars with mvn into ${path.relative(process.cwd(), lib) || lib} ...`);
  const partial = `${lib}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const java = javaBin();
  const args = [
    '-B',
    '-q',
    '-s',
    MAVEN_SETTINGS,
    '-f',
    pom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${partial}`,
  ];
  let result;
  try {
    // mvn itself runs on the same JDK 17 (JAVA_HOME), whatever `java` is first on PATH.
    result = await runCommand('mvn', args, {
      env: { ...process.env, JAVA_HOME: path.dirname(path.dirname(java)) },
    });
  } catch (err) {
    throw new Error(`cannot run mvn (${err.message}); install it with: apt-get install -y maven`);
  }
  const jars = fs.existsSync(partial) ? fs.readdirSync(partial) : [];
  if (result.code !== 0 || !jars.some((f) => svc.mainJar.test(f))) {
    throw new Error(`mvn failed to resolve ${svc.name} jars (exit ${result.code}):\n${result.output.trim()}`);
  }
  // Swap in the complete dir at once: a half-downloaded lib dir is never used, stale jars never linger.
  fs.rmSync(lib, { recursive: true, force: true });
  fs.renameSync(partial, lib);
  fs.writeFileSync(marker, `${hash}\n`);
  log(`${svc.name}: ${jars.length} jars ready (${elapsed(t0)})`);
}

/** Renders infra/<svc>/* templates into .infra/<svc>/conf with this checkout's absolute paths. */
function renderConfigs(svc, L) {
  const conf = L.conf(svc.name);
  fs.mkdirSync(conf, { recursive: true });
  const p = ports();
  for (const name of svc.templates) {
    let text = fs
      .readFileSync(path.join(TEMPLATE_DIR, svc.name, name), 'utf8')
      .replaceAll('@@VAR_DIR@@', L.var)
      .replaceAll('@@LOG_DIR@@', L.logs);
    for (const [from, to] of PORT_SUBSTITUTIONS[name]?.(p) ?? []) {
      if (!text.includes(from)) {
        throw new Error(`infra/${svc.name}/${name} no longer contains ${JSON.stringify(from)}; update infra.mjs`);
      }
      text = text.replaceAll(from, to);
    }
    const target = path.join(conf, name);
    if (readText(target) !== text) fs.writeFileSync(target, text);
  }
}

function prepareCassandraDirs(_svc, L) {
  for (const d of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) {
    fs.mkdirSync(path.join(L.var, 'cassandra', d), { recursive: true });
  }
  fs.mkdirSync(path.join(L.conf('cassandra'), 'triggers'), { recursive: true });
}

/** KRaft refuses to start on unformatted storage. Formatting is idempotent (--ignore-formatted), skipped if done. */
async function formatKafkaStorage(_svc, L, log) {
  const dataDir = path.join(L.var, 'kafka', 'data');
  if (fs.existsSync(path.join(dataDir, 'meta.properties'))) return;
  log('kafka: formatting storage (first boot)');
  const conf = L.conf('kafka');
  const result = await runCommand(
    javaBin(),
    [
      '-Xmx256m',
      ...commonJvmArgs(L, 'kafka-storage'),
      `-Dlog4j.configuration=file:${path.join(conf, 'log4j.properties')}`,
      '-cp',
      `${L.lib('kafka')}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      KAFKA_CLUSTER_ID,
      '--config',
      path.join(conf, 'server.properties'),
      '--ignore-formatted',
    ],
    { cwd: L.root },
  );
  if (result.code !== 0) {
    throw new Error(`kafka storage format failed (exit ${result.code}):\n${result.output.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness probes (plain TCP, no client libraries)

/** Sends `request` and feeds received bytes to `onData(buffer) -> result | undefined` until it returns a result. */
function exchange(host, port, timeoutMs, onConnect, onData) {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(value);
    };
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => finish({ ok: false, detail: 'timeout' }));
    socket.on('error', (err) => finish({ ok: false, detail: err.code || err.message }));
    socket.on('close', () => finish({ ok: false, detail: 'connection closed' }));
    socket.on('connect', () => onConnect(socket));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const result = onData(buf, socket);
        if (result) finish(result);
      } catch (err) {
        finish({ ok: false, detail: err.message });
      }
    });
  });
}

/**
 * CQL native protocol v4: OPTIONS -> SUPPORTED, STARTUP -> READY, QUERY on system.local -> RESULT.
 * Frame header: version(1) flags(1) stream(2) opcode(1) length(4).
 */
export function probeCql(host = HOST, port = 9042, timeoutMs = 2000) {
  const OP = { ERROR: 0x00, STARTUP: 0x01, READY: 0x02, OPTIONS: 0x05, SUPPORTED: 0x06, QUERY: 0x07, RESULT: 0x08 };
  const frame = (stream, opcode, body = Buffer.alloc(0)) => {
    const h = Buffer.alloc(9);
    h.writeUInt8(0x04, 0);
    h.writeUInt8(0, 1);
    h.writeInt16BE(stream, 2);
    h.writeUInt8(opcode, 4);
    h.writeInt32BE(body.length, 5);
    return Buffer.concat([h, body]);
  };
  const str = (s) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const startupBody = Buffer.concat([Buffer.from([0, 1]), str('CQL_VERSION'), str('3.0.0')]);
  const query = Buffer.from('SELECT release_version FROM system.local', 'utf8');
  const queryBody = Buffer.alloc(4 + query.length + 3);
  queryBody.writeInt32BE(query.length, 0);
  query.copy(queryBody, 4);
  queryBody.writeUInt16BE(0x0001, 4 + query.length); // consistency ONE
  queryBody.writeUInt8(0, 6 + query.length); // no query flags

  // Each step: the response opcode we expect, and the next request to send.
  const steps = [
    { expect: OP.SUPPORTED, next: () => frame(2, OP.STARTUP, startupBody) },
    { expect: OP.READY, next: () => frame(3, OP.QUERY, queryBody) },
    { expect: OP.RESULT, next: null },
  ];
  let offset = 0;
  return exchange(
    host,
    port,
    timeoutMs,
    (socket) => socket.write(frame(1, OP.OPTIONS)),
    (buf, socket) => {
      while (buf.length - offset >= 9) {
        const length = buf.readInt32BE(offset + 5);
        if (buf.length - offset < 9 + length) return undefined;
        const opcode = buf.readUInt8(offset + 4);
        const body = buf.subarray(offset + 9, offset + 9 + length);
        offset += 9 + length;
        const step = steps.shift();
        if (opcode === OP.ERROR) {
          return { ok: false, detail: `CQL error: ${body.subarray(6, 6 + body.readUInt16BE(4)).toString()}` };
        }
        if (opcode !== step.expect) return { ok: false, detail: `unexpected CQL opcode 0x${opcode.toString(16)}` };
        if (!step.next) return { ok: true, detail: 'CQL query answered' };
        socket.write(step.next());
      }
      return undefined;
    },
  );
}

/**
 * Kafka Metadata v4 (valid on 3.x and 4.x) with an empty topic list: the response lists the live, unfenced brokers;
 * at least one means the node can serve clients. Request header v1, response header v0.
 */
export function probeKafka(host = HOST, port = 9092, timeoutMs = 2000) {
  const clientId = Buffer.from('tideline-infra-probe');
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = req.writeInt32BE(req.length - 4, o); // size
  o = req.writeInt16BE(3, o); // api key: Metadata
  o = req.writeInt16BE(4, o); // api version
  o = req.writeInt32BE(42, o); // correlation id
  o = req.writeInt16BE(clientId.length, o);
  o += clientId.copy(req, o);
  o = req.writeInt32BE(0, o); // topics: empty array -> no topic metadata, brokers only
  req.writeInt8(0, o); // allow_auto_topic_creation = false
  return exchange(
    host,
    port,
    timeoutMs,
    (socket) => socket.write(req),
    (buf) => {
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return undefined;
      if (buf.readInt32BE(4) !== 42) return { ok: false, detail: 'bad correlation id' };
      const brokers = buf.readInt32BE(12); // after size, correlation id, throttle_time_ms
      return brokers > 0
        ? { ok: true, detail: `${brokers} broker(s) in metadata` }
        : { ok: false, detail: 'no live broker in metadata yet' };
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle of one service

function spawnServer(svc, L) {
  fs.mkdirSync(L.logs, { recursive: true });
  fs.mkdirSync(L.run, { recursive: true });
  fs.mkdirSync(L.tmp, { recursive: true });
  const outFile = path.join(L.logs, `${svc.name}.out`);
  const out = fs.openSync(outFile, 'a');
  fs.writeSync(out, `\n===== ${new Date().toISOString()} starting ${svc.name} =====\n`);
  const child = spawn(javaBin(), svc.jvmArgs(L), {
    cwd: L.root,
    detached: true, // own process group: survives us, and terminal signals do not reach it
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  child.on('error', () => {}); // a failed exec shows up as "exited during startup" below
  child.unref();
  fs.writeFileSync(L.pidFile(svc.name), `${child.pid}\n`);
  return child.pid;
}

/** Polls the protocol probe until it succeeds; fails fast if the process dies. t0 = when the server was spawned. */
async function waitReady(svc, pid, L, t0, log) {
  const deadline = t0 + START_TIMEOUT_MS();
  const logs = () =>
    [path.join(L.logs, `${svc.name}.out`), path.join(L.logs, svc.serverLog)]
      .map((f) => `--- tail of ${f}:\n${tail(f)}`)
      .join('\n');
  let last = { ok: false, detail: 'not probed yet' };
  for (;;) {
    if (pid !== null && !isOurs(pid, svc, L)) {
      fs.rmSync(L.pidFile(svc.name), { force: true });
      throw new Error(`${svc.name} exited during startup after ${elapsed(t0)}\n${logs()}`);
    }
    last = await svc.probe(2000);
    if (last.ok) {
      log(`${svc.name}: ready on ${HOST}:${svc.port} (${elapsed(t0)})`);
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${svc.name} not ready on ${HOST}:${svc.port} after ${elapsed(t0)} (last probe: ${last.detail})\n${logs()}`,
      );
    }
    await sleep(300);
  }
}

/**
 * Starts one service unless it runs already, without waiting. Returns the pid to wait for, or null when the port is
 * served by a process that is not ours (another checkout's infra, say), which is then used as is.
 */
async function launch(svc, L, log) {
  const pid = findPid(svc, L);
  if (pid) {
    log(`${svc.name}: already running (pid ${pid})`);
    return { pid, started: false, since: Date.now() };
  }
  const probe = await svc.probe(2000);
  if (probe.ok) {
    log(`${svc.name}: ${HOST}:${svc.port} is served by a process not managed from ${L.root}; using it as is`);
    return { pid: null, started: false, since: Date.now() };
  }
  if (probe.detail !== 'ECONNREFUSED') {
    log(`${svc.name}: warning: ${HOST}:${svc.port} answers but not as expected (${probe.detail})`);
  }
  await ensureLib(svc, L, log);
  renderConfigs(svc, L);
  await svc.prepare(svc, L, log);
  const since = Date.now();
  const newPid = spawnServer(svc, L);
  log(`${svc.name}: starting (pid ${newPid}, log ${path.join(L.logs, svc.serverLog)})`);
  return { pid: newPid, started: true, since };
}

async function terminate(svc, L, signal, log) {
  const pid = findPid(svc, L);
  if (!pid) {
    log(`${svc.name}: not running`);
    return false;
  }
  const t0 = Date.now();
  log(`${svc.name}: ${signal === 'SIGKILL' ? 'killing' : 'stopping'} pid ${pid}`);
  const send = (sig) => {
    try {
      process.kill(pid, sig);
    } catch (err) {
      if (err.code !== 'ESRCH') throw err;
    }
  };
  send(signal);
  const deadline = t0 + (signal === 'SIGKILL' ? 10_000 : STOP_TIMEOUT_MS());
  let escalated = signal === 'SIGKILL';
  while (isOurs(pid, svc, L)) {
    if (Date.now() > deadline) {
      if (escalated) throw new Error(`${svc.name}: pid ${pid} did not exit after SIGKILL`);
      log(`${svc.name}: still running after ${elapsed(t0)}, sending SIGKILL`);
      send('SIGKILL');
      escalated = true;
    }
    await sleep(100);
  }
  fs.rmSync(L.pidFile(svc.name), { force: true });
  log(`${svc.name}: stopped (${elapsed(t0)})`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/**
 * Starts whatever is not running (Kafka first, then Cassandra) and resolves once both answer their protocol.
 * Returns { started: [names of the services this call started] }.
 */
export async function up(opts = {}) {
  const log = defaultLogger(opts);
  const L = layout();
  return withLock(L, async () => {
    const t0 = Date.now();
    const started = [];
    const ready = [];
    // Launch in order, and start watching each service as soon as it is spawned: Kafka boots while Cassandra's
    // jars are still being resolved (first run) and while Cassandra itself boots.
    for (const name of ORDER) {
      const svc = SERVICES[name];
      const launched = await launch(svc, L, log);
      if (launched.started) started.push(name);
      const watching = waitReady(svc, launched.pid, L, launched.since, launched.started ? log : () => {});
      watching.catch(() => {}); // rejection is reported by Promise.all below; avoid an early unhandled rejection
      ready.push(watching);
    }
    await Promise.all(ready);
    log(started.length ? `up: ready (${elapsed(t0)})` : 'up: already up');
    return { started };
  });
}

/** Stops both services (SIGTERM, SIGKILL after INFRA_STOP_TIMEOUT_S). Idempotent. */
export async function down(opts = {}) {
  const log = defaultLogger(opts);
  const L = layout();
  return withLock(L, async () => {
    await Promise.all([...ORDER].reverse().map((name) => terminate(SERVICES[name], L, 'SIGTERM', log)));
  });
}

/** Starts one service ("cassandra" or "kafka") and waits until it answers. Data is kept from the last run. */
export async function start(name, opts = {}) {
  const svc = service(name);
  const log = defaultLogger(opts);
  const L = layout();
  return withLock(L, async () => {
    const { pid, started, since } = await launch(svc, L, log);
    await waitReady(svc, pid, L, since, started ? log : () => {});
    return { started: started ? [svc.name] : [] };
  });
}

/** Gracefully stops one service (SIGTERM, then SIGKILL after the deadline). Idempotent. */
export async function stop(name, opts = {}) {
  const svc = service(name);
  const L = layout();
  return withLock(L, () => terminate(svc, L, 'SIGTERM', defaultLogger(opts)));
}

/** SIGKILLs one service (crash simulation). Idempotent. */
export async function kill(name, opts = {}) {
  const svc = service(name);
  const L = layout();
  return withLock(L, () => terminate(svc, L, 'SIGKILL', defaultLogger(opts)));
}

/** down, then delete all data (var/) and scratch files; jars, configs and logs stay. */
export async function reset(opts = {}) {
  const log = defaultLogger(opts);
  await down(opts);
  const L = layout();
  await withLock(L, async () => {
    fs.rmSync(L.var, { recursive: true, force: true });
    fs.rmSync(L.tmp, { recursive: true, force: true });
    log(`reset: deleted ${L.var}`);
  });
}

/**
 * State of each service: { name, running (our process is alive), pid, address, answering (protocol probe ok), detail }.
 */
export async function status() {
  const L = layout();
  return Promise.all(
    ORDER.map(async (name) => {
      const svc = SERVICES[name];
      const pid = findPid(svc, L);
      const probe = await svc.probe(2000);
      return {
        name,
        running: pid !== null,
        pid,
        address: `${HOST}:${svc.port}`,
        answering: probe.ok,
        detail: probe.detail,
      };
    }),
  );
}

/**
 * Building blocks for scripts/cluster.mjs (the 3-node test clusters), which lays out one directory per node itself:
 * `L` is a layout like layout()'s ({ root, logs, var, tmp, lib(svc), conf(svc) }), `heap` replaces the heap options.
 */
export function serverJvmArgs(name, L, heap) {
  return service(name).jvmArgs(L, heap);
}

/** Resolves the service's jars into L.lib(name) (mvn, skipped when the POM hash marker matches). */
export function ensureJars(name, L, log = () => {}) {
  return ensureLib(service(name), L, log);
}

/** The main class that identifies a service's JVM in /proc/<pid>/cmdline. */
export function mainClassOf(name) {
  return service(name).mainClass;
}

export { commonJvmArgs, javaBin };

// ---------------------------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: node scripts/infra.mjs <command>
  up                         start Kafka and Cassandra (fetching jars on first use); wait until both answer
  down                       stop both (SIGTERM, SIGKILL after ${STOP_TIMEOUT_MS() / 1000} s)
  status [--json]            show each service's state
  start <cassandra|kafka>    start one service and wait until it answers
  stop  <cassandra|kafka>    stop one service gracefully
  kill  <cassandra|kafka>    SIGKILL one service
  reset                      down, then delete all data (keeps jars)
env: TIDELINE_INFRA_DIR (default <repo>/.infra), INFRA_CASSANDRA_HEAP, INFRA_KAFKA_HEAP ("1G" or "-Xms.. -Xmx.."),
     INFRA_START_TIMEOUT_S (180), INFRA_STOP_TIMEOUT_S (60), INFRA_JAVA (${DEFAULT_JAVA}),
     INFRA_CQL_PORT (9042), INFRA_CASSANDRA_STORAGE_PORT (7000), INFRA_KAFKA_PORT (9092),
     INFRA_KAFKA_CONTROLLER_PORT (9093)`;

async function main(argv) {
  const [command, ...rest] = argv;
  const one = () => {
    if (rest.length !== 1) throw Object.assign(new Error(`${command} needs one of: ${ORDER.join(', ')}`), { usage: true });
    return rest[0];
  };
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'start':
      await start(one());
      return 0;
    case 'stop':
      await stop(one());
      return 0;
    case 'kill':
      await kill(one());
      return 0;
    case 'reset':
      await reset();
      return 0;
    case 'status': {
      const states = await status();
      if (rest.includes('--json')) {
        console.log(JSON.stringify(states, null, 2));
      } else {
        for (const s of states) {
          console.log(
            [
              s.name.padEnd(10),
              (s.running ? 'running' : 'stopped').padEnd(8),
              (s.pid ? `pid ${s.pid}` : '-').padEnd(11),
              s.address.padEnd(15),
              s.answering ? `answering (${s.detail})` : `not answering (${s.detail})`,
            ].join(' '),
          );
        }
      }
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command: ${command}\n${USAGE}`);
      return 2;
  }
}

/**
 * Runs `main(argv)` when `scriptPath` is the script node was started with (not when it is imported), and exits with
 * its code: 1 on an error, 2 (with the usage) on a usage error. Shared by infra.mjs and cluster.mjs.
 */
export function runWhenInvoked(scriptPath, main, tag, usage) {
  let invoked = false;
  try {
    invoked = process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(scriptPath);
  } catch {
    invoked = false;
  }
  if (!invoked) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[${tag}] error: ${err.message}`);
      if (err.usage) console.error(usage);
      process.exit(err.usage ? 2 : 1);
    },
  );
}

runWhenInvoked(SCRIPT_PATH, main, 'infra', USAGE);
