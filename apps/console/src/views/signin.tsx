// Sign-in. Development (POST /dev/tokens answers): mint a token for any user id. Production (it is 404):
// only a pasted token is accepted; nothing is ever minted.
import { useEffect, useState } from 'preact/hooks';
import { isTidelineError } from '@tideline/client';
import { client, describeError } from '../api';
import { isExpired, parseToken, Session } from '../session';
import { Notice } from '../ui';

type Mode = 'probing' | 'dev' | 'prod';

/**
 * Whether the API mints development tokens, asked without minting one: an empty `sub` is refused with 400
 * when the route is on, and is 404 (like any unknown path) when it is off.
 */
async function probeDevTokens(): Promise<Mode> {
  try {
    await client.devToken({ sub: '' });
    return 'dev';
  } catch (e) {
    return isTidelineError(e) && e.status !== 404 && e.status !== 0 ? 'dev' : 'prod';
  }
}

const USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice?: string }) {
  const [mode, setMode] = useState<Mode>('probing');
  const [user, setUser] = useState('demo');
  const [admin, setAdmin] = useState(false);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void probeDevTokens().then((m) => live && setMode(m));
    return () => {
      live = false;
    };
  }, []);

  const mint = async (e: Event) => {
    e.preventDefault();
    if (!USER_ID.test(user)) return setError('A user id is 1-128 characters of A-Z a-z 0-9 _ . : @ -');
    setBusy(true);
    setError(null);
    try {
      const t = await client.devToken({ sub: user, admin });
      const s = parseToken(t.token);
      if (!s) throw new Error('the server minted a token this console cannot read');
      onSignedIn(s);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const paste = (e: Event) => {
    e.preventDefault();
    const s = parseToken(token);
    if (!s) return setError('That is not a Tideline token (a JWT with a sub claim).');
    if (isExpired(s)) return setError('That token has expired.');
    setError(null);
    onSignedIn(s);
  };

  return (
    <main class="signin">
      <div class="signin-card card" data-testid="signin" data-mode={mode}>
        <div class="signin-brand">
          <img src="favicon.svg" alt="" width={44} height={44} />
          <h1>Tideline</h1>
        </div>
        <p class="signin-lead">Your activity feed, live.</p>
        {notice ? <Notice kind="info" testid="signin-notice">{notice}</Notice> : null}
        {mode === 'probing' ? <p class="muted">Connecting…</p> : null}
        {mode === 'dev' ? (
          <form class="stack" onSubmit={(e) => void mint(e)}>
            <span class="pill pill-dev">development</span>
            <label class="field">
              <span>User id</span>
              <input data-testid="signin-user" value={user} onInput={(e) => setUser(e.currentTarget.value.trim())} autoComplete="username" spellcheck={false} required />
            </label>
            <label class="check">
              <input type="checkbox" data-testid="signin-admin" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
              <span>Admin (operator view, act for anyone)</span>
            </label>
            <button class="btn btn-primary" data-testid="signin-submit" disabled={busy || user === ''}>
              {busy ? 'Signing in…' : `Sign in as ${user || '…'}`}
            </button>
          </form>
        ) : null}
        {mode !== 'probing' ? (
          <form class="stack" onSubmit={paste}>
            {mode === 'dev' ? <div class="divider"><span>or use a token</span></div> : <p class="muted">Paste the access token your administrator gave you.</p>}
            <label class="field">
              <span>Access token</span>
              <textarea data-testid="signin-token" rows={3} value={token} onInput={(e) => setToken(e.currentTarget.value)} spellcheck={false} placeholder="eyJhbGciOiJIUzI1NiIs…" />
            </label>
            <button class={mode === 'dev' ? 'btn' : 'btn btn-primary'} data-testid="signin-token-submit" disabled={token.trim() === ''}>
              Sign in with token
            </button>
          </form>
        ) : null}
        {error ? <Notice kind="error" testid="signin-error">{error}</Notice> : null}
      </div>
    </main>
  );
}
