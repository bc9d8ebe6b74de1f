import { Command, CommanderError } from 'commander';
import { Logger, LoggerService } from '@nestjs/common';
import { CliContext } from './context';
import { ActionFactory, CliError, CliIo, CommandResult, errorText } from './io';
import { registerDoctor } from './commands/doctor';
import { registerDemote } from './commands/demote';
import { registerDlq } from './commands/dlq';
import { registerPromote } from './commands/promote';
import { registerRebuild } from './commands/rebuild';
import { registerReplay } from './commands/replay';

/** Library logs (kafkajs warnings, feeds) go to stderr, warnings and errors only: stdout is the command's. */
function stderrLogger(io: CliIo): LoggerService {
  // Nest calls (message, ...params, context); libraries log (fields, message) too.
  const line = (level: string, first: unknown, rest: unknown[]): void => {
    const ctx = rest.length > 0 ? ` [${String(rest[rest.length - 1])}]` : '';
    const parts = [first, ...rest.slice(0, -1)];
    const texts = parts.filter((p): p is string => typeof p === 'string');
    const fields = parts.filter((p) => p !== null && typeof p === 'object' && Object.keys(p).length > 0);
    io.stderr(`${level}${ctx} ${[...texts, ...fields.map((f) => JSON.stringify(f))].join(' ')}\n`);
  };
  return {
    log: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
    warn: (m: unknown, ...rest: unknown[]) => line('warn', m, rest),
    error: (m: unknown, ...rest: unknown[]) => line('error', m, rest),
  };
}

export function buildProgram(io: CliIo, done: (result: CommandResult, json: boolean) => void): Command {
  const program = new Command('tideline')
    .description('Tideline admin CLI: checks, dead letters, rebuilds, promotions to pull and replays against the configured Cassandra and Kafka (configuration from the environment, as for the API and workers)')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const action: ActionFactory<CliContext> = (handler) => async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.opts();
    const ctx = new CliContext(io);
    if (typeof opts.readTimeout === 'number') ctx.readTimeoutMs = opts.readTimeout * 1000;
    try {
      done(await handler(ctx, cmd.processedArgs as unknown[], opts), opts.json === true);
    } finally {
      await ctx.close();
    }
  };
  registerDoctor(program, action);
  registerDlq(program, action);
  registerRebuild(program, action);
  registerPromote(program, action);
  registerDemote(program, action);
  registerReplay(program, action);
  // Subcommands report usage errors through the program's output and exit override too.
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError('(add --help for usage)');
  for (const c of program.commands.flatMap((x) => x.commands)) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError('(add --help for usage)');
  return program;
}

/** Runs one command line (`argv` without node and script); resolves to the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  Logger.overrideLogger(stderrLogger(io));
  let exitCode = 0;
  const wantsJson = argv.includes('--json');
  const program = buildProgram(io, (result, json) => {
    if (json) io.stdout(`${JSON.stringify(result.json, null, 2)}\n`);
    else if (result.human.length > 0) io.stdout(`${result.human.join('\n')}\n`);
    exitCode = result.exitCode ?? 0;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help, --version: exit 0; usage errors: commander already printed the message on stderr.
      if (e.exitCode === 0) return 0;
      if (wantsJson) io.stdout(`${JSON.stringify({ error: { code: 'USAGE', message: e.message.replace(/^error: /, '') } }, null, 2)}\n`);
      return 2;
    }
    const code = e instanceof CliError ? e.code : 'FAILED';
    const status = e instanceof CliError ? e.exitCode : 1;
    io.stderr(`tideline: ${errorText(e)}\n`);
    if (wantsJson) io.stdout(`${JSON.stringify({ error: { code, message: errorText(e) } }, null, 2)}\n`);
    return status;
  }
}
