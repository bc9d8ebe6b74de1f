import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, FeedPosition, MAX_CURSOR_LENGTH } from '@app/domain';

/** The secret cursors are signed with (ReadModule provides AUTH_JWT_SECRET). */
export const CURSOR_SECRET = Symbol('CURSOR_SECRET');

/** What a cursor pins: the feed it belongs to and the scan position (exclusive) to resume after. */
export interface CursorState {
  /** Feed kind ('home', 'user', 'notifications', 'following', 'followers'). */
  readonly k: string;
  /** The feed owner: a cursor issued for one user's feed is refused on another's. */
  readonly u: string;
  /** Position: ms + id for activity feeds and groups; `id` alone (ms = 0) for graph lists. */
  readonly ms: number;
  readonly id: string;
}

/**
 * Opaque, tamper-evident page cursors: base64url(JSON) + "." + truncated HMAC-SHA256. The key is derived
 * from AUTH_JWT_SECRET, so every API instance issues and accepts the same cursors, and any edit to the
 * payload (or a cursor made up by a client) is rejected with INVALID_CURSOR (400).
 */
@Injectable()
export class CursorCodec {
  private readonly key: Buffer;

  constructor(@Inject(CURSOR_SECRET) secret: string) {
    this.key = createHmac('sha256', 'tideline-cursor-v1').update(secret).digest();
  }

  encode(state: CursorState): string {
    const body = Buffer.from(JSON.stringify([state.k, state.u, state.ms, state.id])).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** Returns the position to resume after; throws INVALID_CURSOR unless issued by us for this feed. */
  decode(cursor: string, kind: string, user: string): FeedPosition {
    const invalid = (): DomainError => new DomainError('INVALID_CURSOR', 'cursor was not issued by this service for this feed');
    if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
    const [body, sig, extra] = cursor.split('.');
    if (!body || !sig || extra !== undefined) throw invalid();
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(parsed) || parsed.length !== 4) throw invalid();
    const [k, u, ms, id] = parsed as unknown[];
    if (k !== kind || u !== user || typeof ms !== 'number' || !Number.isFinite(ms) || typeof id !== 'string') throw invalid();
    return { ms, id };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
  }
}
