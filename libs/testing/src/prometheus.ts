import { parsePrometheusText, sumSamples } from '@app/observability';

/** Sum of the samples of `name` in Prometheus text whose labels contain every pair of `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  const matching = parsePrometheusText(text).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sumSamples(matching, name);
}
