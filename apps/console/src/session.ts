// Who is signed in. The token lives in sessionStorage only (gone with the tab), never in the URL: a
// `#token=...` link is read once and then replaced in the history. Claims are decoded for display and
// navigation only; the API verifies every request (docs/api.md §2.1).

const KEY = 'tideline.console.token';

export interface Session {
  token: string;
  sub: string;
  admin: boolean;
  /** Expiry in ms since the epoch, when the token has one. */
  expiresAt?: number;
}

/** The claims of a JWT, unverified; null for anything that is not a JWT with a non-empty string `sub`. */
export function parseToken(raw: string): Session | null {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || !part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as Record<string, unknown>;
    const sub = claims['sub'];
    if (typeof sub !== 'string' || sub === '') return null;
    const scope = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
    return { token, sub, admin: scope.includes('admin'), ...(exp !== undefined ? { expiresAt: exp } : {}) };
  } catch {
    return null;
  }
}

export const isExpired = (s: Session, now = Date.now()): boolean => s.expiresAt !== undefined && s.expiresAt <= now;

/** A `#token=` in the address: taken, stored, and removed from the URL (and the history entry) at once. */
function takeFromUrl(): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}#/home`);
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

let current: Session | null = null;

/** The token the client sends (read on every request, so sign-in and sign-out take effect at once). */
export const currentToken = (): string | undefined => current?.token;

export function loadSession(): Session | null {
  const fromUrl = takeFromUrl();
  const raw = fromUrl ?? sessionStorage.getItem(KEY) ?? undefined;
  const s = raw ? parseToken(raw) : null;
  if (!s || isExpired(s)) {
    sessionStorage.removeItem(KEY);
    return (current = null);
  }
  sessionStorage.setItem(KEY, s.token);
  return (current = s);
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, s.token);
  current = s;
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  current = null;
}
