/**
 * Reading the Prometheus text exposition format (what /metrics serves), enough to sum counters and
 * histograms over several processes. Pure functions, no I/O.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface HistogramSnapshot {
  readonly count: number;
  readonly sum: number;
  /** Cumulative counts per finite upper bound, ascending (`+Inf` is `count`). */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;

/** `{a="x",b="y\"z"}` starting at `text[0]`: the labels and the characters consumed, or null if malformed. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | null {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, length: i + 1 };
    const key = NAME.exec(text.slice(i))?.[0];
    if (!key) return null;
    i += key.length;
    if (text[i] !== '=' || text[i + 1] !== '"') return null;
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return null;
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[key] = value;
    i++;
  }
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/**
 * Every sample line of an exposition; comments, blank and malformed lines are skipped (a scrape of a
 * foreign or truncated body yields fewer samples, never an exception). Values: numbers, `±Inf`, `NaN`.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = rest.slice(parsed.length);
    }
    // The value, then an optional timestamp.
    const valueText = rest.trim().split(/\s+/)[0] ?? '';
    const value = parseValue(valueText);
    if (valueText === '' || (Number.isNaN(value) && valueText !== 'NaN')) continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** The sum of every sample named `name` (all label sets); NaN samples count as 0. */
export function sumSamples(samples: readonly PromSample[], name: string): number {
  return samples.reduce((acc, s) => (s.name === name && !Number.isNaN(s.value) ? acc + s.value : acc), 0);
}

/** Sums of `name` grouped by the values of `keys` (a sample lacking a key groups under ""), in first-seen order. */
export function sumByLabels<K extends string>(samples: readonly PromSample[], name: string, keys: readonly K[]): (Record<K, string> & { value: number })[] {
  const groups = new Map<string, Record<K, string> & { value: number }>();
  for (const s of samples) {
    if (s.name !== name || Number.isNaN(s.value)) continue;
    const labels = Object.fromEntries(keys.map((k) => [k, s.labels[k] ?? ''])) as Record<K, string>;
    const id = JSON.stringify(keys.map((k) => labels[k]));
    const g = groups.get(id);
    if (g) g.value += s.value;
    else groups.set(id, { ...labels, value: s.value });
  }
  return [...groups.values()];
}

/**
 * The histogram `name` summed over every label set (routes, ops, processes): `_count`, `_sum` and the
 * cumulative `_bucket` counts per finite `le`. Summing cumulative buckets per bound keeps them cumulative.
 */
export function sumHistogram(samples: readonly PromSample[], name: string): HistogramSnapshot {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || Number.isNaN(s.value)) continue;
    const le = parseValue(s.labels['le'] ?? '');
    if (!Number.isFinite(le)) continue;
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return {
    count: sumSamples(samples, `${name}_count`),
    sum: sumSamples(samples, `${name}_sum`),
    buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count })),
  };
}
