// Small shared pieces: avatars, relative times, notices, and a hook for "load more" lists over Paged pages().
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api';
import { relativeTime } from './time';

/** Re-renders every `ms` so relative times stay true. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function Time({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {relativeTime(iso, now)}
    </time>
  );
}

const HUES = [172, 199, 221, 262, 292, 330, 14, 38, 88, 142];
/** A stable colour per user id, so the same person looks the same everywhere. */
function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length] ?? 200;
}

export function Avatar({ id, size = 40 }: { id: string; size?: number }) {
  // The last part of a namespaced id (`tenant-42:alice` → AL), so ids sharing a prefix still look different.
  const name = id.split(/[-_.:@]/).filter((p) => /[A-Za-z0-9]/.test(p)).pop() ?? id;
  const letters = name.replace(/[^A-Za-z0-9]/g, '').slice(0, 2).toUpperCase() || '?';
  const hue = hueOf(id);
  return (
    <span class="avatar" aria-hidden="true" style={{ width: `${size}px`, height: `${size}px`, background: `hsl(${hue} 55% 42%)`, fontSize: `${size * 0.38}px` }}>
      {letters}
    </span>
  );
}

export function Notice({ kind, children, testid }: { kind: 'error' | 'info' | 'ok'; children: ComponentChildren; testid?: string }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testid}>
      {children}
    </div>
  );
}

export function Empty({ title, children, testid }: { title: string; children?: ComponentChildren; testid?: string }) {
  return (
    <div class="empty" data-testid={testid}>
      <p class="empty-title">{title}</p>
      {children ? <p class="empty-text">{children}</p> : null}
    </div>
  );
}

interface PageLike<T> {
  items: T[];
  next: string | null;
}

export interface PagedList<T> {
  items: T[];
  loading: boolean;
  done: boolean;
  error: string | null;
  loadMore: () => Promise<void>;
  reload: () => void;
  /** After an error: a fresh iterator from the first page, keeping what is shown (duplicates are dropped). */
  retry: () => void;
  setItems: (f: (items: T[]) => T[]) => void;
}

/**
 * Pages of one list, pulled one at a time from a `pages()` iterator (the client follows `next`). Items are
 * deduplicated by `key`. Invariant: `gen` names the current iterator; answers of an older one are dropped, so a
 * reload never mixes two lists. `deps` say when the list is another one (another user): it then starts over.
 */
export function usePagedList<T, P extends PageLike<T>>(open: () => AsyncIterable<P>, key: (t: T) => string, deps: unknown[]): PagedList<T> {
  const [items, setItemsState] = useState<T[]>([]);
  const [loading, setLoading] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const gen = useRef(0);
  const iter = useRef<AsyncIterator<P> | null>(null);
  const busy = useRef(false);
  // The latest callbacks, so the functions handed out stay the same across renders.
  const openRef = useRef(open);
  openRef.current = open;
  const keyRef = useRef(key);
  keyRef.current = key;

  const loadMore = useCallback(async () => {
    if (busy.current || !iter.current) return;
    const mine = gen.current;
    busy.current = true;
    setLoading(true);
    setError(null);
    try {
      const r = await iter.current.next();
      if (mine !== gen.current) return;
      if (r.done) setDone(true);
      else {
        const k = keyRef.current;
        setItemsState((old) => {
          const seen = new Set(old.map(k));
          return [...old, ...r.value.items.filter((i) => !seen.has(k(i)))];
        });
        if (r.value.next === null) setDone(true);
      }
    } catch (e) {
      if (mine === gen.current) setError(describeError(e));
    } finally {
      if (mine === gen.current) {
        busy.current = false;
        setLoading(false);
      }
    }
  }, []);

  /** A fresh iterator from the first page; `keep` leaves the shown items in place (duplicates are dropped). */
  const restart = useCallback(
    (keep: boolean) => {
      gen.current++;
      iter.current = openRef.current()[Symbol.asyncIterator]();
      busy.current = false;
      if (!keep) setItemsState([]);
      setDone(false);
      setError(null);
      void loadMore();
    },
    [loadMore],
  );
  const reload = useCallback(() => restart(false), [restart]);
  const retry = useCallback(() => restart(true), [restart]);

  useEffect(reload, deps);

  return { items, loading, done, error, loadMore, reload, retry, setItems: setItemsState };
}
