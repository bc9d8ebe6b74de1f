/** Where a command's output goes: the process's streams in main.ts, buffers in the tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Progress bars are drawn only on a terminal. */
  readonly stderrIsTTY: boolean;
  /** Environment on top of process.env (the tests give each run its own topics and keyspace). */
  readonly env: Record<string, string>;
}

/** A failure the user can act on: its message is printed as is (no stack), and the process exits `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code = 'FAILED',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What a command produced: one JSON document for `--json`, lines for people, and the exit code. */
export interface CommandResult {
  readonly json: unknown;
  readonly human: readonly string[];
  readonly exitCode?: number;
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Fixed-width columns for human tables. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** A command's work: declared arguments (commander's processedArgs) and options in, a result out. */
export type Handler<C> = (ctx: C, args: readonly unknown[], opts: Record<string, unknown>) => Promise<CommandResult>;
/** Wraps a handler into a commander action (cli.ts: context, output, exit code). */
export type ActionFactory<C> = (handler: Handler<C>) => (...args: unknown[]) => Promise<void>;
