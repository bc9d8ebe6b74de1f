import { Admin, Kafka } from 'kafkajs';
import { StoreUnavailableError, withTimeout } from '@app/feeds';

/**
 * Readiness probe for Kafka. Uses its own admin on a fail-fast client and a hard timeout, so a probe
 * never hangs; after a failure the admin is dropped and reconnected on the next probe.
 */
export class KafkaHealth {
  private admin: Admin | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly timeoutMs = 2_000,
  ) {}

  async ping(): Promise<void> {
    const probe = (async () => {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const cluster = await this.admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no broker available');
      await this.admin.fetchTopicMetadata({ topics: [this.topic] });
    })();
    try {
      await withTimeout(probe, this.timeoutMs, () => new Error(`Kafka did not answer within ${this.timeoutMs} ms`));
    } catch (e) {
      const admin = this.admin;
      this.admin = null;
      void admin?.disconnect().catch(() => undefined);
      throw new StoreUnavailableError('kafka', (e as Error)?.message ?? String(e));
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }
}
