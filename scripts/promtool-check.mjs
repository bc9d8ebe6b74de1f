#!/usr/bin/env node
// Checks deploy/ with Prometheus' own tool: `promtool check rules` on the alert rules, `promtool test rules` on
// their unit tests, every dashboard query (Grafana variables replaced) through `promtool check rules` as
// recording rules, and `promtool check config` on the example configuration in deploy/README.md.
// Exit 0 when all pass; 1 on any failure. Without promtool on PATH it prints "promtool not installed: skipped"
// and exits 0 (Debian/Ubuntu: `apt-get install prometheus` provides it).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const RULES = path.join(ROOT, 'deploy/prometheus/tideline-alerts.yml');
const RULE_TESTS = path.join(ROOT, 'deploy/prometheus/tideline-alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/tideline-dashboard.json');
const README = path.join(ROOT, 'deploy/README.md');

const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
if (probe.error && probe.error.code === 'ENOENT') {
  console.log('promtool not installed: skipped');
  process.exit(0);
}
if (probe.status !== 0) {
  console.error(`promtool --version failed: ${probe.error?.message ?? probe.stderr}`);
  process.exit(1);
}
console.log(probe.stdout.split('\n')[0]);

const work = mkdtempSync(path.join(tmpdir(), 'tideline-promtool-'));
let failed = 0;

function promtool(title, args, cwd = ROOT) {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${title}: promtool ${args.map((a) => (a.startsWith(ROOT + path.sep) ? path.relative(ROOT, a) : a)).join(' ')}`);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (out) console.log(out.replace(/^/gm, '     '));
}

/** Grafana variables as values PromQL accepts where they stand: durations, or regexes inside strings. */
function substitute(expr) {
  const builtins = { __rate_interval: '5m', __interval: '1m', __range: '1h' };
  return expr.replace(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g, (_all, braced, bare) => builtins[braced ?? bare] ?? '.*');
}

try {
  promtool('alert rules', ['check', 'rules', RULES]);
  promtool('alert rule unit tests', ['test', 'rules', RULE_TESTS]);

  // Dashboard queries, each as a recording rule, so that Prometheus' parser checks them.
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const rules = [];
  for (const panel of dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])) {
    for (const t of panel.targets ?? []) rules.push({ record: `tideline_dashboard:panel_${panel.id}_${t.refId}`, expr: substitute(t.expr) });
  }
  for (const v of dashboard.templating.list) {
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = /^label_values\((.+),\s*\w+\)$/.exec(query ?? '');
    if (m) rules.push({ record: `tideline_dashboard:variable_${v.name}`, expr: substitute(m[1]) });
  }
  const dashRules = path.join(work, 'dashboard-queries.yml');
  writeFileSync(dashRules, JSON.stringify({ groups: [{ name: 'tideline-dashboard-queries', rules }] }, null, 2));
  promtool(`dashboard queries (${rules.length})`, ['check', 'rules', dashRules], work);

  // The scrape configuration deploy/README.md shows, with the rule file beside it as it names it.
  const block = /## Prometheus[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readFileSync(README, 'utf8'));
  if (!block) {
    failed++;
    console.log('FAIL deploy/README.md has no ```yaml block under "## Prometheus"');
  } else {
    writeFileSync(path.join(work, 'prometheus.yml'), block[1]);
    copyFileSync(RULES, path.join(work, 'tideline-alerts.yml'));
    promtool('example configuration (deploy/README.md)', ['check', 'config', path.join(work, 'prometheus.yml')], work);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failed > 0) {
  console.error(`${failed} promtool check(s) failed`);
  process.exit(1);
}
console.log('all promtool checks passed');
