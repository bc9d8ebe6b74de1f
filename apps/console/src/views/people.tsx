// People: follow, unfollow, mute and unmute by user id, and the three graph lists with "load more".
import type { GraphEntry, GraphPage } from '@tideline/client';
import { useState } from 'preact/hooks';
import { client, describeError } from '../api';
import { Avatar, Empty, Notice, PagedList, Time, useNow, usePagedList } from '../ui';

type Action = 'follow' | 'unfollow' | 'mute' | 'unmute';
const DONE: Record<Action, string> = { follow: 'You now follow', unfollow: 'You no longer follow', mute: 'You muted', unmute: 'You unmuted' };

export function People({ me }: { me: string }) {
  const now = useNow();
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const key = (g: GraphEntry) => g.userId;
  const following = usePagedList<GraphEntry, GraphPage>(() => client.following(me, { limit: 20 }).pages(), key, [me]);
  const followers = usePagedList<GraphEntry, GraphPage>(() => client.followers(me, { limit: 20 }).pages(), key, [me]);
  const muted = usePagedList<GraphEntry, GraphPage>(() => client.muted(me, { limit: 20 }).pages(), key, [me]);

  const act = async (action: Action, who: string) => {
    const id = who.trim();
    if (id === '') return;
    setBusy(true);
    setMessage(null);
    try {
      await client[action](me, id);
      setMessage({ kind: 'ok', text: `${DONE[action]} ${id}.` });
      // The graph is read-your-writes (docs/api.md §1.4): a fresh first page shows the change.
      if (action === 'follow' || action === 'unfollow') following.reload();
      else muted.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };
  const followingIds = new Set(following.items.map((g) => g.userId));

  return (
    <main class="page">
      <div class="page-head">
        <h1>People</h1>
      </div>
      <form class="card people-form" onSubmit={(e) => (e.preventDefault(), void act('follow', target))}>
        <label class="field field-grow">
          <span>User id</span>
          <input data-testid="follow-input" value={target} onInput={(e) => setTarget(e.currentTarget.value)} placeholder="alice" spellcheck={false} autoComplete="off" />
        </label>
        <div class="btn-row">
          <button class="btn btn-primary" data-testid="follow-button" disabled={busy || target.trim() === ''}>Follow</button>
          <button type="button" class="btn" data-testid="unfollow-button" disabled={busy || target.trim() === ''} onClick={() => void act('unfollow', target)}>Unfollow</button>
          <button type="button" class="btn" data-testid="mute-button" disabled={busy || target.trim() === ''} onClick={() => void act('mute', target)}>Mute</button>
          <button type="button" class="btn" data-testid="unmute-button" disabled={busy || target.trim() === ''} onClick={() => void act('unmute', target)}>Unmute</button>
        </div>
        {message ? <Notice kind={message.kind} testid="people-message">{message.text}</Notice> : null}
      </form>
      <div class="columns">
        <GraphList title="Following" name="following" list={following} now={now} empty="You follow nobody yet. Follow someone above to see their activities at home."
          action={(g) => ({ label: 'Unfollow', run: () => void act('unfollow', g.userId) })} />
        <GraphList title="Followers" name="followers" list={followers} now={now} empty="Nobody follows you yet."
          action={(g) => (followingIds.has(g.userId) ? null : { label: 'Follow back', run: () => void act('follow', g.userId) })} />
        <GraphList title="Muted" name="muted" list={muted} now={now} empty="You have muted nobody. Muted people disappear from your home feed and notifications."
          action={(g) => ({ label: 'Unmute', run: () => void act('unmute', g.userId) })} />
      </div>
    </main>
  );
}

interface ListProps {
  title: string;
  name: string;
  list: PagedList<GraphEntry>;
  now: number;
  empty: string;
  action: (g: GraphEntry) => { label: string; run: () => void } | null;
}

function GraphList({ title, name, list, now, empty, action }: ListProps) {
  return (
    <section class="card graph" data-testid={`list-${name}`}>
      <h2>
        {title} <span class="count">{list.items.length}{list.done ? '' : '+'}</span>
      </h2>
      {list.items.length > 0 ? (
        <ul class="graph-list">
          {list.items.map((g) => {
            const a = action(g);
            return (
              <li key={g.userId} class="graph-entry" data-testid="graph-entry" data-user={g.userId}>
                <Avatar id={g.userId} size={32} />
                <span class="graph-name">
                  <strong>{g.userId}</strong>
                  <span class="muted">since <Time iso={g.since} now={now} /></span>
                </span>
                {a ? <button class="btn btn-ghost btn-small" onClick={a.run}>{a.label}</button> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {list.done && list.items.length === 0 ? <Empty title={empty} /> : null}
      {list.error ? <Notice kind="error">{list.error}</Notice> : null}
      {!list.done ? (
        <button class="btn btn-small btn-block" data-testid={`more-${name}`} disabled={list.loading} onClick={() => (list.error ? list.retry() : void list.loadMore())}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}
