import { compareNewestFirst, FeedPosition } from '@app/domain';
import { FeedRef, SlicePage } from '../ports';
import { forEachBounded } from '../resilience';

/** One newest-first source of feed rows, already bounded below by its own floor. */
export interface RowSource {
  read(before: FeedPosition | null, limit: number): Promise<SlicePage>;
}

export interface MergeOptions<T> {
  readonly sources: readonly RowSource[];
  /** Resume strictly after this position (null = from the newest). */
  readonly before: FeedPosition | null;
  readonly want: number;
  /** Rows asked of a source per read. */
  readonly batch: number;
  /** Upper bound on sequential read waves (each wave = one read per chosen source). */
  readonly maxRounds: number;
  /** Source reads in flight at once within a wave (default: all of them). */
  readonly concurrency?: number;
  /** Hydrates and filters candidate rows (in order); returns the accepted items in the same order. */
  readonly accept: (rows: FeedRef[]) => Promise<T[]>;
  readonly positionOf: (item: T) => FeedPosition;
}

export interface MergeResult<T> {
  readonly items: T[];
  /** Where the next page resumes (exclusive); null when every source is exhausted and all was examined. */
  readonly resumeAfter: FeedPosition | null;
}

interface SourceState {
  readonly source: RowSource;
  frontier: FeedPosition | null;
  exhausted: boolean;
  buffer: FeedRef[];
}

/**
 * k-way merge of newest-first sources with a safety bound: a row is emitted only when no source could
 * still produce a newer one, i.e. when it is not older than the *newest* frontier (last row read) of any
 * source that is not exhausted. The result is therefore exactly the merged feed, never a guess; when the
 * round budget runs out the page is simply shorter, and `resumeAfter` is the safe frontier (every row at
 * or above it has been examined), so the next page neither repeats nor skips anything.
 *
 * Cost bound: at most `maxRounds` waves of concurrent reads, each touching at most `sources.length`
 * sources, plus one `accept` call per wave (which the caller bounds to one round trip wave).
 */
export async function mergePage<T>(opts: MergeOptions<T>): Promise<MergeResult<T>> {
  const states: SourceState[] = opts.sources.map((source) => ({ source, frontier: opts.before, exhausted: false, buffer: [] }));
  const out: T[] = [];
  const seen = new Set<string>();
  let examinedTo: FeedPosition | null = opts.before;

  for (let round = 0; round < opts.maxRounds; round++) {
    const live = states.filter((s) => !s.exhausted);
    // Read from the sources that limit the safe bound: the ones whose frontier is the newest.
    const bound = newestFrontier(live);
    const toRead = round === 0 ? live : live.filter((s) => sameOrNewer(s.frontier, bound));
    await forEachBounded(toRead, opts.concurrency ?? toRead.length, async (s) => {
      const page = await s.source.read(s.frontier, opts.batch);
      s.buffer.push(...page.rows);
      const last = page.rows[page.rows.length - 1];
      if (last) s.frontier = last;
      s.exhausted = page.exhausted || page.rows.length === 0;
    });
    const safeBound = newestFrontier(states.filter((s) => !s.exhausted));
    const safe: FeedRef[] = [];
    for (const s of states) {
      const keep: FeedRef[] = [];
      for (const r of s.buffer) (safeBound === null || compareNewestFirst(r, safeBound) <= 0 ? safe : keep).push(r);
      s.buffer = keep;
    }
    safe.sort(compareNewestFirst);
    const fresh = safe.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
    // Hydrate only as many candidates as the page still needs (twice, to absorb filtered rows).
    let i = 0;
    while (i < fresh.length && out.length < opts.want) {
      const slice = fresh.slice(i, i + Math.max(8, (opts.want - out.length) * 2));
      i += slice.length;
      const accepted = await opts.accept(slice);
      for (const item of accepted) {
        if (out.length >= opts.want) break;
        out.push(item);
      }
      if (out.length >= opts.want) {
        const lastOut = out[out.length - 1];
        return { items: out, resumeAfter: lastOut ? opts.positionOf(lastOut) : examinedTo };
      }
      const lastSlice = slice[slice.length - 1];
      if (lastSlice) examinedTo = lastSlice;
    }
    if (safeBound === null) return { items: out, resumeAfter: null };
    examinedTo = safeBound;
  }
  return { items: out, resumeAfter: examinedTo };
}

function newestFrontier(states: readonly SourceState[]): FeedPosition | null {
  let best: FeedPosition | null = null;
  for (const s of states) {
    if (s.frontier === null) return null; // unread source: nothing is safe yet
    if (best === null || compareNewestFirst(s.frontier, best) < 0) best = s.frontier;
  }
  return best;
}

const sameOrNewer = (p: FeedPosition | null, bound: FeedPosition | null): boolean =>
  p === null || bound === null || compareNewestFirst(p, bound) <= 0;
