// The shell: sign-in gate, header with navigation and badges, and the view named by the URL hash.
import { useEffect, useState } from 'preact/hooks';
import { UNAUTHORIZED_EVENT } from './api';
import { useNotifications } from './notify';
import { clearSession, loadSession, saveSession, Session } from './session';
import { Avatar } from './ui';
import { Home } from './views/home';
import { Notifications } from './views/notifications';
import { Operator } from './views/operator';
import { People } from './views/people';
import { SignIn } from './views/signin';

type Route = 'home' | 'people' | 'notifications' | 'ops';
const ROUTES: readonly Route[] = ['home', 'people', 'notifications', 'ops'];

/** Views live in the hash (#/people), so the server only ever serves index.html at /console/. */
function routeOf(hash: string): Route {
  const r = hash.replace(/^#\/?/, '').split(/[/?&]/)[0] as Route;
  return ROUTES.includes(r) ? r : 'home';
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const on = () => setRoute(routeOf(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const signOut = (why?: string) => {
    clearSession();
    setSession(null);
    setNotice(why);
  };

  // The API refusing the token (401) or the token's own expiry ends the session, with the reason shown.
  useEffect(() => {
    const on = (e: Event) => signOut(`Signed out: ${String((e as CustomEvent<string>).detail)}.`);
    window.addEventListener(UNAUTHORIZED_EVENT, on);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, on);
  }, []);
  useEffect(() => {
    if (session?.expiresAt === undefined) return;
    const t = setTimeout(() => signOut('Your token expired. Sign in again.'), Math.min(2 ** 31 - 1, Math.max(0, session.expiresAt - Date.now())));
    return () => clearTimeout(t);
  }, [session]);

  if (!session) {
    const signIn = (s: Session) => {
      saveSession(s);
      setNotice(undefined);
      setSession(s);
    };
    return <SignIn onSignedIn={signIn} notice={notice} />;
  }
  return <Shell key={session.token} session={session} onSignOut={() => signOut()} />;
}

/** Stands in for the word "Notifications" where the header is narrow (styles.css). */
function BellIcon() {
  return (
    <svg class="nav-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const n = useNotifications(session.sub);
  const tabs: [Route, string][] = [['home', 'Home'], ['people', 'People'], ['notifications', 'Notifications'], ...(session.admin ? [['ops', 'Operator'] as [Route, string]] : [])];

  return (
    <div class="app">
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href="#/home">
            <img src="favicon.svg" alt="" width={28} height={28} />
            <span>Tideline</span>
          </a>
          <nav class="nav" data-testid="nav">
            {tabs.map(([r, label]) => (
              <a key={r} href={`#/${r}`} class={`nav-link${route === r ? ' is-active' : ''}`} data-testid={`nav-${r}`} aria-current={route === r ? 'page' : undefined}>
                {r === 'notifications' ? <BellIcon /> : null}
                <span class={r === 'notifications' ? 'nav-label nav-label-long' : 'nav-label'}>{label}</span>
                {r === 'notifications' ? (
                  <>
                    <span class={`badge badge-unseen${n.counts.unseen ? '' : ' is-zero'}`} data-testid="badge-unseen" title="unseen">{n.counts.unseen}</span>
                    <span class={`badge badge-unread${n.counts.unread ? '' : ' is-zero'}`} data-testid="badge-unread" title="unread">{n.counts.unread}</span>
                  </>
                ) : null}
              </a>
            ))}
          </nav>
          <div class="whoami" data-testid="whoami" data-user={session.sub} data-admin={String(session.admin)}>
            <Avatar id={session.sub} size={28} />
            <span class="whoami-name">{session.sub}</span>
            {session.admin ? <span class="pill pill-admin">admin</span> : null}
            <button class="btn btn-ghost btn-small" data-testid="signout" onClick={onSignOut}>Sign out</button>
          </div>
        </div>
      </header>
      {route === 'home' ? <Home me={session.sub} /> : null}
      {route === 'people' ? <People me={session.sub} /> : null}
      {route === 'notifications' ? <Notifications me={session.sub} counts={n.counts} subscribe={n.subscribe} refreshCounts={n.refresh} /> : null}
      {route === 'ops' ? <Operator admin={session.admin} /> : null}
    </div>
  );
}
