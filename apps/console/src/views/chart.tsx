// A small uPlot time-series chart that follows its container's width.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';

export interface Line {
  label: string;
  color: string;
  /** Formats a value for the legend and the axis. */
  fmt?: (v: number) => string;
}

const HEIGHT = 180;

function newest(col: uPlot.AlignedData[number] | undefined): number | null {
  if (!col) return null;
  for (let i = col.length - 1; i >= 0; i--) {
    const v = col[i];
    if (typeof v === 'number') return v;
  }
  return null;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function Chart({ title, lines, data, testid }: { title: string; lines: Line[]; data: uPlot.AlignedData; testid?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  // Created once per mount; later data only calls setData (uPlot redraws in place, no flicker).
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = cssVar('--muted', '#6b7280');
    const grid = cssVar('--line', '#e5e7eb');
    const fmt = lines[0]?.fmt ?? ((v: number) => String(v));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 64, values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          spanGaps: false,
          points: { show: false },
          // Off the chart the legend shows the newest value rather than a dash.
          value: (u: uPlot, v: number | null, si: number) => {
            const shown = v ?? newest(u.data[si]);
            return shown === null ? '–' : (l.fmt ?? fmt)(shown);
          },
        })),
      ],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <section class="card chart" data-testid={testid}>
      <h3>{title}</h3>
      <div ref={box} class="chart-box" />
    </section>
  );
}
