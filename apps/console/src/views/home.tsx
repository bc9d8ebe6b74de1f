// Home: the composer, the home feed with infinite scroll, and live arrivals and deletes from homeStream.
import type { Activity, ActivityPage } from '@tideline/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client, describeError } from '../api';
import { Empty, Notice, useNow, usePagedList } from '../ui';
import { Composer } from './composer';
import { FeedEntry, FeedItem } from './feed-item';
import { LiveIndicator } from './live-indicator';

const PAGE = 20;
/** How long a deleted item takes to fade out (matches .is-leaving in styles.css). */
const LEAVE_MS = 300;

/** Feed order: newest first by (published, id), as the API pages it. */
const newer = (a: Activity, b: Activity): boolean => a.published > b.published || (a.published === b.published && a.id > b.id);

/**
 * Places a live (or just published) activity where the feed's order puts it. Already shown: unchanged.
 * Older than everything loaded while more pages remain: left to paging, which will bring it in order.
 */
export function insertLive(list: FeedEntry[], a: Activity, complete: boolean): FeedEntry[] {
  if (list.some((x) => x.id === a.id)) return list;
  const i = list.findIndex((x) => newer(a, x));
  if (i === -1) return complete ? [...list, { ...a, fresh: true }] : list;
  return [...list.slice(0, i), { ...a, fresh: true }, ...list.slice(i)];
}

export function Home({ me }: { me: string }) {
  const now = useNow();
  const feed = usePagedList<FeedEntry, ActivityPage>(() => client.home(me, { limit: PAGE }).pages(), (a) => a.id, [me]);
  const [live, setLive] = useState<string>('connecting');
  const [actionError, setActionError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const [atEnd, setAtEnd] = useState(false);
  const doneRef = useRef(false);
  doneRef.current = feed.done;

  const remove = (id: string) => {
    feed.setItems((l) => l.map((x) => (x.id === id ? { ...x, leaving: true } : x)));
    setTimeout(() => feed.setItems((l) => l.filter((x) => x.id !== id)), LEAVE_MS);
  };

  // Live: arrivals slide in at their place, deletes fade out. The client reconnects and fills gaps itself.
  useEffect(() => {
    const ac = new AbortController();
    const stream = client.homeStream(me, { signal: ac.signal, onState: (s) => setLive(String(s)) });
    void (async () => {
      try {
        for await (const ev of stream) {
          if (ev.type === 'activity') feed.setItems((l) => insertLive(l, ev.activity, doneRef.current));
          else remove(ev.id);
        }
      } catch (e) {
        if (!ac.signal.aborted) {
          setLive('closed');
          setActionError(`Live updates stopped: ${describeError(e)}`);
        }
      }
    })();
    return () => {
      ac.abort();
      stream.close();
    };
  }, [me]);

  // Infinite scroll: while the sentinel is near the viewport, keep pulling pages (some may be empty).
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((es) => setAtEnd(es.some((e) => e.isIntersecting)), { rootMargin: '600px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, []);
  useEffect(() => {
    if (atEnd && !feed.loading && !feed.done && !feed.error) void feed.loadMore();
  }, [atEnd, feed.loading, feed.done, feed.error, feed.items.length]);

  const del = async (id: string) => {
    setActionError(null);
    try {
      await client.deleteActivity(id);
      remove(id);
    } catch (e) {
      setActionError(describeError(e));
    }
  };

  return (
    <main class="page page-narrow">
      <div class="page-head">
        <h1>Home</h1>
        <LiveIndicator state={live} />
      </div>
      <Composer me={me} onPublished={(a) => feed.setItems((l) => insertLive(l, a, true))} />
      {actionError ? <Notice kind="error" testid="feed-action-error">{actionError}</Notice> : null}
      <ul class="feed card" data-testid="feed" aria-live="polite" aria-busy={feed.loading}>
        {feed.items.map((a) => (
          <FeedItem key={a.id} a={a} me={me} now={now} onDelete={(id) => void del(id)} />
        ))}
      </ul>
      {feed.done && feed.items.length === 0 ? (
        <Empty title="Nothing here yet" testid="feed-empty">
          Follow people on the People tab, or publish something above: your home feed shows your own activities and those of everyone you follow.
        </Empty>
      ) : null}
      {feed.error ? (
        <Notice kind="error" testid="feed-error">
          Could not load the feed: {feed.error}{' '}
          <button class="btn btn-small" onClick={feed.retry}>Try again</button>
        </Notice>
      ) : null}
      <div ref={sentinel} class="sentinel" data-testid="feed-sentinel" data-state={feed.done ? 'end' : feed.loading ? 'loading' : 'idle'}>
        {feed.loading ? <span class="spinner" aria-label="Loading" /> : feed.done && feed.items.length > 0 ? <span class="muted">You are all caught up.</span> : null}
      </div>
    </main>
  );
}
