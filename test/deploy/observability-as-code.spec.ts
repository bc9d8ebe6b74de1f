import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { MetricsService } from '@app/observability';
import { LiveHub } from '../../apps/api/src/live/live-hub';
import { DriverMetrics } from '../../apps/fanout-worker/src/driver-metrics';
import { DeliveryService } from '../../libs/feeds/src/write/delivery.service';

/**
 * The Grafana dashboard and the Prometheus alert rules (deploy/) may only name metrics and labels that the two
 * apps really export. The list comes from the code: each app's registry is built the way the app builds it
 * (MetricsService, plus the API's live hub gauge, plus the worker's statement-budget and driver gauges) and
 * read with getMetricsAsJSON(); histograms add their _bucket (with `le`), _sum and _count series. Renaming a
 * metric or a label in the code without updating deploy/ fails here.
 *
 * Every PromQL expression is parsed by a small checker below: it finds each selector's metric and label
 * matchers, and follows which labels each sub-expression keeps, so that `by (...)`, `on (...)`,
 * histogram_quantile's `le`, legends (`{{route}}`) and annotation templates (`$labels.topic`) can be checked
 * against labels that exist at that point.
 */

const ROOT = path.join(__dirname, '..', '..');
const DASHBOARD = 'deploy/grafana/tideline-dashboard.json';
const ALERTS = 'deploy/prometheus/tideline-alerts.yml';
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

type Service = 'api' | 'fanout-worker';

/** One series name a scrape can return: its metric, its labels, and which services export it. */
interface Series {
  readonly metric: string;
  readonly labels: ReadonlySet<string>;
  readonly services: ReadonlySet<Service>;
}
type Catalogue = Map<string, Series>;

/** Prometheus adds these to every scraped series (target labels). */
const TARGET_LABELS = ['job', 'instance'];
/**
 * Series that do not come from the apps: `up` (Prometheus, per scrape target) and `probe_success` (the blackbox
 * exporter probing /health/ready, with the `service` target label deploy/README.md's scrape config sets).
 */
const EXTERNAL: Record<string, readonly string[]> = { up: [], probe_success: ['service'] };

async function apiRegistry(): Promise<Registry> {
  const metrics = new MetricsService({ service: 'api' });
  // The hub registers tideline_sse_connections on the app's registry in its constructor.
  new LiveHub({ subscribe: () => () => undefined }, {} as never, {} as never, {} as never, {} as never, { streamsPerUser: 5, tuning: { liveRefreshMs: 30_000 } } as never, metrics);
  return metrics.registry;
}

async function workerRegistry(): Promise<Registry> {
  const metrics = new MetricsService({ service: 'fanout-worker' });
  // DeliveryService hands its statement budget to the fanout metrics (tideline_fanout_statement*).
  const cfg = { policy: {}, tuning: { workerStatementBudget: 8 } };
  new DeliveryService(cfg as never, {} as never, {} as never, {} as never, {} as never, {} as never, {} as never, metrics.fanout, {} as never);
  const client = { getState: () => ({ getConnectedHosts: () => [], getInFlightQueries: () => 0 }) };
  new DriverMetrics(client as never, metrics).onModuleInit();
  return metrics.registry;
}

/** Label names every value of every metric carries: the registry's default labels. */
async function defaultLabels(registry: Registry): Promise<Map<string, string>> {
  const values = (await registry.getMetricsAsJSON()).flatMap((m) => m.values as { labels: Record<string, string | number> }[]);
  const common = new Map(Object.entries(values[0]?.labels ?? {}).map(([k, v]) => [k, String(v)]));
  for (const v of values) for (const k of [...common.keys()]) if (String(v.labels[k]) !== common.get(k)) common.delete(k);
  return common;
}

