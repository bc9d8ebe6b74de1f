import { spawn, spawnSync } from 'node:child_process';
import { KAFKA_BROKERS } from './faults';

/**
 * kcat (librdkafka): an independent Kafka client, so that compressed batches in tests are written by another
 * implementation of the codecs than the one under test. `.ci/run` installs it (Debian package `kcat`).
 */
export type KcatCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Fails with a clear message when kcat is not installed (never skips). */
export function requireKcat(): string {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('kcat is required by this test (an independent Kafka client for compressed records) but is not installed: apt-get install -y kcat (.ci/run does this)');
  }
  return (r.stdout.split('\n')[0] ?? '').trim();
}

export interface KcatRecord {
  readonly key: string;
  /** One line of text: no newline and no tab (the record and key delimiters). */
  readonly value: string;
}

/**
 * Produces `records` in order with kcat to one partition, compressed with `codec`, acks=all. librdkafka batches
 * the records it reads at once (linger 100 ms), so they share compressed batches. `extra` = more `-X` settings.
 */
export async function kcatProduce(topic: string, partition: number, codec: KcatCodec, records: readonly KcatRecord[], extra: Record<string, string> = {}): Promise<void> {
  for (const r of records) {
    if (/[\t\n]/.test(r.key) || /[\t\n]/.test(r.value)) throw new Error('kcat records must not contain tabs or newlines');
  }
  const settings = { 'acks': 'all', 'linger.ms': '100', ...extra };
  const args = ['-P', '-b', KAFKA_BROKERS, '-t', topic, '-p', String(partition), '-z', codec, '-K', '\t', ...Object.entries(settings).flatMap(([k, v]) => ['-X', `${k}=${v}`])];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && !/error|failed/i.test(err) ? resolve() : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`))));
    child.stdin.end(records.map((r) => `${r.key}\t${r.value}`).join('\n') + '\n');
  });
}

/** Reads `count` records of one partition from the beginning with kcat; returns their values. */
export async function kcatConsume(topic: string, partition: number, count: number, timeoutMs = 30_000): Promise<string[]> {
  const args = ['-C', '-b', KAFKA_BROKERS, '-t', topic, '-p', String(partition), '-o', 'beginning', '-c', String(count), '-e', '-q', '-f', '%s\n'];
  return new Promise<string[]>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter((l) => l.length > 0));
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}
