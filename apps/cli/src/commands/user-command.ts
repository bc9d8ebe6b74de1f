import { Command } from 'commander';
import { isValidId } from '@app/domain';
import { CliContext } from '../context';
import { ActionFactory, CliError, CommandResult } from '../io';

/** A command on one user id (`rebuild`, `promote`, `demote`): `<arg>`, `--json`, and the id validated before `run`. */
export interface UserCommand {
  readonly name: string;
  readonly description: string;
  /** The argument's name in `--help` (`user`, `author`). */
  readonly arg: string;
  readonly argDescription: string;
  readonly run: (ctx: CliContext, id: string) => Promise<CommandResult>;
}

export function registerUserCommand(program: Command, action: ActionFactory<CliContext>, spec: UserCommand): void {
  program
    .command(spec.name)
    .description(spec.description)
    .argument(`<${spec.arg}>`, spec.argDescription)
    .option('--json', 'one JSON document on stdout')
    .action(
      action((ctx, args) => {
        const id = String(args[0]);
        // Exit 2 (usage), like commander's own errors: nothing was read or written.
        if (!isValidId(id)) throw new CliError(`"${id}" is not a valid user id`, 2, 'USAGE');
        return spec.run(ctx, id);
      }),
    );
}
