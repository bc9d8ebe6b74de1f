import { Logger } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { StoreUnavailableError, withTimeout } from '@app/feeds';

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/**
 * A consumer group's lag on `topics`: per partition, the high watermark minus the group's committed
 * offset; a partition the group never committed counts from the earliest retained offset (high - low).
 * Never negative. Ordered by topic (as given), then partition.
 */
export async function measureConsumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const out: PartitionLag[] = [];
  for (const { topic, partitions } of committed) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of [...ends].sort((a, b) => a.partition - b.partition)) {
      const c = partitions.find((p) => p.partition === end.partition);
      const from = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(end.low);
      out.push({ topic, partition: end.partition, lag: Math.max(0, Number(end.high) - from) });
    }
  }
  return out;
}

export interface LagSink {
  lag(topic: string, partition: number, lag: number): void;
}

/**
 * Periodically sets lag = (topic end offset) - (group committed offset) per partition. A partition the
 * group never committed counts from the earliest retained offset. Errors are logged and the next tick
 * tries again; the monitor never throws into the process.
 */
export class ConsumerLagMonitor {
  private readonly log = new Logger(ConsumerLagMonitor.name);
  private admin: Admin | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topics: readonly string[],
    private readonly sink: LagSink,
    private readonly intervalMs = 15_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  /** One measurement (exposed for tests). */
  async tick(): Promise<void> {
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      for (const p of await measureConsumerLag(this.admin, this.groupId, this.topics)) this.sink.lag(p.topic, p.partition, p.lag);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, groupId: this.groupId }, 'consumer lag not measured');
      const admin = this.admin;
      this.admin = null;
      await admin?.disconnect().catch(() => undefined);
    }
  }
}

/**
 * On-demand lag reads (the API's ops overview), bounded by `timeoutMs`: a slow or unreachable Kafka is a
 * StoreUnavailableError (503), never a hang. Keeps one admin connection; after a failure it is dropped and
 * the next read reconnects. Reads never overlap on the admin: a read waits for the one in flight.
 */
export class ConsumerLagReader {
  private admin: Admin | null = null;
  private inFlight: Promise<PartitionLag[]> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topics: readonly string[],
    private readonly timeoutMs = 2_000,
  ) {}

  /** Concurrent callers share one measurement. */
  read(): Promise<PartitionLag[]> {
    this.inFlight ??= this.measure().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async measure(): Promise<PartitionLag[]> {
    let abandoned = false;
    const work = (async () => {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        // A connection that completes after the timeout is not kept (nobody would close it).
        if (abandoned) {
          await admin.disconnect().catch(() => undefined);
          throw new Error('abandoned');
        }
        this.admin = admin;
      }
      return measureConsumerLag(this.admin, this.groupId, this.topics);
    })();
    try {
      return await withTimeout(work, this.timeoutMs, () => new Error(`consumer lag not measured within ${this.timeoutMs} ms`));
    } catch (e) {
      abandoned = true;
      const admin = this.admin;
      this.admin = null;
      void admin?.disconnect().catch(() => undefined);
      throw new StoreUnavailableError('kafka', (e as Error)?.message ?? String(e));
    }
  }

  /** Nest calls this on shutdown when the reader is a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }
}
