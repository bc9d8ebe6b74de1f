import { Command } from 'commander';
import { PromotionService } from '@app/feeds';
import { CliContext } from '../context';
import { ActionFactory, CommandResult } from '../io';
import { registerUserCommand } from './user-command';

/**
 * Switches an author from push to pull now, below FANOUT_HIGH_FOLLOWER_THRESHOLD too, with the worker's own
 * promotion (PromotionService: a pulled_follows row for every follower, the high_follower_authors flag, a second
 * pass for follows that raced), and lifts a push pin left by `demote`.
 */
export async function promote(ctx: CliContext, author: string): Promise<CommandResult> {
  const cfg = ctx.cfg;
  const stores = await ctx.stores();
  const total = await stores.graph.followerCount(author);
  const progress = ctx.progress(`promoting ${author}`);
  let pages = 0;
  try {
    const r = await new PromotionService(cfg, stores.graph).promoteNow(author, async () => {
      pages++;
      progress.update(Math.min(pages * cfg.policy.chunkSize, 2 * total), 2 * total);
    });
    const threshold = cfg.policy.highFollowerThreshold;
    return {
      json: { author, mode: 'pull', alreadyPulled: r.already, followers: r.followers, threshold },
      human: [
        r.already
          ? `${author} is already served by pull (${r.followers} followers; FANOUT_HIGH_FOLLOWER_THRESHOLD ${threshold})`
          : `promoted ${author} to pull: ${r.followers} follower(s) read their posts at read time from now on (FANOUT_HIGH_FOLLOWER_THRESHOLD ${threshold})`,
        ...(r.already ? [] : ['their posts already in followers\' homes stay there; workers that cached "pushed" for them may push for up to a minute more (readers merge the duplicates away)']),
      ],
    };
  } finally {
    progress.stop();
  }
}

export function registerPromote(program: Command, action: ActionFactory<CliContext>): void {
  registerUserCommand(program, action, {
    name: 'promote',
    description:
      "serve an author by pull from now on (as if above FANOUT_HIGH_FOLLOWER_THRESHOLD): no more fanout of their posts; followers' reads merge their feed. Lifts a pin left by `demote`; `demote` undoes it",
    arg: 'author',
    argDescription: 'the author id',
    run: promote,
  });
}