async function exportedSeries(registries: Record<Service, Registry>): Promise<Catalogue> {
  const out: Catalogue = new Map();
  const add = (name: string, metric: string, labels: Iterable<string>, service?: Service): void => {
    const prev = out.get(name);
    const all = new Set([...(prev?.labels ?? []), ...labels, ...TARGET_LABELS]);
    const services = new Set(prev?.services ?? []);
    if (service) services.add(service);
    out.set(name, { metric, labels: all, services });
  };
  for (const [service, registry] of Object.entries(registries) as [Service, Registry][]) {
    const defaults = [...(await defaultLabels(registry)).keys()];
    for (const m of await registry.getMetricsAsJSON()) {
      // prom-client keeps a metric's declared label names on the metric object (not in its type declarations).
      const declared = (registry.getSingleMetric(m.name) as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
      const labels = [...declared, ...defaults];
      // At run time `type` is prom-client's string ('counter', 'histogram', ...); its declarations say an enum.
      const type = String(m.type);
      if (type === 'histogram') {
        add(`${m.name}_bucket`, m.name, [...labels, 'le'], service);
        add(`${m.name}_sum`, m.name, labels, service);
        add(`${m.name}_count`, m.name, labels, service);
      } else if (type === 'summary') {
        add(m.name, m.name, [...labels, 'quantile'], service);
        add(`${m.name}_sum`, m.name, labels, service);
        add(`${m.name}_count`, m.name, labels, service);
      } else {
        add(m.name, m.name, labels, service);
      }
    }
  }
  for (const [name, labels] of Object.entries(EXTERNAL)) add(name, name, labels);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// A PromQL checker: enough of the grammar for dashboards and alert rules (selectors, ranges, subqueries,
// offset/@, aggregations with by/without, functions, binary operators with bool/on/ignoring/group_*).

type TokKind = 'ident' | 'num' | 'dur' | 'str' | 'op' | 'eof';
interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly pos: number;
}

const OPS = ['==', '!=', '=~', '!~', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '^', '(', ')', '{', '}', '[', ']', ',', ':', '@'];

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    const ws = /^(\s+|#[^\n]*)/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      let j = 1;
      let value = '';
      while (j < rest.length && rest[j] !== quote) {
        if (rest[j] === '\\' && quote !== '`') j++;
        value += rest[j] ?? '';
        j++;
      }
      if (j >= rest.length) throw new Error(`unterminated string at ${i}`);
      toks.push({ kind: 'str', text: value, pos: i });
      i += j + 1;
      continue;
    }
    const dur = /^(\d+(ms|[smhdwy]))+(?!\w)/.exec(rest);
    const num = /^(0x[0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)(?![\w:])/.exec(rest);
    const ident = /^[a-zA-Z_][\w:]*/.exec(rest);
    const op = OPS.find((o) => rest.startsWith(o));
    const [kind, text]: [TokKind, string] | [undefined, undefined] = dur
      ? ['dur', dur[0]]
      : num
        ? ['num', num[0]]
        : ident
          ? ['ident', ident[0]]
          : op
            ? ['op', op]
            : [undefined, undefined];
    if (!kind) throw new Error(`unexpected ${JSON.stringify(rest.slice(0, 12))} at ${i}`);
    toks.push({ kind, text, pos: i });
    i += text.length;
  }
  toks.push({ kind: 'eof', text: '', pos: src.length });
  return toks;
}

/** What a sub-expression evaluates to; for an instant or range vector, the labels its series can carry. */
type Value = { readonly kind: 'vector'; readonly labels: ReadonlySet<string> } | { readonly kind: 'scalar' } | { readonly kind: 'string'; readonly value: string };
const vector = (labels: Iterable<string>): Value => ({ kind: 'vector', labels: new Set(labels) });
const SCALAR: Value = { kind: 'scalar' };

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
/** Functions whose result keeps the labels of their (first) vector argument. */
const LABEL_KEEPING = new Set(
  [
    'abs', 'ceil', 'floor', 'round', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'clamp', 'clamp_min', 'clamp_max',
    'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear', 'changes', 'resets', 'holt_winters',
    'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'quantile_over_time',
    'stddev_over_time', 'stdvar_over_time', 'last_over_time', 'present_over_time', 'timestamp', 'sort', 'sort_desc',
    'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year',
  ],
);
const SCALAR_FUNCTIONS = new Set(['scalar', 'time', 'pi']);
const BINARY_PRECEDENCE: Record<string, number> = {
  or: 1, and: 2, unless: 2,
  '==': 3, '!=': 3, '<=': 3, '<': 3, '>=': 3, '>': 3,
  '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, atan2: 5, '^': 6,
};
const SET_OPERATORS = new Set(['and', 'or', 'unless']);

