import { compareNewestFirst, FeedPosition } from '@app/domain';
import { mulberry32 } from '@app/testing';
import { FeedRef, SlicePage } from '../src/ports';
import { mergePage, MergeResult, RowSource } from '../src/read/page-merger';

const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

const olderThan = (p: FeedPosition, before: FeedPosition | null): boolean => before === null || compareNewestFirst(before, p) < 0;

/** A newest-first source over a (mutable) array, like a Cassandra slice: strictly older than `before`. */
class ArraySource implements RowSource {
  reads = 0;
  constructor(
    readonly rows: FeedRef[],
    private readonly exhaustedEarly: boolean,
  ) {}

  insert(ref: FeedRef): void {
    this.rows.push(ref);
    this.rows.sort(compareNewestFirst);
  }

  async read(before: FeedPosition | null, limit: number): Promise<SlicePage> {
    this.reads++;
    const older = this.rows.filter((r) => olderThan(r, before));
    const rows = older.slice(0, limit).map((r) => ({ ...r }));
    // Some stores only know they are exhausted on an empty read; others can tell on the last page.
    return { rows, exhausted: this.exhaustedEarly ? older.length <= limit : older.length === 0 };
  }
}

interface Scenario {
  sources: ArraySource[];
  universe: FeedRef[];
  rejected: Set<string>;
  want: number;
  batch: number;
  maxRounds: number;
}

function scenario(seed: number): Scenario {
  const rnd = mulberry32(seed);
  const universeSize = int(rnd, 0, 60);
  const universe: FeedRef[] = [];
  const used = new Set<string>();
  // Few distinct ms values so ties on published (ordered by id) are common.
  const msSpan = int(rnd, 1, 40);
  while (universe.length < universeSize) {
    const id = `ID${String(int(rnd, 0, 9999)).padStart(4, '0')}`;
    if (used.has(id)) continue;
    used.add(id);
    universe.push({ ms: 1_700_000_000_000 + int(rnd, 0, msSpan) * 1000, id, actor: `a${int(rnd, 0, 4)}` });
  }
  const k = int(rnd, 1, 5);
  const lists: FeedRef[][] = Array.from({ length: k }, () => []);
  for (const ref of universe) {
    // every item lands in at least one source, some in several (home timeline + pulled author feed)
    const first = int(rnd, 0, k - 1);
    lists[first]?.push(ref);
    for (let s = 0; s < k; s++) if (s !== first && rnd() < 0.25) lists[s]?.push(ref);
  }
  const sources = lists.map((l) => new ArraySource(l.sort(compareNewestFirst), rnd() < 0.5));
  const rejectRate = rnd() < 0.3 ? 0 : rnd() * 0.7;
  const rejected = new Set(universe.filter(() => rnd() < rejectRate).map((r) => r.id));
  return { sources, universe, rejected, want: int(rnd, 1, 12), batch: int(rnd, 1, 10), maxRounds: int(rnd, 1, 4) };
}

async function page(s: Scenario, before: FeedPosition | null, acceptCalls: FeedRef[][] = []): Promise<MergeResult<FeedRef>> {
  return mergePage<FeedRef>({
    sources: s.sources,
    before,
    want: s.want,
    batch: s.batch,
    maxRounds: s.maxRounds,
    accept: async (rows) => {
      acceptCalls.push(rows);
      return rows.filter((r) => !s.rejected.has(r.id));
    },
    positionOf: (r) => r,
  });
}

const expected = (s: Scenario, before: FeedPosition | null = null): string[] =>
  [...s.universe].sort(compareNewestFirst).filter((r) => olderThan(r, before) && !s.rejected.has(r.id)).map((r) => r.id);

async function pageThrough(s: Scenario, onPage?: (resume: FeedPosition) => void): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let before: FeedPosition | null = null;
  let pages = 0;
  for (;;) {
    const acceptCalls: FeedRef[][] = [];
    const r = await page(s, before, acceptCalls);
    pages++;
    if (pages > 10_000) throw new Error('paging does not terminate');
    if (r.items.length > s.want) throw new Error(`page of ${r.items.length} > want ${s.want}`);
    // accept always sees rows in feed order, strictly after the resume point, never twice in one page
    const hydrated = acceptCalls.flat();
    for (let i = 0; i < hydrated.length; i++) {
      const x = hydrated[i] as FeedRef;
      const prev = hydrated[i - 1];
      if (prev && compareNewestFirst(prev, x) >= 0) throw new Error(`accept saw ${prev.id} then ${x.id}: not strictly newest first`);
      if (!olderThan(x, before)) throw new Error(`accept saw ${x.id}, not after the resume point ${JSON.stringify(before)}`);
    }
    ids.push(...r.items.map((x) => x.id));
    if (r.resumeAfter === null) break;
    // every page makes progress
    if (before !== null && compareNewestFirst(before, r.resumeAfter) >= 0) throw new Error(`no progress past ${JSON.stringify(before)}`);
    before = r.resumeAfter;
    onPage?.(r.resumeAfter);
  }
  return { ids, pages };
}

