import { runCli } from '../src/cli';
import { matches, NewestN, parseRef } from '../src/commands/dlq-records';
import { sameReplication } from '../src/commands/doctor';
import { CliIo } from '../src/io';
import { renderBar } from '../src/progress';
import { parseDeadLetter } from '@app/messaging-kafka';
import { KafkaMessage } from 'kafkajs';

function capture(env: Record<string, string> = {}, tty = false): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (t) => (out += t), stderr: (t) => (err += t), stderrIsTTY: tty, env, out: () => out, err: () => err };
}

describe('tideline CLI (no servers)', () => {
  it('prints help for the program and every command, exit 0', async () => {
    for (const argv of [['--help'], ['doctor', '--help'], ['dlq', '--help'], ['dlq', 'list', '--help'], ['dlq', 'show', '--help'], ['dlq', 'redrive', '--help'], ['rebuild', '--help'], ['promote', '--help'], ['demote', '--help'], ['replay', '--help']]) {
      const io = capture();
      expect(await runCli(argv, io)).toBe(0);
      expect(io.out()).toContain('Usage: tideline');
    }
  });

  it('answers usage errors with exit 2 and a message', async () => {
    for (const argv of [['nope'], ['dlq', 'show'], ['dlq', 'show', 'zero:1'], ['dlq', 'list', '--limit', '0'], ['dlq', 'list', '--since', 'yesterday'], ['replay'], ['replay', '--to-time', '2026-12-01T00:00:00Z', '--to-offset', '3'], ['dlq', 'redrive'], ['rebuild', 'not a user!'], ['promote', 'not a user!'], ['demote', 'not a user!'], ['demote']]) {
      const io = capture();
      expect({ argv, code: await runCli(argv, io) }).toEqual({ argv, code: 2 });
      expect(io.err().length).toBeGreaterThan(0);
    }
  });

  it('answers a usage error with a JSON error document under --json', async () => {
    const io = capture();
    expect(await runCli(['dlq', 'show', 'x', '--json'], io)).toBe(2);
    expect(JSON.parse(io.out())).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('<partition>:<offset>') } });
  });

  it('doctor fails the config check with the variable named, one JSON document, exit 1', async () => {
    const io = capture({ CASSANDRA_REPLICATION: 'bad' });
    expect(await runCli(['doctor', '--json'], io)).toBe(1);
    const doc = JSON.parse(io.out()) as { verdict: string; checks: { name: string; verdict: string; detail: string }[] };
    expect(doc.verdict).toBe('fail');
    expect(doc.checks).toEqual([expect.objectContaining({ name: 'config', verdict: 'fail', detail: expect.stringContaining('CASSANDRA_REPLICATION') })]);
  });

  it('a command that cannot load the config fails with a JSON error document under --json', async () => {
    const io = capture({ KAFKA_PARTITIONS: '-1' });
    expect(await runCli(['dlq', 'list', '--json'], io)).toBe(1);
    expect(JSON.parse(io.out())).toEqual({ error: { code: 'INVALID_CONFIG', message: expect.stringContaining('KAFKA_PARTITIONS') } });
    expect(io.err()).toContain('tideline: Invalid configuration');
  });
});

describe('pieces', () => {
  it('renders a progress bar', () => {
    expect(renderBar('x', 5, 10, 10)).toBe('x [#####.....]  50% 5/10');
    expect(renderBar('x', 3, 0)).toBe('x 3');
    expect(renderBar('x', 20, 10, 4)).toBe('x [####] 100% 20/10');
  });

  it('parses dead-letter positions', () => {
    expect(parseRef('2:0042')).toEqual({ partition: 2, offset: '42' });
    expect(() => parseRef('2')).toThrow('<partition>:<offset>');
    expect(() => parseRef('-1:3')).toThrow();
  });

  it('filters dead letters by code, time and key', () => {
    const d = parseDeadLetter(0, { key: Buffer.from('bob'), value: null, offset: '1', timestamp: '1000', headers: { 'error-code': 'NOT_JSON' }, attributes: 0, size: 0 } as unknown as KafkaMessage);
    expect(matches(d, {})).toBe(true);
    expect(matches(d, { code: 'NOT_JSON', sinceMs: 1000, key: 'bob' })).toBe(true);
    expect(matches(d, { code: 'INVALID_RECORD' })).toBe(false);
    expect(matches(d, { sinceMs: 1001 })).toBe(false);
    expect(matches(d, { key: 'alice' })).toBe(false);
  });

  it('keeps only the newest N dead letters, without their values', () => {
    const at = (ms: number, offset: string): ReturnType<typeof parseDeadLetter> =>
      parseDeadLetter(0, { key: null, value: Buffer.from('abc'), offset, timestamp: String(ms), headers: {}, attributes: 0, size: 0 } as unknown as KafkaMessage);
    const n = new NewestN(2);
    for (const [ms, o] of [[5, '1'], [1, '2'], [9, '3'], [7, '4'], [2, '5']] as const) n.add(at(ms, o));
    expect(n.sorted().map((x) => [x.d.timestampMs, x.d.offset, x.d.value, x.valueBytes])).toEqual([[7, '4', null, 3], [9, '3', null, 3]]);
  });

  it('compares keyspace replication with CASSANDRA_REPLICATION', () => {
    expect(sameReplication({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' }, { class: 'SimpleStrategy', replication_factor: 1 })).toBe(true);
    expect(sameReplication({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' }, { class: 'SimpleStrategy', replication_factor: 1 })).toBe(false);
    expect(sameReplication({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3' }, { class: 'NetworkTopologyStrategy', dc1: 3 })).toBe(true);
  });
});
