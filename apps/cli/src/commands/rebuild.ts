import { Command } from 'commander';
import { HomeMaterializer, ReaderContexts, ReturningReaders } from '@app/feeds';
import { CliContext } from '../context';
import { ActionFactory, CommandResult } from '../io';
import { registerUserCommand } from './user-command';

/**
 * Re-materialises one user's home timeline with the API's own returning-reader rebuild (ReturningReaders,
 * docs/operations.md §6): the reader is marked active and rebuilding, each pushed followee's newest activities in
 * the home window are copied, and the home floor and layout are recorded. Fanout keeps delivering meanwhile.
 */
export async function rebuild(ctx: CliContext, user: string): Promise<CommandResult> {
  const cfg = ctx.cfg;
  const stores = await ctx.stores();
  const contexts = new ReaderContexts(cfg, stores.graph, stores.readers);
  const returning = new ReturningReaders(cfg, stores.readers, new HomeMaterializer(cfg, stores.timelines));
  const progress = ctx.progress(`rebuilding ${user}`);
  progress.update(0, 0);
  try {
    const r = await returning.rebuildNow(user, async () => {
      const c = await contexts.get(user);
      return { following: c.following, pulled: new Set(c.pulled) };
    });
    const floor = r.floorMs > 0 ? new Date(r.floorMs).toISOString() : null;
    return {
      json: { user, authors: r.authors, pulledAuthors: r.pulledAuthors, homeFloor: floor, homeLayout: r.state.homeLayout, tookMs: r.tookMs },
      human: [
        `rebuilt the home timeline of ${user} in ${r.tookMs} ms: copied from ${r.authors} author(s) (the user and pushed followees), ${r.pulledAuthors} pulled author(s) read at read time`,
        floor ? `older than ${floor} the home is pulled from the authors' feeds at read time` : 'every copy was complete: the whole home window is materialised',
        `API instances may keep the old reader state for up to READ_CONTEXT_TTL_MS (${cfg.tuning.readContextTtlMs} ms)`,
      ],
    };
  } finally {
    progress.stop();
  }
}

export function registerRebuild(program: Command, action: ActionFactory<CliContext>): void {
  registerUserCommand(program, action, {
    name: 'rebuild',
    description:
      "re-materialise one user's home timeline from the follow graph and the authors' feeds (what a returning reader's first page does)",
    arg: 'user',
    argDescription: 'the user id',
    run: rebuild,
  });
}