describe('mergePage (property: paging yields exactly the merged feed)', () => {
  it('concatenated pages equal the merged, filtered, de-duplicated, newest-first list for 200 seeds', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const s = scenario(seed);
      const { ids } = await pageThrough(s);
      if (JSON.stringify(ids) !== JSON.stringify(expected(s))) {
        throw new Error(`seed ${seed}: got ${JSON.stringify(ids)}\nexpected ${JSON.stringify(expected(s))}`);
      }
    }
  });

  it('resuming from any position returns exactly the rest of the feed', async () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const s = scenario(seed);
      const all = [...s.universe].sort(compareNewestFirst);
      const pivot = all[Math.floor(all.length / 2)];
      if (!pivot) continue;
      const ids: string[] = [];
      let before: FeedPosition | null = pivot;
      for (let n = 0; before !== null; n++) {
        if (n > 10_000) throw new Error('paging does not terminate');
        const r: MergeResult<FeedRef> = await page(s, before);
        ids.push(...r.items.map((x) => x.id));
        before = r.resumeAfter;
      }
      expect({ seed, ids }).toEqual({ seed, ids: expected(s, pivot) });
    }
  });

  it('never returns items newer than the start position, even when new items arrive at the head between pages', async () => {
    for (let seed = 2000; seed < 2200; seed++) {
      const s = scenario(seed);
      const rnd = mulberry32(seed * 7 + 1);
      const expectedIds = expected(s);
      const newest = [...s.universe].sort(compareNewestFirst)[0];
      let n = 0;
      const { ids } = await pageThrough(s, () => {
        // a brand-new activity (newer than anything) lands in a random source, sometimes in two
        n++;
        const ref: FeedRef = { ms: (newest?.ms ?? 1_700_000_000_000) + n * 1000, id: `NEW${String(n).padStart(4, '0')}`, actor: 'x' };
        s.sources[int(rnd, 0, s.sources.length - 1)]?.insert(ref);
        if (rnd() < 0.3) s.sources[int(rnd, 0, s.sources.length - 1)]?.insert(ref);
      });
      expect(ids.filter((id) => id.startsWith('NEW'))).toEqual([]);
      expect({ seed, ids }).toEqual({ seed, ids: expectedIds });
    }
  });

  it('a page is full whenever enough qualifying items remain and rounds allow', async () => {
    const rows: FeedRef[] = Array.from({ length: 30 }, (_, i) => ({ ms: 1000 - i, id: `R${String(i).padStart(2, '0')}`, actor: 'a' }));
    const s: Scenario = {
      sources: [new ArraySource(rows.filter((_, i) => i % 2 === 0), true), new ArraySource(rows.filter((_, i) => i % 2 === 1), false)],
      universe: rows,
      rejected: new Set(),
      want: 10,
      batch: 10,
      maxRounds: 10,
    };
    const r = await page(s, null);
    expect(r.items.map((x) => x.id)).toEqual(rows.slice(0, 10).map((x) => x.id));
    expect(r.resumeAfter).toEqual({ ms: 991, id: 'R09', actor: 'a' });
  });

  it('reports the end (resumeAfter null) once every source is exhausted', async () => {
    const s: Scenario = {
      sources: [new ArraySource([{ ms: 2, id: 'B', actor: 'a' }], false), new ArraySource([], false)],
      universe: [{ ms: 2, id: 'B', actor: 'a' }],
      rejected: new Set(),
      want: 5,
      batch: 5,
      maxRounds: 5,
    };
    const r = await page(s, null);
    expect(r.items.map((x) => x.id)).toEqual(['B']);
    expect(r.resumeAfter).toBeNull();
    expect(await page({ ...s, sources: [] }, null)).toEqual({ items: [], resumeAfter: null });
  });

  it('bounds the work: at most maxRounds read waves per page', async () => {
    for (let seed = 3000; seed < 3050; seed++) {
      const s = scenario(seed);
      await page(s, null);
      const reads = s.sources.reduce((n, src) => n + src.reads, 0);
      expect(reads).toBeLessThanOrEqual(s.maxRounds * s.sources.length);
    }
  });
});
