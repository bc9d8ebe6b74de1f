#!/usr/bin/env node
/**
 * `tideline`: the admin CLI (docs/operations.md, "Admin CLI"). `npm run -s cli -- <command>` from a clone,
 * `node dist/apps/cli/src/main.js <command>` (the package's `bin`) after `npm run build`.
 */
// Before any decorated class loads: the config's class-transformer conversion reads design types.
import 'reflect-metadata';
import { runCli } from './cli';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
  env: {},
}).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; should a driver timer linger, it must not hold the shell.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`tideline: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
