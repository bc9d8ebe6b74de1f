import { StepResult } from './fanout';
import { fmtNum, fmtPct } from './util';

/** A fixed-width text table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((v, c) => (c === 0 ? v.padEnd(widths[c] ?? 0) : v.padStart(widths[c] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export { fmtNum, fmtPct };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** One line-chart panel at (x0, y0) of size w × h; log2 x axis (offered load doubles each step). */
function panel(x0: number, y0: number, w: number, h: number, title: string, xLabel: string, yLabel: string, series: Series[], logY = false): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((x) => x > 0);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => Number.isFinite(y));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMax = logY ? 10 ** Math.ceil(Math.log10(Math.max(10, ...ys))) : niceMax(Math.max(1, ...ys));
  const yMin = logY ? 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...ys.filter((y) => y > 0))))) : 0;
  const lx = (x: number): number => (xMax > xMin ? (Math.log2(x) - Math.log2(xMin)) / (Math.log2(xMax) - Math.log2(xMin)) : 0.5);
  const px = (x: number): number => x0 + 60 + lx(x) * (w - 80);
  const frac = (y: number): number =>
    logY ? (Math.log10(Math.min(Math.max(y, yMin), yMax)) - Math.log10(yMin)) / Math.max(1e-9, Math.log10(yMax) - Math.log10(yMin)) : Math.min(y, yMax) / yMax;
  const py = (y: number): number => y0 + h - 40 - frac(y) * (h - 70);
  const yTicks = logY
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="${y0 + 18}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const y of yTicks) {
    out.push(`<line x1="${x0 + 60}" x2="${x0 + w - 20}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + 55}" y="${py(y) + 4}" text-anchor="end" font-size="11">${fmtNum(y)}</text>`);
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  for (const x of ticks) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${py(yMin)}" y2="${py(yMin) + 4}" stroke="#333"/>`);
    out.push(`<text x="${px(x)}" y="${py(yMin) + 16}" text-anchor="middle" font-size="11">${fmtNum(x)}</text>`);
  }
  out.push(`<line x1="${x0 + 60}" x2="${x0 + w - 20}" y1="${py(yMin)}" y2="${py(yMin)}" stroke="#333"/>`);
  out.push(`<line x1="${x0 + 60}" x2="${x0 + 60}" y1="${py(yMin)}" y2="${py(yMax)}" stroke="#333"/>`);
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h - 6}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text x="${x0 + 14}" y="${y0 + h / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 14} ${y0 + h / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] > 0 && Number.isFinite(p[1]));
    if (pts.length > 0) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`,
      );
      if (!s.dashed) for (const p of pts) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = y0 + 36 + i * 16;
    out.push(`<line x1="${x0 + 75}" x2="${x0 + 95}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${x0 + 100}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Throughput and publish-to-visible latency against offered load (deliveries/s), as an SVG document. */
export function chartSvg(steps: StepResult[], ceilingPerSec: number | null, subtitle: string): string {
  const w = 760;
  const h = 300;
  const x = (s: StepResult): number => Math.max(1, s.offeredDeliveriesPerSec);
  const throughput: Series[] = [
    { name: 'offered (deliveries/s)', color: '#999', points: steps.map((s) => [x(s), s.offeredDeliveriesPerSec]), dashed: true },
    { name: 'delivered by the worker (home rows/s)', color: '#1f77b4', points: steps.map((s) => [x(s), s.deliveredPerSec]) },
  ];
  if (ceilingPerSec !== null && steps.length > 0) {
    throughput.push({ name: `ceiling: direct cassandra-driver writes (${fmtNum(ceilingPerSec)}/s)`, color: '#d62728', dashed: true, points: steps.map((s) => [x(s), ceilingPerSec]) });
  }
  const latency: Series[] = [
    { name: 'p50 publish → visible (ms)', color: '#2ca02c', points: steps.map((s) => [x(s), s.latencyMs.p50]) },
    { name: 'p95', color: '#ff7f0e', points: steps.map((s) => [x(s), s.latencyMs.p95]) },
    { name: 'p99', color: '#9467bd', points: steps.map((s) => [x(s), s.latencyMs.p99]) },
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${2 * h + 40}" viewBox="0 0 ${w} ${2 * h + 40}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${w / 2}" y="22" text-anchor="middle" font-size="12" fill="#555">${esc(subtitle)}</text>`,
    panel(0, 30, w, h, 'Fanout throughput against offered load', 'offered load (deliveries/s, log scale)', 'home rows written / s (log scale)', throughput, true),
    panel(0, 30 + h, w, h, 'Publish-to-visible latency against offered load', 'offered load (deliveries/s, log scale)', 'milliseconds', latency),
    '</svg>',
  ].join('\n');
}
