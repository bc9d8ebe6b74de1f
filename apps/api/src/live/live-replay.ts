import { LiveEvent, LivePosition } from '@app/feeds';

/** Live events an instance keeps for resuming streams: at most this many, for at most this long. */
export const REPLAY_MAX_EVENTS = 10_000;
export const REPLAY_MAX_AGE_MS = 5 * 60_000;

/** The position id of a source that cannot resume (no partition known): never accepted by `since`. */
const NO_POSITION = '-';
const OFFSET = /^-?\d{1,16}$/;

export interface Replayed {
  readonly event: LiveEvent;
  /** The SSE id of the stream position just after this event. */
  readonly id: string;
}

interface Held extends Replayed {
  readonly partition: number;
  readonly offset: number;
  readonly at: number;
}

/**
 * This instance's recent live events, by their place in the live topic, for streams that reconnect with
 * `Last-Event-ID`. A position id lists, for each partition of the live topic in order, the last offset routed
 * when it was issued (`"41.-1.17"`). Every API instance reads the whole topic, so an id issued by one instance
 * means the same on another and a stream may resume on any of them.
 *
 * Invariant: `since(id)` answers only if every event after `id` on every partition is still held (and the id
 * is not ahead of what this instance has seen); otherwise null, and the stream is told to `reset`.
 */
export class LiveReplay {
  private partitions: number[] = [];
  /** Per partition, the last offset routed. */
  private readonly cursor = new Map<number, number>();
  /** Per partition, every event after this offset is held. */
  private readonly floor = new Map<number, number>();
  private held: Held[] = [];
  private head = 0;

  constructor(
    private readonly maxEvents = REPLAY_MAX_EVENTS,
    private readonly maxAgeMs = REPLAY_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The source reads every event from `from` on: earlier positions can no longer be resumed. */
  restart(from: ReadonlyMap<number, number>): void {
    this.partitions = [...from.keys()].sort((a, b) => a - b);
    this.cursor.clear();
    this.floor.clear();
    for (const [p, offset] of from) {
      this.cursor.set(p, offset - 1);
      this.floor.set(p, offset - 1);
    }
    this.held = [];
    this.head = 0;
  }

  /** Records an event routed now and returns the position id just after it. */
  record(event: LiveEvent, at: LivePosition): string {
    if (!this.cursor.has(at.partition)) return this.position();
    this.cursor.set(at.partition, at.offset);
    const id = this.position();
    this.held.push({ event, id, partition: at.partition, offset: at.offset, at: this.now() });
    this.evict();
    return id;
  }

  /** The position id of "everything routed so far". */
  position(): string {
    return this.partitions.length === 0 ? NO_POSITION : this.partitions.map((p) => this.cursor.get(p)).join('.');
  }

  /** The events after position `id`, in the order they were routed; null when that cannot be told exactly. */
  since(id: string): Replayed[] | null {
    this.evict();
    const parts = id.split('.');
    if (this.partitions.length === 0 || parts.length !== this.partitions.length || !parts.every((x) => OFFSET.test(x))) return null;
    const after = new Map<number, number>();
    for (let i = 0; i < parts.length; i++) {
      const p = this.partitions[i] as number;
      const v = Number(parts[i]);
      // Older than what is held (or than this instance's start), or ahead of what it has seen (another topic).
      if (v < (this.floor.get(p) as number) || v > (this.cursor.get(p) as number)) return null;
      after.set(p, v);
    }
    const out: Replayed[] = [];
    for (let i = this.head; i < this.held.length; i++) {
      const h = this.held[i] as Held;
      if (h.offset > (after.get(h.partition) as number)) out.push({ event: h.event, id: h.id });
    }
    return out;
  }

  private evict(): void {
    const oldest = this.now() - this.maxAgeMs;
    while (this.head < this.held.length) {
      const h = this.held[this.head] as Held;
      if (this.held.length - this.head <= this.maxEvents && h.at >= oldest) break;
      this.floor.set(h.partition, Math.max(this.floor.get(h.partition) as number, h.offset));
      this.head++;
    }
    // Compacted now and then, so eviction stays O(1) per event on average.
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }
}
