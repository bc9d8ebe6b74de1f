import { Command } from 'commander';
import { AppConfig } from '@app/config';
import { withTimeout } from '@app/feeds';
import { createKafka, describeGroup, topicSpecs } from '@app/messaging-kafka';
import { createCassandraClient, schemaStatus } from '@app/storage-cassandra';
import { Client } from 'cassandra-driver';
import { Admin } from 'kafkajs';
import { CliContext } from '../context';
import { ActionFactory, CommandResult, errorText, table } from '../io';

export type Verdict = 'ok' | 'warn' | 'fail';
export interface Check {
  readonly name: string;
  readonly verdict: Verdict;
  readonly detail: string;
  readonly data?: Record<string, unknown>;
}

const STEP_TIMEOUT_MS = 10_000;
const step = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, STEP_TIMEOUT_MS, () => new Error(`${what} did not answer within ${STEP_TIMEOUT_MS} ms`));

/** `org.apache.cassandra.locator.SimpleStrategy` and `SimpleStrategy` are the same class; values compare as text. */
export function sameReplication(actual: Record<string, string>, wanted: Record<string, string | number>): boolean {
  const norm = (r: Record<string, string | number>): string =>
    JSON.stringify(
      Object.entries(r)
        .map(([k, v]) => [k, k === 'class' ? String(v).replace(/^.*\./, '') : String(v)])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  return norm(actual) === norm(wanted);
}

const replicationText = (r: Record<string, string | number>): string =>
  Object.entries(r)
    .map(([k, v]) => (k === 'class' ? String(v).replace(/^.*\./, '') : `${k}=${v}`))
    .join(' ');

async function cassandraChecks(cfg: AppConfig, checks: Check[]): Promise<void> {
  const { contactPoints, localDc } = cfg.cassandra;
  const client: Client = createCassandraClient(cfg.cassandra, { keyspace: null });
  try {
    try {
      await step(client.connect(), 'Cassandra');
      const rs = await step(client.execute('SELECT release_version FROM system.local', [], { prepare: false }), 'Cassandra');
      const hosts = [...client.hosts.values()];
      const local = hosts.filter((h) => h.datacenter === localDc);
      const version = String(rs.first()?.get('release_version') ?? '?');
      checks.push({
        name: 'cassandra',
        verdict: local.length > 0 ? 'ok' : 'fail',
        detail: local.length > 0 ? `${contactPoints.join(',')}: Cassandra ${version}, ${local.length} node(s) in ${localDc}` : `no node in data centre ${localDc} (CASSANDRA_LOCAL_DC)`,
        data: { contactPoints, version, localDc, nodes: hosts.length, localNodes: local.length },
      });
    } catch (e) {
      checks.push({ name: 'cassandra', verdict: 'fail', detail: `${contactPoints.join(',')}: ${errorText(e)}` });
      return;
    }
    const s = await step(schemaStatus(client, cfg), 'Cassandra');
    if (!s.keyspaceExists) {
      checks.push({ name: 'keyspace', verdict: 'fail', detail: `keyspace ${s.keyspace} does not exist: run npm run db:migrate (or start a process with MIGRATE_ON_START=true)` });
      return;
    }
    const wanted = cfg.cassandra.replication;
    const actual = s.replication ?? {};
    const rf = Math.max(0, ...Object.entries(actual).filter(([k]) => k !== 'class').map(([, v]) => Number(v) || 0));
    const nodes = [...client.hosts.values()].filter((h) => h.datacenter === cfg.cassandra.localDc).length;
    const same = sameReplication(actual, wanted);
    checks.push({
      name: 'keyspace',
      verdict: same && rf <= nodes ? 'ok' : 'warn',
      detail: !same
        ? `${s.keyspace}: replication is ${replicationText(actual)} but CASSANDRA_REPLICATION says ${replicationText(wanted)} (ALTER KEYSPACE, then nodetool repair)`
        : rf > nodes
          ? `${s.keyspace}: replication factor ${rf} but only ${nodes} node(s): LOCAL_QUORUM needs ${Math.floor(rf / 2) + 1}`
          : `${s.keyspace}: ${replicationText(actual)}`,
      data: { keyspace: s.keyspace, replication: actual, configured: wanted },
    });
    const latest = s.applied.length > 0 ? Math.max(...s.applied.map((a) => a.version)) : null;
    const mismatched = s.applied.filter((a) => a.checksumMismatch);
    const names = (xs: readonly { version: number; name: string }[]): string => xs.map((x) => `${String(x.version).padStart(3, '0')}_${x.name}`).join(', ');
    checks.push({
      name: 'schema',
      verdict: s.pending.length > 0 ? 'fail' : mismatched.length > 0 || s.unknown.length > 0 ? 'warn' : 'ok',
      detail:
        s.pending.length > 0
          ? `not applied: ${names(s.pending)} (run npm run db:migrate, or start a process with MIGRATE_ON_START=true)`
          : mismatched.length > 0
            ? `version ${latest}; changed since applied (not re-applied): ${names(mismatched)}`
            : s.unknown.length > 0
              ? `version ${latest}, and versions ${s.unknown.join(', ')} from a newer release`
              : `version ${latest} (${s.applied.length} migrations applied)`,
      data: { version: latest, applied: s.applied, pending: s.pending, unknown: s.unknown },
    });
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

async function kafkaChecks(cfg: AppConfig, checks: Check[]): Promise<void> {
  const { brokers, replicationFactor } = cfg.kafka;
  const admin: Admin = createKafka(cfg, 'cli-doctor', 'fail-fast').admin();
  try {
    let brokerCount: number;
    try {
      await step(admin.connect(), 'Kafka');
      const cluster = await step(admin.describeCluster(), 'Kafka');
      brokerCount = cluster.brokers.length;
      const enough = replicationFactor <= brokerCount;
      checks.push({
        name: 'kafka',
        verdict: enough ? 'ok' : 'fail',
        detail: enough
          ? `${brokers.join(',')}: ${brokerCount} broker(s), controller ${cluster.controller ?? '?'}`
          : `${brokerCount} broker(s) but KAFKA_REPLICATION_FACTOR=${replicationFactor}: new topics cannot be created`,
        data: { brokers: cluster.brokers.map((b) => `${b.host}:${b.port}`), controller: cluster.controller, clusterId: cluster.clusterId },
      });
    } catch (e) {
      checks.push({ name: 'kafka', verdict: 'fail', detail: `${brokers.join(',')}: ${errorText(e)}` });
      return;
    }
    const partitionsOf = await topicChecks(admin, cfg, checks);
    checks.push(await groupCheck(admin, cfg, partitionsOf));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Each topic: present, partitions vs KAFKA_PARTITIONS, replication vs KAFKA_REPLICATION_FACTOR, in-sync replicas. */
async function topicChecks(admin: Admin, cfg: AppConfig, checks: Check[]): Promise<Map<string, number>> {
  const { replicationFactor } = cfg.kafka;
  const specs = topicSpecs(cfg);
  const existing = new Set(await step(admin.listTopics(), 'Kafka'));
  const present = specs.filter((t) => existing.has(t.topic)).map((t) => t.topic);
  const meta = present.length > 0 ? await step(admin.fetchTopicMetadata({ topics: present }), 'Kafka') : { topics: [] };
  const partitionsOf = new Map<string, number>();
  for (const spec of specs) {
    const m = meta.topics.find((t) => t.name === spec.topic);
    if (!m) {
      checks.push({ name: `topic ${spec.topic}`, verdict: 'warn', detail: 'missing: the API and workers create it at start (a worker refuses to start without it)', data: { topic: spec.topic, exists: false } });
      continue;
    }
    const partitions = m.partitions.length;
    partitionsOf.set(spec.topic, partitions);
    const rfs = [...new Set(m.partitions.map((p) => p.replicas.length))];
    const underReplicated = m.partitions.filter((p) => p.isr.length < p.replicas.length).length;
    const problems: string[] = [];
    if (spec.numPartitions !== undefined && partitions < spec.numPartitions) problems.push(`fewer partitions than the ${spec.numPartitions} it would be created with (KAFKA_PARTITIONS)`);
    if (rfs.some((r) => r !== replicationFactor)) problems.push(`replication factor ${rfs.join('/')} but KAFKA_REPLICATION_FACTOR=${replicationFactor}`);
    if (underReplicated > 0) problems.push(`${underReplicated} under-replicated partition(s)`);
    checks.push({
      name: `topic ${spec.topic}`,
      verdict: problems.length > 0 ? 'warn' : 'ok',
      detail: `${partitions} partitions, replication factor ${rfs.join('/')}${problems.length > 0 ? `: ${problems.join('; ')}` : ''}`,
      data: { topic: spec.topic, exists: true, partitions, replicationFactor: rfs.length === 1 ? rfs[0] : rfs, underReplicated },
    });
  }
  return partitionsOf;
}

/** The workers' group: members vs the partitions of the topics they consume (extra members sit idle). */
async function groupCheck(admin: Admin, cfg: AppConfig, partitionsOf: ReadonlyMap<string, number>): Promise<Check> {
  const { groupId } = cfg.kafka;
  try {
    const g = await step(describeGroup(admin, groupId), 'Kafka');
    const members = g.members.length;
    const consumed = [cfg.kafka.topics.activities, cfg.kafka.topics.follows, cfg.kafka.topics.fanout];
    const idle = consumed.filter((t) => (partitionsOf.get(t) ?? Infinity) < members).map((t) => `${t} has ${partitionsOf.get(t)} partitions`);
    return {
      name: 'workers',
      verdict: members === 0 || idle.length > 0 ? 'warn' : 'ok',
      detail:
        members === 0
          ? `group ${groupId}: no worker is running (state ${g.state})`
          : idle.length > 0
            ? `group ${groupId}: ${members} members, more than partitions (${idle.join(', ')}): the extra workers sit idle`
            : `group ${groupId}: ${members} member(s), state ${g.state}`,
      data: { groupId, state: g.state, members: g.members },
    };
  } catch (e) {
    return { name: 'workers', verdict: 'warn', detail: `group ${groupId}: cannot describe it: ${errorText(e)}` };
  }
}

export async function doctor(ctx: CliContext): Promise<CommandResult> {
  const checks: Check[] = [];
  let cfg: AppConfig | null = null;
  try {
    cfg = ctx.cfg;
    checks.push({
      name: 'config',
      verdict: 'ok',
      detail: `brokers ${cfg.kafka.brokers.join(',')}, Cassandra ${cfg.cassandra.contactPoints.join(',')}, keyspace ${cfg.cassandra.keyspace}, group ${cfg.kafka.groupId}`,
    });
  } catch (e) {
    checks.push({ name: 'config', verdict: 'fail', detail: errorText(e) });
  }
  if (cfg) {
    const progress = ctx.progress('doctor');
    progress.update(0, 2);
    await Promise.all([cassandraChecks(cfg, checks), kafkaChecks(cfg, checks)]);
    progress.stop();
  }
  const order = ['config', 'cassandra', 'keyspace', 'schema', 'kafka'];
  const rank = (c: Check): number => (order.includes(c.name) ? order.indexOf(c.name) : order.length);
  checks.sort((a, b) => rank(a) - rank(b));
  const failed = checks.filter((c) => c.verdict === 'fail').length;
  const warned = checks.filter((c) => c.verdict === 'warn').length;
  const verdict: Verdict = failed > 0 ? 'fail' : warned > 0 ? 'warn' : 'ok';
  return {
    json: { verdict, checks },
    human: [...table(checks.map((c) => [c.verdict, c.name, c.detail])), '', `${verdict}: ${checks.length} checks, ${failed} failed, ${warned} warnings`],
    exitCode: failed > 0 ? 1 : 0,
  };
}

export function registerDoctor(program: Command, action: ActionFactory<CliContext>): void {
  program
    .command('doctor')
    .description('check the configuration, Cassandra (keyspace, schema version), Kafka (topics, partitions, replication) and the worker group; exit 1 on any failed check')
    .option('--json', 'one JSON document on stdout')
    .action(action((ctx) => doctor(ctx)));
}
