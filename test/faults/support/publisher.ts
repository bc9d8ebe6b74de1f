import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import type { Stack } from '../../e2e/support/stack';

export interface Attempt {
  readonly n: number;
  readonly id: string;
  readonly ms: number;
  readonly status: number;
  readonly body: unknown;
  readonly tookMs: number;
  readonly at: number;
}

/**
 * Sustained publishing over HTTP: one POST /v1/activities after another (with `gapMs` between them), each with a
 * foreignId and an explicit `published`, so the id of every attempt is known even when the API did not answer 202
 * (a request that failed may still have reached Kafka; it is then allowed, but never required, to show up).
 */
export class HttpPublisher {
  readonly attempts: Attempt[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private n = 0;

  constructor(
    private readonly stack: Stack,
    private readonly actor: string,
    private readonly prefix: string,
    private readonly gapMs = 100,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.publishOne();
        if (this.running) await new Promise((r) => setTimeout(r, this.gapMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Publishes `count` at once (concurrently); returns their attempts. */
  async burst(count: number): Promise<Attempt[]> {
    return Promise.all(Array.from({ length: count }, () => this.publishOne()));
  }

  async publishOne(): Promise<Attempt> {
    const n = this.n++;
    const ms = Date.now();
    const published = toIso(ms);
    const foreignId = `${this.prefix}-${n}`;
    const id = activityIdFromIdentity(ms, foreignIdentity(this.actor, foreignId, published));
    const t0 = Date.now();
    let status = 0;
    let body: unknown;
    try {
      const res = await this.stack.call('POST', '/v1/activities', this.actor, { actor: this.actor, type: 'post', object: `note:${foreignId}`, foreignId, published });
      status = res.status;
      body = res.body;
    } catch (e) {
      body = (e as Error).message; // no HTTP answer at all (connection refused, reset)
    }
    const attempt: Attempt = { n, id, ms, status, body, tookMs: Date.now() - t0, at: t0 };
    this.attempts.push(attempt);
    return attempt;
  }

  accepted(): Attempt[] {
    return this.attempts.filter((a) => a.status === 202);
  }

  /** Accepted attempts whose returned id differs from the one computed here (must be none). */
  idMismatches(): Attempt[] {
    return this.accepted().filter((a) => (a.body as { id?: string } | undefined)?.id !== a.id);
  }
}
