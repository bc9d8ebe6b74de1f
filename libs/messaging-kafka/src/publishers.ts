import { Logger } from '@nestjs/common';
import { Activity, GraphChange, toIso, UserId } from '@app/domain';
import { AppConfig } from '@app/config';
import { EventPublisher, FanoutChunk, FanoutChunkPublisher, LiveEvent, LivePublisher } from '@app/feeds';
import { SafeProducer } from './safe-producer';

/**
 * The record values follow docs/api.md §3 and are exactly what parseActivityRecord/parseGraphRecord
 * accept. The Kafka record timestamp carries the accept time (create) or the event time (delete,
 * graph change): the worker uses it as the write timestamp, so it must be set explicitly.
 */
export class KafkaEventPublisher implements EventPublisher {
  constructor(
    private readonly producer: SafeProducer,
    private readonly topics: AppConfig['kafka']['topics'],
  ) {}

  async publishActivity(activity: Activity, acceptedMs: number): Promise<void> {
    const value = {
      id: activity.id,
      actor: activity.actor,
      type: activity.type,
      object: activity.object,
      ...(activity.target !== undefined ? { target: activity.target } : {}),
      published: activity.published,
      ...(activity.to !== undefined ? { to: activity.to } : {}),
      ...(activity.foreignId !== undefined ? { foreignId: activity.foreignId } : {}),
      ...(activity.extra !== undefined ? { extra: activity.extra } : {}),
    };
    await this.producer.send({
      topic: this.topics.activities,
      acks: -1,
      messages: [{ key: activity.actor, value: JSON.stringify(value), timestamp: String(acceptedMs) }],
    });
  }

  async publishDelete(id: string, actor: UserId, atMs: number): Promise<void> {
    await this.producer.send({
      topic: this.topics.activities,
      acks: -1,
      messages: [{ key: actor, value: JSON.stringify({ op: 'delete', id, actor }), timestamp: String(atMs) }],
    });
  }

  async publishGraphChange(change: GraphChange): Promise<void> {
    await this.producer.send({
      topic: this.topics.follows,
      acks: -1,
      messages: [
        {
          key: change.user,
          value: JSON.stringify({ op: change.op, user: change.user, target: change.target, at: toIso(change.atMs) }),
          timestamp: String(change.atMs),
        },
      ],
    });
  }
}

/** Chunks go out in one acknowledged (acks=all) send; keys spread one fanout over every partition. */
export class KafkaFanoutChunkPublisher implements FanoutChunkPublisher {
  constructor(
    private readonly producer: SafeProducer,
    private readonly topic: string,
  ) {}

  async publishChunks(chunks: readonly FanoutChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: chunks.map((c) => ({ key: `${c.ref.id}:${c.seq}`, value: JSON.stringify(c) })),
    });
  }
}

/**
 * Best effort: live updates sit on top of the durable feeds, so a failure is logged (at most once per
 * 10 s, to keep an outage from flooding the log) and never thrown into the write path.
 *
 * Updates announced in the same event-loop turn (the deliveries of every activity and chunk finishing
 * together) go out as one produce request of many records, so a busy worker sends a few requests per
 * turn instead of one per delivery.
 */
export class KafkaLivePublisher implements LivePublisher {
  private readonly log = new Logger(KafkaLivePublisher.name);
  private lastWarnMs = 0;
  private suppressed = 0;
  /** Serialized updates waiting for a send. */
  private queue: string[] = [];
  /** Updates queued or in a send not yet acknowledged. */
  private pending = 0;
  private sending = 0;
  private flushScheduled = false;
  /**
   * Live updates beyond this many queued or unacknowledged are dropped: they must never hold up fanout, and
   * a home event carries up to one chunk of user ids, so the cap also bounds the memory they can hold.
   */
  static readonly MAX_PENDING = 256;
  /** Records per produce request, and produce requests in flight at once. */
  static readonly MAX_PER_SEND = 128;
  static readonly MAX_SENDS = 4;

  constructor(
    private readonly producer: SafeProducer,
    private readonly topic: string,
  ) {}

  /**
   * Fire and forget: resolves at once, the send completes in the background. Live updates are a
   * convenience on top of the durable feeds (a reconnecting client re-reads its feed), so the write path
   * never waits for them, and a slow or absent Kafka only drops them (counted in the warning).
   */
  announce(event: LiveEvent): Promise<void> {
    if (this.pending >= KafkaLivePublisher.MAX_PENDING) {
      this.warn(new Error('too many live updates in flight'));
      return Promise.resolve();
    }
    this.pending++;
    this.queue.push(JSON.stringify(event));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return Promise.resolve();
  }

  private flush(): void {
    while (this.queue.length > 0 && this.sending < KafkaLivePublisher.MAX_SENDS) {
      const values = this.queue.splice(0, KafkaLivePublisher.MAX_PER_SEND);
      this.sending++;
      this.producer
        .send({ topic: this.topic, acks: 1, messages: values.map((value) => ({ value })) })
        .catch((e: unknown) => this.warn(e))
        .finally(() => {
          this.sending--;
          this.pending -= values.length;
          this.flush();
        });
    }
  }

  private warn(e: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnMs >= 10_000) {
      this.log.warn({ err: (e as Error).message, suppressed: this.suppressed }, 'live update not published');
      this.lastWarnMs = now;
      this.suppressed = 0;
    } else {
      this.suppressed++;
    }
  }
}