interface Selector {
  readonly metric: string;
  readonly matchers: readonly { label: string; op: string; value: string }[];
}

export interface Analysis {
  readonly selectors: Selector[];
  readonly problems: string[];
  /** The labels of the expression's result (null for a scalar or a parse error). */
  readonly output: ReadonlySet<string> | null;
}

class PromqlChecker {
  private i = 0;
  readonly selectors: Selector[] = [];
  readonly problems: string[] = [];

  constructor(
    private readonly toks: Tok[],
    private readonly series: Catalogue,
  ) {}

  run(): Value {
    const v = this.expr(1);
    if (this.peek().kind !== 'eof') throw new Error(`unexpected "${this.peek().text}" at ${this.peek().pos}`);
    return v;
  }

  private peek(): Tok {
    return this.toks[this.i] as Tok;
  }
  private next(): Tok {
    return this.toks[this.i++] as Tok;
  }
  private is(text: string, kind: TokKind = 'op'): boolean {
    return this.peek().kind === kind && this.peek().text === text;
  }
  private expect(text: string, kind: TokKind = 'op'): Tok {
    if (!this.is(text, kind)) throw new Error(`expected "${text}" at ${this.peek().pos}, got "${this.peek().text}"`);
    return this.next();
  }
  private want(what: string, kind: TokKind): Tok {
    if (this.peek().kind !== kind) throw new Error(`expected ${what} at ${this.peek().pos}, got "${this.peek().text}"`);
    return this.next();
  }

  private labelList(): string[] {
    this.expect('(');
    const labels: string[] = [];
    while (!this.is(')')) {
      labels.push(this.want('a label name', 'ident').text);
      if (!this.is(')')) this.expect(',');
    }
    this.next();
    return labels;
  }

  private need(labels: readonly string[], v: Value, where: string): void {
    if (v.kind !== 'vector') return;
    for (const l of labels) if (!v.labels.has(l)) this.problems.push(`${where}: label "${l}" does not exist there (has ${[...v.labels].sort().join(', ')})`);
  }

