// The signed-in user's notification counts, kept current by one notificationStream for the whole app
// (the nav badges show them on every view; the Notifications view subscribes to the same live groups).
import type { NotificationGroup } from '@tideline/client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { client, describeError } from './api';

export interface Counts {
  unseen: number;
  unread: number;
}

/** Stream events come in bursts; the counts are re-read once per burst. */
const DEBOUNCE_MS = 250;

export function useNotifications(me: string) {
  const [counts, setCounts] = useState<Counts>({ unseen: 0, unread: 0 });
  const [live, setLive] = useState('connecting');
  const listeners = useRef(new Set<(g: NotificationGroup) => void>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const asked = useRef(0);

  // The page's unseen/unread are the server's own counts (docs/api.md §2.4); the newest answer wins.
  const refresh = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const mine = ++asked.current;
      client.notifications(me, { limit: 1 }).first().then(
        (p) => mine === asked.current && setCounts({ unseen: p.unseen, unread: p.unread }),
        (e: unknown) => void describeError(e),
      );
    }, DEBOUNCE_MS);
  }, [me]);

  useEffect(() => {
    refresh();
    const ac = new AbortController();
    const stream = client.notificationStream(me, { signal: ac.signal, onState: (s) => setLive(String(s)) });
    void (async () => {
      try {
        for await (const ev of stream) {
          if (ev.type !== 'group') continue;
          for (const f of listeners.current) f(ev.group);
          refresh();
        }
      } catch (e) {
        if (!ac.signal.aborted) setLive('closed');
        void describeError(e);
      }
    })();
    return () => {
      ac.abort();
      stream.close();
      clearTimeout(timer.current);
    };
  }, [me, refresh]);

  const subscribe = useCallback((f: (g: NotificationGroup) => void) => {
    listeners.current.add(f);
    return () => void listeners.current.delete(f);
  }, []);

  return { counts, live, subscribe, refresh };
}
