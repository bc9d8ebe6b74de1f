import { Logger } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';

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
      const committed = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [...this.topics] });
      for (const { topic, partitions } of committed) {
        const ends = await this.admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const c = partitions.find((p) => p.partition === end.partition);
          const from = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(end.low);
          this.sink.lag(topic, end.partition, Math.max(0, Number(end.high) - from));
        }
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message, groupId: this.groupId }, 'consumer lag not measured');
      const admin = this.admin;
      this.admin = null;
      await admin?.disconnect().catch(() => undefined);
    }
  }
}
