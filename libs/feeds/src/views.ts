import { Activity, NotificationGroup, toIso, UserId } from '@app/domain';

/**
 * The one place where domain objects become what clients receive (docs/api.md §2): times as RFC 3339,
 * positions replaced by the hydrated activity. Activities themselves go out as they are stored.
 */

/** A notification group as the API shows it: the latest activity hydrated, times as RFC 3339. */
export type GroupView = Omit<NotificationGroup, 'latest' | 'updatedMs'> & { readonly latest: Activity; readonly updated: string };

export interface GraphEntry {
  readonly userId: UserId;
  readonly since: string;
}

export function toGroupView(g: NotificationGroup, latest: Activity): GroupView {
  const { latest: _position, updatedMs, ...rest } = g;
  return { ...rest, latest, updated: toIso(updatedMs) };
}

export const toGraphEntry = (e: { userId: UserId; sinceMs: number }): GraphEntry => ({ userId: e.userId, since: toIso(e.sinceMs) });
