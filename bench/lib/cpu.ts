import { readFileSync } from 'node:fs';
import { serverPid } from './procs';
import { procCpuSeconds, round } from './util';

/**
 * CPU of the workers, the API, this benchmark process (producer, probes, scrapes), the Cassandra and Kafka
 * servers, and the machine (all cores). In a snapshot: seconds used so far; in a share: percent of one core
 * between two snapshots (200 % = both cores of the reference machine).
 */
export interface CpuFigures {
  readonly workers: number;
  readonly api: number | null;
  readonly bench: number;
  readonly cassandra: number | null;
  readonly kafka: number | null;
  readonly machine: number;
}
export interface CpuSnapshot extends CpuFigures {
  readonly at: number;
}
export type CpuShare = CpuFigures;

export interface CpuMeter {
  snap(): CpuSnapshot;
  share(from: CpuSnapshot, to: CpuSnapshot): CpuShare;
}

/** Busy CPU seconds of the whole machine since boot, from /proc/stat (everything but idle and iowait). */
function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (cpu[3] ?? 0) - (cpu[4] ?? 0)) / 100;
  } catch {
    return 0;
  }
}

/** Samples the CPU of the workers, the API, this process, Cassandra, Kafka (found once by main class) and the machine. */
export function cpuMeter(workerPids: readonly number[], apiPid: number | null = null): CpuMeter {
  const cassandraPid = serverPid('cassandra');
  const kafkaPid = serverPid('kafka');
  const of = (pid: number | null): number | null => (pid === null ? null : procCpuSeconds(pid));
  return {
    snap: () => ({
      at: Date.now(),
      workers: workerPids.reduce((a, pid) => a + (procCpuSeconds(pid) ?? 0), 0),
      api: of(apiPid),
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      cassandra: of(cassandraPid),
      kafka: of(kafkaPid),
      machine: machineBusySeconds(),
    }),
    share: (a, b) => {
      const secs = Math.max(0.001, (b.at - a.at) / 1000);
      const pct = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : round(((y - x) / secs) * 100, 0));
      return { workers: pct(a.workers, b.workers) ?? 0, api: pct(a.api, b.api), bench: pct(a.bench, b.bench) ?? 0, cassandra: pct(a.cassandra, b.cassandra), kafka: pct(a.kafka, b.kafka), machine: pct(a.machine, b.machine) ?? 0 };
    },
  };
}