  private expr(minPrec: number): Value {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'op' || t.kind === 'ident' ? BINARY_PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      const op = this.next().text;
      if (this.is('bool', 'ident')) this.next();
      let matching: { on: boolean; labels: string[] } | null = null;
      if (this.is('on', 'ident') || this.is('ignoring', 'ident')) matching = { on: this.next().text === 'on', labels: this.labelList() };
      let group: { left: boolean; labels: string[] } | null = null;
      if (this.is('group_left', 'ident') || this.is('group_right', 'ident')) {
        const isLeft = this.next().text === 'group_left';
        group = { left: isLeft, labels: this.is('(') ? this.labelList() : [] };
      }
      const right = this.expr(op === '^' ? prec : prec + 1);
      left = this.combine(op, left, right, matching, group);
    }
  }

  private combine(op: string, l: Value, r: Value, matching: { on: boolean; labels: string[] } | null, group: { left: boolean; labels: string[] } | null): Value {
    if (l.kind !== 'vector') return r.kind === 'vector' ? r : SCALAR;
    if (r.kind !== 'vector') return l;
    if (matching?.on) {
      this.need(matching.labels, l, `left of "${op} on"`);
      this.need(matching.labels, r, `right of "${op} on"`);
    }
    if (SET_OPERATORS.has(op)) return op === 'or' ? vector([...l.labels, ...r.labels]) : l;
    if (group) {
      this.need(group.labels, group.left ? r : l, `group_${group.left ? 'left' : 'right'}`);
      return vector([...(group.left ? l : r).labels, ...group.labels]);
    }
    if (matching) return matching.on ? vector(matching.labels) : vector([...l.labels].filter((x) => !matching.labels.includes(x)));
    return l;
  }

  private unary(): Value {
    if (this.is('-') || this.is('+')) this.next();
    return this.postfix(this.primary());
  }

  private postfix(v: Value): Value {
    for (;;) {
      if (this.is('[')) {
        this.next();
        this.want('a duration', 'dur');
        if (this.is(':')) {
          this.next();
          if (this.peek().kind === 'dur') this.next();
        }
        this.expect(']');
      } else if (this.is('offset', 'ident')) {
        this.next();
        if (this.is('-')) this.next();
        this.want('a duration', 'dur');
      } else if (this.is('@')) {
        this.next();
        if (this.peek().kind === 'num') this.next();
        else {
          this.want('start() or end()', 'ident');
          this.expect('(');
          this.expect(')');
        }
      } else {
        return v;
      }
    }
  }

  private primary(): Value {
    const t = this.peek();
    if (t.kind === 'num' || (t.kind === 'ident' && /^(inf|nan)$/i.test(t.text))) {
      this.next();
      return SCALAR;
    }
    if (t.kind === 'str') {
      this.next();
      return { kind: 'string', value: t.text };
    }
    if (this.is('(')) {
      this.next();
      const v = this.expr(1);
      this.expect(')');
      return v;
    }
    if (this.is('{')) return this.selector(null);
    const name = this.want('an expression', 'ident').text;
    if (AGGREGATIONS.has(name)) return this.aggregation(name);
    if (this.is('(')) return this.call(name);
    return this.selector(name);
  }

  private args(): Value[] {
    this.expect('(');
    const args: Value[] = [];
    while (!this.is(')')) {
      args.push(this.expr(1));
      if (!this.is(')')) this.expect(',');
    }
    this.next();
    return args;
  }

  private aggregation(name: string): Value {
    const grouping = (): { by: boolean; labels: string[] } | null =>
      this.is('by', 'ident') || this.is('without', 'ident') ? { by: this.next().text === 'by', labels: this.labelList() } : null;
    const before = grouping();
    const args = this.args();
    const g = before ?? grouping();
    const inner = args[args.length - 1];
    if (!inner || inner.kind !== 'vector') throw new Error(`${name}() needs a vector`);
    if (g) this.need(g.labels, inner, `${name} ${g.by ? 'by' : 'without'} (${g.labels.join(', ')})`);
    if (name === 'topk' || name === 'bottomk' || name === 'limitk' || name === 'limit_ratio') return inner;
    const kept = !g ? [] : g.by ? g.labels : [...inner.labels].filter((l) => !g.labels.includes(l));
    const param = args[0];
    return vector(name === 'count_values' && param?.kind === 'string' ? [...kept, param.value] : kept);
  }

  private call(name: string): Value {
    const args = this.args();
    const firstVector = args.find((a): a is Extract<Value, { kind: 'vector' }> => a.kind === 'vector');
    const str = (n: number): string => {
      const a = args[n];
      return a?.kind === 'string' ? a.value : '';
    };
    if (SCALAR_FUNCTIONS.has(name)) return SCALAR;
    if (name === 'vector' || name === 'absent' || name === 'absent_over_time') return vector([]);
    if (!firstVector) throw new Error(`${name}() needs a vector argument`);
    if (name === 'histogram_quantile') {
      this.need(['le'], firstVector, 'histogram_quantile');
      return vector([...firstVector.labels].filter((l) => l !== 'le'));
    }
    if (name === 'label_replace' || name === 'label_join') {
      const sources = name === 'label_replace' ? [str(3)] : args.slice(3).map((_, k) => str(k + 3));
      this.need(sources.filter((s) => s !== ''), firstVector, name);
      return vector([...firstVector.labels, str(1)]);
    }
    if (!LABEL_KEEPING.has(name)) throw new Error(`unknown function ${name}()`);
    return firstVector;
  }

  private selector(name: string | null): Value {
    const matchers: { label: string; op: string; value: string }[] = [];
    if (this.is('{')) {
      this.next();
      while (!this.is('}')) {
        const label = this.want('a label name', 'ident').text;
        const op = this.next();
        if (op.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text)) throw new Error(`expected a label matcher at ${op.pos}`);
        matchers.push({ label, op: op.text, value: this.want('a string', 'str').text });
        if (!this.is('}')) this.expect(',');
      }
      this.next();
    }
    const metric = name ?? matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
    if (!metric) throw new Error('a selector without a metric name');
    this.selectors.push({ metric, matchers });
    const series = this.series.get(metric);
    if (!series) {
      this.problems.push(`metric "${metric}" is not exported by the apps`);
      return vector(matchers.map((m) => m.label));
    }
    const v = vector(series.labels);
    for (const m of matchers) if (m.label !== '__name__') this.need([m.label], v, `${metric}{${m.label}${m.op}"${m.value}"}`);
    const service = matchers.find((m) => m.label === 'service' && m.op === '=')?.value;
    if (service && series.services.size > 0 && !series.services.has(service as Service)) {
      this.problems.push(`metric "${metric}" is not exported by service "${service}"`);
    }
    return v;
  }
}

