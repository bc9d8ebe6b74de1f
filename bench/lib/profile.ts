import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { round } from './util';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples where the process was idle (waiting on I/O). */
  idleShare: number;
  topFunctions: { fn: string; where: string; selfMs: number; share: number }[];
  byArea: { area: string; selfMs: number; share: number }[];
}

/** Where a frame's code lives: a package, Tideline itself, Node internals, or a V8 pseudo-frame. */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/')) return 'tideline';
  return 'other';
}

/** Self time per function of the newest .cpuprofile in `dir` (V8 format written by `node --cpu-prof`). */
export function summarizeProfile(dir: string, top = 15): ProfileSummary | null {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const file = files[files.length - 1];
  if (!file) return null;
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const fns = new Map<string, { fn: string; where: string; selfMs: number }>();
  const areas = new Map<string, number>();
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || '(anonymous)';
    if (fn === '(idle)') idle += ms;
    const short = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
    const where = url ? `${short}:${lineNumber + 1}` : '';
    const key = `${fn}|${where}`;
    const cur = fns.get(key) ?? { fn, where, selfMs: 0 };
    cur.selfMs += ms;
    fns.set(key, cur);
    const area = areaOf(url, fn);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  const busy = Math.max(1, total - idle);
  return {
    file,
    totalMs: round(total, 0),
    idleShare: round(idle / Math.max(1, total), 3),
    topFunctions: [...fns.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f) => ({ ...f, selfMs: round(f.selfMs, 0), share: round(f.selfMs / busy, 3) })),
    byArea: [...areas.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, ms]) => ({ area, selfMs: round(ms, 0), share: round(ms / busy, 3) })),
  };
}
