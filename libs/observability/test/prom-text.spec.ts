import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText, sumByLabels, sumHistogram, sumSamples } from '../src/prom-text';

describe('parsePrometheusText', () => {
  it('reads names, escaped labels, special values and timestamps; skips comments and malformed lines', () => {
    const text = [
      '# HELP x_total things',
      '# TYPE x_total counter',
      'x_total{topic="a",code="q\\"uote\\\\",service="w"} 3',
      'x_total 4 1700000000000',
      'y{le="+Inf"} +Inf',
      'z NaN',
      'broken{topic="a" 5',
      'no_value',
      '',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual([
      { name: 'x_total', labels: { topic: 'a', code: 'q"uote\\', service: 'w' }, value: 3 },
      { name: 'x_total', labels: {}, value: 4 },
      { name: 'y', labels: { le: '+Inf' }, value: Infinity },
      { name: 'z', labels: {}, value: NaN },
    ]);
  });

  it('never throws on a foreign or truncated body', () => {
    expect(parsePrometheusText('<html>not metrics</html>\n{"a":1}\nx{')).toEqual([]);
  });
});

describe('sums over several processes', () => {
  /** Two registries stand for two workers' /metrics. */
  async function scrape(observe: (c: Counter<'topic' | 'code'>, h: Histogram<'op'>) => void): Promise<string> {
    const registry = new Registry();
    const c = new Counter({ name: 'dead_total', help: 'h', labelNames: ['topic', 'code'], registers: [registry] });
    const h = new Histogram({ name: 'dur_seconds', help: 'h', labelNames: ['op'], buckets: [0.1, 1], registers: [registry] });
    observe(c, h);
    return registry.metrics();
  }

  it('sums counters in total and per label set, and histograms per bound (still cumulative)', async () => {
    const a = await scrape((c, h) => {
      c.inc({ topic: 'activities', code: 'INVALID_RECORD' }, 2);
      h.observe({ op: 'post' }, 0.05);
      h.observe({ op: 'delete' }, 0.5);
    });
    const b = await scrape((c, h) => {
      c.inc({ topic: 'activities', code: 'INVALID_RECORD' });
      c.inc({ topic: 'follows', code: 'INVALID_RECORD' });
      h.observe({ op: 'post' }, 5);
    });
    const samples = [...parsePrometheusText(a), ...parsePrometheusText(b)];
    expect(sumSamples(samples, 'dead_total')).toBe(4);
    expect(sumByLabels(samples, 'dead_total', ['topic', 'code'])).toEqual([
      { topic: 'activities', code: 'INVALID_RECORD', value: 3 },
      { topic: 'follows', code: 'INVALID_RECORD', value: 1 },
    ]);
    const hist = sumHistogram(samples, 'dur_seconds');
    expect(hist.count).toBe(3);
    expect(hist.sum).toBeCloseTo(5.55);
    expect(hist.buckets).toEqual([
      { le: 0.1, count: 1 },
      { le: 1, count: 2 },
    ]);
  });

  it('an absent metric is zero, with no buckets', () => {
    expect(sumHistogram([], 'nothing')).toEqual({ count: 0, sum: 0, buckets: [] });
    expect(sumSamples([], 'nothing')).toBe(0);
  });
});
