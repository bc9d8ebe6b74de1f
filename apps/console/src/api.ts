// The one client instance: every call to the API goes through @tideline/client (no fetch of our own).
import { createTidelineClient, isTidelineError } from '@tideline/client';
import { currentToken } from './session';

export const client = createTidelineClient({ baseUrl: '', token: currentToken });

/** Fired when the API says the token is no longer good: the app signs out and says why. */
export const UNAUTHORIZED_EVENT = 'tideline:unauthorized';

/** A human sentence for an error, the server's own message first (with the offending fields). */
export function describeError(e: unknown): string {
  if (isTidelineError(e)) {
    if (e.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT, { detail: e.message }));
    if (e.status === 429) return `Slow down: ${e.message}${e.retryAfterSeconds ? ` (try again in ${e.retryAfterSeconds} s)` : ''}`;
    // Name the offending fields the message does not already mention.
    const extra = (e.fields ?? []).map((f) => f.field).filter((f) => !e.message.includes(f));
    return extra.length > 0 ? `${e.message} (${extra.join(', ')})` : e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
