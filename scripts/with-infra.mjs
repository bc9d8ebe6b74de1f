#!/usr/bin/env node
// Runs a command with Kafka and Cassandra up, and leaves the infrastructure as it found it:
//
//   node scripts/with-infra.mjs npm test
//   node scripts/with-infra.mjs 'npm run test:e2e -- --runInBand && npm run bench'
//
// - Services that already answer are used as they are and never stopped.
// - Services that were down are started before the command and stopped after it, whatever its outcome, and also
//   when this script gets SIGINT/SIGTERM/SIGHUP (the signal is passed on to the command first).
// - The command runs through /bin/sh with inherited stdio; one argument is taken as a shell line as is, several
//   arguments are quoted one by one. Exit code: the command's (128 + signal number if it died from a signal).
// Zero npm dependencies, like infra.mjs.

import { spawn } from 'node:child_process';
import os from 'node:os';
import { status, stop, up } from './infra.mjs';

const log = (msg) => console.error(`[with-infra] ${msg}`);

function shellLine(args) {
  if (args.length === 1) return args[0];
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length === 0) {
    console.error('usage: node scripts/with-infra.mjs <command...>');
    return 2;
  }

  let child = null;
  let interrupted = null;
  const onSignal = (signal) => {
    const running = child && child.exitCode === null && child.signalCode === null;
    if (interrupted) {
      // Second signal: the command did not stop on the first one.
      if (running) child.kill('SIGKILL');
      return;
    }
    interrupted = signal;
    log(`${signal} received${running ? ', stopping the command' : ''}`);
    if (running) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);

  // What to bring up, and so what to take down again: only services that nobody serves yet.
  const missing = (await status()).filter((s) => !s.answering).map((s) => s.name);
  // If up() fails half-way we do not know exactly what it started: assume everything that was missing.
  let startedHere = missing;
  let exitCode = 1;
  try {
    if (missing.length > 0) {
      log(`starting ${missing.join(' and ')} (stopped again afterwards)`);
      startedHere = (await up()).started;
    }
    if (!interrupted) {
      exitCode = await new Promise((resolve) => {
        child = spawn('/bin/sh', ['-c', shellLine(args)], { stdio: 'inherit' });
        child.on('error', (err) => {
          log(`cannot run the command: ${err.message}`);
          resolve(127);
        });
        child.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
      });
    }
  } catch (err) {
    log(`error: ${err.message}`);
    exitCode = 1;
  } finally {
    for (const name of [...startedHere].reverse()) {
      try {
        await stop(name);
      } catch (err) {
        log(`could not stop ${name}: ${err.message}`);
        exitCode ||= 1;
      }
    }
  }
  if (interrupted && exitCode === 0) exitCode = 128 + os.constants.signals[interrupted];
  return exitCode;
}

main().then((code) => process.exit(code));
