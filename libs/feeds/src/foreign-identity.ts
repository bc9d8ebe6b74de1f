import { Activity, toIso } from '@app/domain';
import { ForeignIdStore } from './ports';

/** CONTRACT v1.1 §1: an input with a `foreignId`, no `published` and no `id` is identified by (actor, foreignId). */
export const identifiedByForeignId = (input: { readonly foreignId?: string; readonly published?: string; readonly id?: string }): boolean =>
  input.foreignId !== undefined && input.published === undefined && input.id === undefined;

/**
 * The activity with the id and `published` of the first acceptance of its (actor, foreignId): the first
 * submission claims its own (derived from its accept time), every later one, over REST or Kafka, takes the
 * claimed pair, so a retry lands on the same rows instead of adding a second entry.
 */
export async function withFirstIdentity(store: ForeignIdStore, activity: Activity, ttlSeconds: number): Promise<Activity> {
  if (activity.foreignId === undefined) return activity;
  const wanted = { id: activity.id, publishedMs: Date.parse(activity.published) };
  const first = await store.claim(activity.actor, activity.foreignId, wanted, ttlSeconds);
  return first.id === wanted.id ? activity : { ...activity, id: first.id, published: toIso(first.publishedMs) };
}
