import { compareNewestFirst, FeedPosition } from './activity';

/**
 * Merges lists that are each sorted newest first into one newest-first list without duplicates
 * (the same activity can come from a materialised timeline and a pulled author feed).
 */
export function mergeNewestFirst<T extends FeedPosition>(lists: readonly (readonly T[])[], limit: number): T[] {
  const all = lists.flat().sort(compareNewestFirst);
  const out: T[] = [];
  let prev: T | undefined;
  for (const item of all) {
    if (prev && prev.id === item.id) continue;
    out.push(item);
    prev = item;
    if (out.length >= limit) break;
  }
  return out;
}
