import { TidelineError } from './errors';
import type { PageOptions, Paged } from './types';

/** Consecutive empty pages with a `next` followed before giving up (the API may return a few; endless ones are a bug). */
export const MAX_EMPTY_PAGES = 50;

export interface PageShape<T> {
  items: T[];
  next: string | null;
}

/**
 * A lazy cursor walk: `fetchPage(cursor)` runs only when the consumer asks for more, `next` is followed until null,
 * and leaving the loop (break, throw) stops fetching.
 */
export function paged<T, P extends PageShape<T>>(fetchPage: (cursor: string | undefined, signal?: AbortSignal) => Promise<P>, o: PageOptions = {}): Paged<T, P> {
  async function* pages(): AsyncGenerator<P> {
    let cursor = o.cursor;
    let empty = 0;
    for (;;) {
      const page = await fetchPage(cursor, o.signal);
      yield page;
      if (page.next === null) return;
      empty = page.items.length === 0 ? empty + 1 : 0;
      if (empty >= MAX_EMPTY_PAGES) throw new TidelineError(0, 'UNEXPECTED', `${MAX_EMPTY_PAGES} empty pages in a row, each with a next cursor`);
      cursor = page.next;
    }
  }
  return {
    pages,
    first: () => fetchPage(o.cursor, o.signal),
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page.items;
    },
  };
}
