// Operator: GET /v1/ops/overview every 2 s, charts over the last minutes, lag, workers and dead letters.
import type { OpsOverview } from '@tideline/client';
import { isTidelineError } from '@tideline/client';
import type uPlot from 'uplot';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { client, describeError } from '../api';
import { buildSeries, quantile, Snapshot, totalLag, trimHistory } from '../metrics';
import { Empty, Notice } from '../ui';
import { Chart } from './chart';

const POLL_MS = 2000;
const KEEP_MS = 5 * 60_000;

const toSnapshot = (o: OpsOverview): Snapshot => ({
  t: Date.parse(o.at) || Date.now(),
  lag: o.lag,
  delivered: o.counters.delivered,
  deadLettered: o.counters.deadLettered.reduce((n, d) => n + d.count, 0),
  fanout: o.histograms.fanoutSeconds,
  api: o.histograms.apiRequestSeconds,
});

const n0 = (v: number): string => (v >= 10_000 ? `${(v / 1000).toFixed(0)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : `${Math.round(v * 10) / 10}`);
export const secs = (v: number | null): string => (v === null ? '–' : v < 1 ? `${Math.round(v * 1000)} ms` : `${v.toFixed(2)} s`);

type Status = 'loading' | 'ok' | 'forbidden';

export function Operator({ admin }: { admin: boolean }) {
  const [history, setHistory] = useState<Snapshot[]>([]);
  const [latest, setLatest] = useState<OpsOverview | null>(null);
  const [status, setStatus] = useState<Status>(admin ? 'loading' : 'forbidden');
  const [error, setError] = useState<string | null>(null);

  // One request at a time: the next poll is scheduled when the previous one has answered.
  useEffect(() => {
    if (!admin) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const o = await client.opsOverview();
        if (stopped) return;
        setLatest(o);
        setHistory((h) => trimHistory([...h, toSnapshot(o)], KEEP_MS));
        setStatus('ok');
        setError(null);
      } catch (e) {
        if (stopped) return;
        if (isTidelineError(e) && e.status === 403) return setStatus('forbidden');
        setError(describeError(e));
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [admin]);

  const series = useMemo(() => buildSeries(history), [history]);

  if (status === 'forbidden') {
    return (
      <main class="page">
        <Empty title="The operator view is for administrators" testid="ops-forbidden">
          Your token has no admin scope. Sign out and sign in again with “Admin” ticked (development), or with a token whose scope includes admin.
        </Empty>
      </main>
    );
  }

  const last = history[history.length - 1];
  const lagTotal = last ? totalLag(last.lag) : null;
  const lastRate = series.deliveredPerSec[series.deliveredPerSec.length - 1] ?? null;
  const up = latest?.workers.filter((w) => w.up).length ?? 0;
  const deadTotal = last?.deadLettered ?? 0;
  const d = (cols: (number | null)[][]): uPlot.AlignedData => [series.t, ...cols] as uPlot.AlignedData;

  return (
    <main class="page page-wide" data-testid="operator">
      <div class="page-head">
        <h1>Operator</h1>
        <span class="muted">{latest ? `updated ${new Date(latest.at).toLocaleTimeString()}` : 'loading…'} · every 2 s</span>
      </div>
      {error ? <Notice kind="error" testid="ops-error">{error}</Notice> : null}
      <div class="stats">
        <Stat label="Consumer lag" value={lagTotal === null ? '–' : n0(lagTotal)} testid="ops-lag-total" tone={lagTotal !== null && lagTotal > 1000 ? 'warn' : undefined} />
        <Stat label="Deliveries / s" value={lastRate === null ? '–' : n0(lastRate)} testid="ops-delivered-rate" />
        <Stat label="Dead-lettered" note="total" value={n0(deadTotal)} testid="ops-dead-total" tone={deadTotal > 0 ? 'warn' : undefined} />
        <Stat label="Workers up" value={latest ? `${up} / ${latest.workers.length}` : '–'} testid="ops-workers-up" tone={latest && up < latest.workers.length ? 'bad' : undefined} />
        <Stat label="Fanout p99" note="since start" value={latest ? secs(quantile(latest.histograms.fanoutSeconds, 0.99)) : '–'} />
        <Stat label="API p99" note="since start" value={latest ? secs(quantile(latest.histograms.apiRequestSeconds, 0.99)) : '–'} />
      </div>
      <div class="charts">
        <Chart testid="ops-chart-lag" title="Consumer lag (records)" data={d([series.lag])} lines={[{ label: 'total lag', color: '#0d9488', fmt: n0 }]} />
        <Chart testid="ops-chart-throughput" title="Throughput (per second)" data={d([series.deliveredPerSec, series.deadPerSec])}
          lines={[{ label: 'delivered/s', color: '#4f46e5', fmt: n0 }, { label: 'dead-lettered/s', color: '#dc2626', fmt: n0 }]} />
        <Chart testid="ops-chart-fanout" title="Fanout duration (last 30 s)" data={d([series.fanoutP50, series.fanoutP99])}
          lines={[{ label: 'p50', color: '#0891b2', fmt: secs }, { label: 'p99', color: '#d97706', fmt: secs }]} />
        <Chart testid="ops-chart-api" title="API latency (last 30 s)" data={d([series.apiP50, series.apiP99])}
          lines={[{ label: 'p50', color: '#0891b2', fmt: secs }, { label: 'p99', color: '#d97706', fmt: secs }]} />
      </div>
      {latest ? <OpsTables o={latest} /> : null}
    </main>
  );
}

function Stat({ label, value, testid, tone, note }: { label: string; value: string; testid?: string; tone?: 'warn' | 'bad'; note?: string }) {
  return (
    <div class={`card stat${tone ? ` stat-${tone}` : ''}`}>
      <span class="stat-label">{label}</span>
      <span class="stat-value" data-testid={testid}>{value}</span>
      {note ? <span class="stat-note">{note}</span> : null}
    </div>
  );
}

function OpsTables({ o }: { o: OpsOverview }) {
  const lag = [...o.lag].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const dead = [...o.counters.deadLettered].sort((a, b) => b.count - a.count);
  return (
    <div class="columns">
      <section class="card">
        <h2>Lag by partition</h2>
        <div class="table-scroll">
        <table class="table" data-testid="ops-lag-table">
          <thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Lag</th></tr></thead>
          <tbody>
            {lag.map((p) => (
              <tr key={`${p.topic}/${p.partition}`} data-topic={p.topic} data-partition={p.partition}>
                <td class="mono">{p.topic}</td><td class="num">{p.partition}</td><td class={`num${p.lag > 0 ? ' warn' : ''}`}>{p.lag}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </section>
      <section class="card">
        <h2>Workers</h2>
        <ul class="workers" data-testid="ops-workers">
          {o.workers.map((w) => (
            <li key={w.url} data-up={String(w.up)}><span class={`pill ${w.up ? 'pill-ok' : 'pill-bad'}`}>{w.up ? 'up' : 'down'}</span> <span class="mono">{w.url}</span></li>
          ))}
        </ul>
        {o.workers.length === 0 ? <p class="muted">No worker metrics configured (OPS_WORKER_METRICS_URLS).</p> : null}
        <h2>Dead letters</h2>
        {dead.length === 0 ? <p class="muted" data-testid="ops-dead-letters">None: every record was accepted.</p> : (
          <table class="table" data-testid="ops-dead-letters">
            <thead><tr><th>Code</th><th>Topic</th><th class="num">Count</th></tr></thead>
            <tbody>{dead.map((x) => <tr key={`${x.topic}/${x.code}`}><td class="mono">{x.code}</td><td class="mono">{x.topic}</td><td class="num">{x.count}</td></tr>)}</tbody>
          </table>
        )}
      </section>
    </div>
  );
}