/** Parses `expr` and checks it against the exported series; never throws (a parse error is a problem). */
function analyse(expr: string, series: Catalogue): Analysis {
  try {
    const c = new PromqlChecker(lex(expr), series);
    const v = c.run();
    return { selectors: c.selectors, problems: c.problems, output: v.kind === 'vector' ? v.labels : null };
  } catch (e) {
    return { selectors: [], problems: [`cannot parse: ${(e as Error).message}`], output: null };
  }
}

// ---------------------------------------------------------------------------------------------------------

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: { refId?: string; expr?: string; legendFormat?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
interface TemplateVar {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: { uid?: string };
}

const GRAFANA_BUILTINS: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1h' };

/** Grafana's variables replaced by a value PromQL accepts where they stand (durations or regexes in strings). */
function substitute(expr: string, vars: readonly string[], problems: string[], where: string): string {
  return expr.replace(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g, (_all, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    if (GRAFANA_BUILTINS[name]) return GRAFANA_BUILTINS[name];
    if (!vars.includes(name)) problems.push(`${where}: variable $${name} is not defined`);
    return '.*';
  });
}

/** GitHub's anchor for a Markdown heading. */
const anchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const templateLabels = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1] as string);

describe('dashboards and alerts as code (deploy/)', () => {
  let registries: Record<Service, Registry>;
  let series: Catalogue;
  const rules: Rule[] = (parseYaml(read(ALERTS)) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
  const alerts = rules.filter((r) => r.alert);
  const dashboard = JSON.parse(read(DASHBOARD)) as { schemaVersion: number; uid: string; panels: Panel[]; templating: { list: TemplateVar[] } };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
  const varNames = dashboard.templating.list.map((v) => v.name);

  beforeAll(async () => {
    registries = { api: await apiRegistry(), 'fanout-worker': await workerRegistry() };
    series = await exportedSeries(registries);
  });

  describe('the metrics the apps export', () => {
    it('carry `service` as a registry default label, on every series of each app', async () => {
      for (const [service, registry] of Object.entries(registries)) {
        expect(Object.fromEntries(await defaultLabels(registry))).toEqual({ service });
        const lines = (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
        expect(lines.length).toBeGreaterThan(20);
        for (const line of lines) expect(line).toContain(`service="${service}"`);
      }
    });

    it('include what the deploy files rely on, each in the app that produces it', () => {
      const from = (name: string): Service[] => [...(series.get(name)?.services ?? [])].sort();
      expect(from('tideline_sse_connections')).toEqual(['api']);
      expect(from('tideline_fanout_statements_in_flight')).toEqual(['fanout-worker']);
      expect(from('tideline_cassandra_in_flight')).toEqual(['fanout-worker']);
      expect([...(series.get('http_request_duration_seconds_bucket')?.labels ?? [])].sort()).toEqual(['instance', 'job', 'le', 'method', 'route', 'service', 'status']);
      expect([...(series.get('tideline_consumer_lag')?.labels ?? [])].sort()).toEqual(['instance', 'job', 'partition', 'service', 'topic']);
    });

    it('are what the checker accepts: a renamed metric, a missing label, a wrong join or a typo are caught', () => {
      const problems = (e: string): string[] => analyse(e, series).problems;
      expect(problems('sum by (topic) (max by (topic, partition) (tideline_consumer_lag{service="fanout-worker"}))')).toEqual([]);
      expect(problems('deriv(sum(tideline_consumer_lag)[10m:]) > 0 and deriv(sum(tideline_consumer_lag offset 5m)[10m:30s]) > 0')).toEqual([]);
      expect(problems('rate(tideline_fanout_deliverd_total[5m])')).toEqual(['metric "tideline_fanout_deliverd_total" is not exported by the apps']);
      expect(problems('sum by (code) (rate(tideline_records_consumed_total[5m]))')[0]).toMatch(/label "code" does not exist/);
      expect(problems('histogram_quantile(0.99, sum by (route) (rate(http_request_duration_seconds_bucket[5m])))')[0]).toMatch(/label "le"/);
      expect(problems('histogram_quantile(0.99, rate(http_request_duration_seconds_sum[5m]))')[0]).toMatch(/label "le"/);
      expect(problems('http_request_duration_seconds_count{path="/v1/feeds/home/:userId"}')[0]).toMatch(/label "path"/);
      expect(problems('tideline_sse_connections{service="fanout-worker"}')).toEqual(['metric "tideline_sse_connections" is not exported by service "fanout-worker"']);
      expect(problems('tideline_consumer_lag and on (code) tideline_records_dead_lettered_total')[0]).toMatch(/left of "and on": label "code"/);
      expect(problems('rat(tideline_fanout_delivered_total[5m])')).toEqual(['cannot parse: unknown function rat()']);
      expect(problems('sum(rate(tideline_fanout_delivered_total[5m])')[0]).toMatch(/cannot parse/);
      expect(analyse('max by (topic) (tideline_consumer_lag) > 0 unless on (topic) sum by (topic) (rate(tideline_records_consumed_total[5m])) > 0', series).output).toEqual(new Set(['topic']));
    });
  });

  describe(`alert rules (${ALERTS})`, () => {
    it('exist, and every expression names exported metrics and labels that exist where they are used', () => {
      expect(alerts.length).toBeGreaterThanOrEqual(5);
      const problems = rules.flatMap((r) => analyse(r.expr, series).problems.map((p) => `${r.alert ?? r.record}: ${p}`));
      expect(problems).toEqual([]);
    });

    it('every alert has a `for`, a severity, a summary, a description and a runbook section that exists', () => {
      const headings = new Set([...read('docs/operations.md').matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] as string)));
      for (const a of alerts) {
        const what = `${a.alert}`;
        expect([what, a.for]).toEqual([what, expect.stringMatching(/^(\d+(ms|[smhdwy]))+$/)]);
        expect([what, a.labels?.['severity']]).toEqual([what, expect.stringMatching(/^(warning|critical)$/)]);
        expect([what, a.annotations?.['summary']]).toEqual([what, expect.any(String)]);
        expect([what, a.annotations?.['description']]).toEqual([what, expect.any(String)]);
        const [file, section] = (a.annotations?.['runbook_url'] ?? '').split('#');
        expect([what, file, headings.has(section ?? '')]).toEqual([what, 'docs/operations.md', true]);
      }
      expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
    });

    it('annotations only template labels that the alert expression keeps', () => {
      const problems: string[] = [];
      for (const a of alerts) {
        const kept = analyse(a.expr, series).output ?? new Set<string>();
        for (const text of Object.values(a.annotations ?? {})) {
          for (const l of templateLabels(text, /\$labels\.(\w+)/g)) if (!kept.has(l)) problems.push(`${a.alert}: $labels.${l} is not a label of its result`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('cover lag, dead letters, readiness, feed read latency and consumer crashes', () => {
      const used = new Set(alerts.flatMap((a) => analyse(a.expr, series).selectors.map((s) => s.metric)));
      for (const m of ['tideline_consumer_lag', 'tideline_records_dead_lettered_total', 'probe_success', 'up', 'http_request_duration_seconds_bucket', 'tideline_consumer_crashes_total']) {
        expect([m, used.has(m)]).toEqual([m, true]);
      }
    });
  });

  describe(`Grafana dashboard (${DASHBOARD})`, () => {
    it('is a schema 39 dashboard with a Prometheus datasource variable and service and instance variables', () => {
      expect(dashboard.schemaVersion).toBe(39);
      expect(dashboard.uid).toBe('tideline-overview');
      expect(dashboard.templating.list.find((v) => v.name === 'DS_PROMETHEUS')).toMatchObject({ type: 'datasource', query: 'prometheus' });
      const problems: string[] = [];
      for (const name of ['service', 'instance']) {
        const v = dashboard.templating.list.find((t) => t.name === name);
        expect(v).toMatchObject({ type: 'query', datasource: { uid: '${DS_PROMETHEUS}' } });
        const query = typeof v?.query === 'string' ? v.query : (v?.query?.query ?? '');
        const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
        expect(m?.[2]).toBe(name);
        const a = analyse(substitute(m?.[1] ?? '', varNames, problems, `variable ${name}`), series);
        problems.push(...a.problems.map((p) => `variable ${name}: ${p}`));
        if (!a.output?.has(name)) problems.push(`variable ${name}: label_values of a metric without "${name}"`);
      }
      expect(problems).toEqual([]);
    });

    it('every panel has the ${DS_PROMETHEUS} datasource and at least one target with an expression', () => {
      expect(panels.length).toBeGreaterThanOrEqual(8);
      expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
      for (const p of panels) {
        expect([p.title, p.datasource]).toEqual([p.title, { type: 'prometheus', uid: '${DS_PROMETHEUS}' }]);
        expect([p.title, (p.targets ?? []).length > 0]).toEqual([p.title, true]);
        for (const t of p.targets ?? []) {
          expect([p.title, t.datasource?.uid, typeof t.expr, t.expr !== '']).toEqual([p.title, '${DS_PROMETHEUS}', 'string', true]);
        }
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect([p.title, new Set(refIds).size]).toEqual([p.title, refIds.length]);
      }
    });

    it('every expression names exported metrics and labels that exist where they are used, and legends use kept labels', () => {
      const problems: string[] = [];
      for (const p of panels) {
        for (const t of p.targets ?? []) {
          const where = `panel "${p.title}" ${t.refId}`;
          const a = analyse(substitute(t.expr ?? '', varNames, problems, where), series);
          problems.push(...a.problems.map((x) => `${where}: ${x}`));
          for (const l of templateLabels(t.legendFormat ?? '', /\{\{\s*(\w+)\s*\}\}/g)) {
            if (a.output && !a.output.has(l)) problems.push(`${where}: legend {{${l}}} is not a label of its result`);
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('shows lag, deliveries, fanout duration, dead letters, HTTP latency and rate, SSE connections and crashes', () => {
      const used = new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => analyse(substitute(t.expr ?? '', varNames, [], ''), series).selectors.map((s) => s.metric))));
      for (const m of [
        'tideline_consumer_lag',
        'tideline_fanout_delivered_total',
        'tideline_fanout_duration_seconds_bucket',
        'tideline_records_dead_lettered_total',
        'http_request_duration_seconds_bucket',
        'http_request_duration_seconds_count',
        'tideline_sse_connections',
        'tideline_consumer_crashes_total',
      ]) {
        expect([m, used.has(m)]).toEqual([m, true]);
      }
    });
  });
});
