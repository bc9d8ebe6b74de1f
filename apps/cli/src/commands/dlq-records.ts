import { InvalidArgumentError } from 'commander';
import { DeadLetter } from '@app/messaging-kafka';

/** A dead letter's position: `<partition>:<offset>` in the dead-letter topic. */
export interface DlqRef {
  readonly partition: number;
  readonly offset: string;
}

export function parseRef(text: string): DlqRef {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not <partition>:<offset> (e.g. 0:42)`);
  return { partition: Number(m[1]), offset: String(BigInt(m[2] as string)) };
}

export interface DlqFilter {
  readonly code?: string;
  readonly sinceMs?: number;
  readonly key?: string;
}

export const matches = (d: DeadLetter, f: DlqFilter): boolean =>
  (f.code === undefined || d.code === f.code) && (f.sinceMs === undefined || d.timestampMs >= f.sinceMs) && (f.key === undefined || d.key?.toString('utf8') === f.key);

export const refText = (d: { partition: number; offset: string }): string => `${d.partition}:${d.offset}`;

/** The JSON form of a dead letter; `withValue` adds the value (UTF-8 text when it is valid UTF-8, base64 otherwise). */
export function deadLetterJson(d: DeadLetter, withValue = false, valueBytes = 0): Record<string, unknown> {
  const value = d.value;
  const text = value === null ? null : value.toString('utf8');
  const utf8 = text !== null && value !== null && Buffer.from(text, 'utf8').equals(value);
  return {
    ref: refText(d),
    partition: d.partition,
    offset: d.offset,
    deadLetteredAt: new Date(d.timestampMs).toISOString(),
    key: d.key?.toString('utf8') ?? null,
    code: d.code,
    message: d.message,
    source: { topic: d.sourceTopic, partition: d.sourcePartition, offset: d.sourceOffset },
    valueBytes: value?.length ?? valueBytes,
    originalSize: d.originalSize,
    ...(withValue ? (value === null ? { value: null } : utf8 ? { value: text } : { valueBase64: value.toString('base64') }) : {}),
  };
}

export const oneLine = (s: string, max = 80): string => {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export const byTime = (a: DeadLetter, b: DeadLetter): number => a.timestampMs - b.timestampMs || a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : BigInt(a.offset) > BigInt(b.offset) ? 1 : 0);

/** A dead letter kept for listing: without its value (only its size), so that memory stays O(limit). */
export interface Listed {
  readonly d: DeadLetter;
  readonly valueBytes: number;
}

/** The newest `limit` dead letters seen, without keeping the others. */
export class NewestN {
  private readonly items: Listed[] = [];

  constructor(private readonly limit: number) {}

  add(d: DeadLetter): void {
    const item: Listed = { d: { ...d, value: null }, valueBytes: d.value?.length ?? 0 };
    if (this.items.length < this.limit) {
      this.items.push(item);
      return;
    }
    let oldest = 0;
    this.items.forEach((x, j) => {
      if (byTime(x.d, (this.items[oldest] as Listed).d) < 0) oldest = j;
    });
    if (byTime(item.d, (this.items[oldest] as Listed).d) > 0) this.items[oldest] = item;
  }

  sorted(): Listed[] {
    return [...this.items].sort((a, b) => byTime(a.d, b.d));
  }
}
