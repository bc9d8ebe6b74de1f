// Notifications: grouped ("alice and 3 others liked x"), live via the app's notificationStream, marking seen/read.
import type { NotificationGroup, NotificationPage } from '@tideline/client';
import { useEffect, useState } from 'preact/hooks';
import { client, describeError } from '../api';
import { Avatar, Empty, Notice, Time, useNow, usePagedList } from '../ui';
import { verbOf } from './feed-item';

/** "alice", "alice and bob", "alice and 3 others". */
export function actorsPhrase(g: Pick<NotificationGroup, 'actors' | 'actorCount'>): string {
  const [first, second] = g.actors;
  if (!first) return 'Someone';
  if (g.actorCount <= 1) return first;
  if (g.actorCount === 2 && second) return `${first} and ${second}`;
  return `${first} and ${g.actorCount - 1} others`;
}

/** A live group replaces its older self and moves to its place by `updated` (newest first). */
function upsert(list: NotificationGroup[], g: NotificationGroup): NotificationGroup[] {
  const rest = list.filter((x) => x.id !== g.id);
  const i = rest.findIndex((x) => x.updated < g.updated || (x.updated === g.updated && x.id < g.id));
  return i === -1 ? [...rest, g] : [...rest.slice(0, i), g, ...rest.slice(i)];
}

interface Props {
  me: string;
  counts: { unseen: number; unread: number };
  /** Live groups from the app's notification stream; returns the unsubscribe. */
  subscribe: (f: (g: NotificationGroup) => void) => () => void;
  /** Asks the app to re-read the unseen/unread counts. */
  refreshCounts: () => void;
}

export function Notifications({ me, counts, subscribe, refreshCounts }: Props) {
  const now = useNow();
  const list = usePagedList<NotificationGroup, NotificationPage>(() => client.notifications(me, { limit: 20 }).pages(), (g) => g.id, [me]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => subscribe((g) => list.setItems((l) => upsert(l, g))), [subscribe]);

  const mark = async (what: 'seen' | 'read', groups?: string[]) => {
    setBusy(true);
    setError(null);
    try {
      if (what === 'seen') await client.markSeen(me, groups);
      else await client.markRead(me, groups);
      const hit = (g: NotificationGroup) => groups === undefined || groups.includes(g.id);
      list.setItems((l) => l.map((g) => (hit(g) ? { ...g, seen: true, read: what === 'read' ? true : g.read } : g)));
      refreshCounts();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page page-narrow">
      <div class="page-head">
        <h1>Notifications</h1>
        <div class="btn-row">
          <button class="btn btn-small" data-testid="mark-seen" disabled={busy} onClick={() => void mark('seen')}>Mark all seen</button>
          <button class="btn btn-small" data-testid="mark-read" disabled={busy} onClick={() => void mark('read')}>Mark all read</button>
        </div>
      </div>
      <p class="muted summary" data-testid="notification-summary">
        {counts.unseen} unseen · {counts.unread} unread
      </p>
      {error ? <Notice kind="error" testid="notifications-error">{error}</Notice> : null}
      {list.items.length > 0 ? (
        <ul class="card notifications" data-testid="notifications">
          {list.items.map((g) => (
            <li key={g.id} class={`notification${g.read ? '' : ' is-unread'}${g.seen ? '' : ' is-unseen'}`} data-testid="notification" data-id={g.id} data-seen={String(g.seen)} data-read={String(g.read)}>
              <div class="stacked-avatars">
                {g.actors.slice(0, 3).map((a) => <Avatar key={a} id={a} size={32} />)}
              </div>
              <div class="feed-body">
                <p class="feed-line">
                  <strong>{actorsPhrase(g)}</strong> <span class="verb">{verbOf(g.type)}</span> <span class="object">{g.object === me ? 'you' : g.object}</span>
                </p>
                <p class="feed-meta">
                  <Time iso={g.updated} now={now} />
                  {g.activityCount > g.actorCount ? <span> · {g.activityCount} times</span> : null}
                </p>
              </div>
              {!g.read ? (
                <button class="btn btn-ghost btn-small" data-testid={`mark-read-${g.id}`} disabled={busy} onClick={() => void mark('read', [g.id])}>Mark read</button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {list.done && list.items.length === 0 ? (
        <Empty title="No notifications" testid="notifications-empty">When someone names you in an activity's "to", it shows up here, grouped by what they did.</Empty>
      ) : null}
      {list.error ? (
        <Notice kind="error" testid="notifications-load-error">
          {list.error} <button class="btn btn-small" onClick={list.retry}>Try again</button>
        </Notice>
      ) : null}
      {!list.done && !list.error ? (
        <button class="btn btn-block" data-testid="more-notifications" disabled={list.loading} onClick={() => void list.loadMore()}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </main>
  );
}
