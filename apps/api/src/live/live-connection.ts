import { DomainError, UserId } from '@app/domain';

/** An open SSE connection as the hub sees it. */
export interface LiveConnection {
  readonly user: UserId;
  readonly kind: 'home' | 'notifications';
  /** Writes one event; `id` is its SSE id (the stream position just after it). */
  send(event: string, id: string, data: unknown): void;
  /** Ends the connection (it could not keep up); the connection then removes itself. */
  close(reason: string): void;
}

/** What `add` returns: the connection's removal, and the position a client may resume from now. */
export interface LiveHandle {
  remove(): void;
  /** The SSE id to send in an id-only block: every event before it has been processed for this stream. */
  position(): string;
}

/** What a refused stream is told to wait before retrying (a slot frees when one of its streams closes). */
const STREAM_RETRY_AFTER_SECONDS = 5;

export class TooManyStreamsError extends DomainError {
  readonly retryAfterSeconds = STREAM_RETRY_AFTER_SECONDS;
  constructor(limit: number) {
    super('TOO_MANY_STREAMS', `at most ${limit} open streams per user`);
  }
}
