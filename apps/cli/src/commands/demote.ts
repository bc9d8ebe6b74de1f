import { Command } from 'commander';
import { DemotionService, FollowBackfill, HomeMaterializer } from '@app/feeds';
import { CliContext } from '../context';
import { ActionFactory, CommandResult } from '../io';
import { registerUserCommand } from './user-command';

/**
 * Switches an author from pull back to push with DemotionService: pin to push, wait for the workers' cached
 * "pulled" decisions to expire, copy the author's recent activities into every follower's home and only then
 * drop their pulled_follows rows, then clear the flag. Safe to run again after an interruption.
 */
export async function demote(ctx: CliContext, author: string): Promise<CommandResult> {
  const cfg = ctx.cfg;
  const stores = await ctx.stores();
  const total = await stores.graph.followerCount(author);
  const homes = new HomeMaterializer(cfg, stores.timelines);
  const service = new DemotionService(cfg, stores.graph, homes, new FollowBackfill(homes, stores.readers));
  const progress = ctx.progress(`demoting ${author}`);
  try {
    const r = await service.demoteNow(author, {
      waiting: (ms) => {
        progress.update(0, Math.max(1, total));
        ctx.io.stderr(`waiting ${ms} ms for workers to forget "pulled" for ${author} (FANOUT_PULL_DECISION_CACHE_MS + 1 s)\n`);
      },
      followers: (done) => progress.update(done, Math.max(done, total)),
    });
    const threshold = cfg.policy.highFollowerThreshold;
    return {
      json: { author, mode: 'push', pinned: true, alreadyPushed: r.already, followers: r.followers, activitiesCopied: r.activities, waitedMs: r.waitedMs, threshold },
      human: r.already
        ? [`${author} is already pinned to push (FANOUT_HIGH_FOLLOWER_THRESHOLD ${threshold} does not apply to them; \`tideline promote\` lifts the pin)`]
        : [
            `demoted ${author} to push: pinned, so new posts are fanned out whatever their follower count (FANOUT_HIGH_FOLLOWER_THRESHOLD ${threshold})`,
            r.followers > 0
              ? `${r.followers} follower home(s) received their ${r.activities} most recent activit${r.activities === 1 ? 'y' : 'ies'} and no longer pull them (waited ${r.waitedMs} ms for the workers first)`
              : 'they were not served by pull: only the pin was written',
            `API instances may keep merging their feed at read time for up to READ_CONTEXT_TTL_MS (${cfg.tuning.readContextTtlMs} ms); \`tideline promote\` undoes this`,
          ],
    };
  } finally {
    progress.stop();
  }
}

export function registerDemote(program: Command, action: ActionFactory<CliContext>): void {
  registerUserCommand(program, action, {
    name: 'demote',
    description:
      "serve an author by push again, pinned so the follower threshold does not promote them back: waits FANOUT_PULL_DECISION_CACHE_MS for the workers, copies their recent activities into every follower's home, then stops the read-time merge (safe to repeat; `promote` undoes it)",
    arg: 'author',
    argDescription: 'the author id',
    run: demote,
  });
}
