// Runs dependency-cruiser's API the way `depcruise <dirs> --config <file>` does, from the current directory, and prints
// the result as JSON on stdout: { modules, violations: [{ rule, severity, from, to, cycle? }], unresolved: [...] }.
//
//   node test/layers/cruise.mjs <config file> <dir>...
//
// A separate Node process because dependency-cruiser is an ES module with top-level await, which jest's CommonJS
// module system (ts-jest) cannot load; test/layers/layers.spec.ts spawns this.
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const [configFile, ...dirs] = process.argv.slice(2);
if (!configFile || dirs.length === 0) {
  console.error('usage: node test/layers/cruise.mjs <config file> <dir>...');
  process.exit(2);
}

const options = await extractDepcruiseOptions(configFile);
const tsConfigFile = options.tsConfig?.fileName ?? options.ruleSet?.options?.tsConfig?.fileName;
const tsConfig = tsConfigFile ? extractTSConfig(tsConfigFile) : undefined;
const { output } = await cruise(dirs, options, {}, { tsConfig });

const result = {
  modules: output.summary.totalCruised,
  violations: output.summary.violations.map((v) => ({
    rule: v.rule.name,
    severity: v.rule.severity,
    from: v.from,
    to: v.to,
    ...(v.cycle ? { cycle: v.cycle.map((c) => c.name ?? c) } : {}),
  })),
  unresolved: output.modules.flatMap((m) =>
    m.dependencies.filter((d) => d.couldNotResolve).map((d) => ({ from: m.source, module: d.module })),
  ),
};
process.stdout.write(JSON.stringify(result));
