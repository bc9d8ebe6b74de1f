// One activity in the home feed.
import type { Activity } from '@tideline/client';
import { Avatar, Time } from '../ui';

const VERBS: Record<string, string> = {
  post: 'posted', create: 'created', like: 'liked', announce: 'shared', share: 'shared', comment: 'commented on',
  follow: 'followed', update: 'updated', add: 'added', join: 'joined', read: 'read', view: 'viewed',
};
/** "liked", "posted", ... for well-known verbs; any other verb is shown as it is. */
export const verbOf = (type: string): string => VERBS[type.toLowerCase()] ?? type;

export type FeedEntry = Activity & { fresh?: boolean; leaving?: boolean };

export function FeedItem({ a, me, now, onDelete }: { a: FeedEntry; me: string; now: number; onDelete: (id: string) => void }) {
  const own = a.actor === me;
  const cls = `feed-item${a.fresh ? ' is-fresh' : ''}${a.leaving ? ' is-leaving' : ''}`;
  return (
    <li class={cls} data-testid="feed-item" data-id={a.id} data-actor={a.actor}>
      <Avatar id={a.actor} />
      <div class="feed-body">
        <p class="feed-line">
          <strong class="actor">{a.actor}</strong> <span class="verb">{verbOf(a.type)}</span> <span class="object">{a.object}</span>
          {a.target ? (
            <>
              {' '}
              <span class="muted">in</span> <span class="object">{a.target}</span>
            </>
          ) : null}
        </p>
        <p class="feed-meta">
          <Time iso={a.published} now={now} />
          {a.to && a.to.length > 0 ? <span class="to"> · to {a.to.map((u) => (u === me ? 'you' : u)).join(', ')}</span> : null}
          {own ? <span class="you"> · you</span> : null}
        </p>
      </div>
      {own ? (
        <button class="btn btn-ghost btn-small feed-delete" data-testid={`delete-${a.id}`} title="Delete this activity" aria-label="Delete" onClick={() => onDelete(a.id)}>
          Delete
        </button>
      ) : null}
    </li>
  );
}
