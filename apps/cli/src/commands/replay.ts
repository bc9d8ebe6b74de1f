import { Command, InvalidArgumentError } from 'commander';
import { applyReplay, describeGroup, planReplay, ReplayStep, ReplayTarget, waitForEmptyGroup } from '@app/messaging-kafka';
import { CliContext } from '../context';
import { ActionFactory, CliError, CommandResult, table } from '../io';
import { parseIso, parsePositiveInt } from '../args';

export interface ReplayOptions {
  readonly group: string;
  readonly topics: readonly string[];
  readonly target: ReplayTarget;
  readonly wait: boolean;
  readonly waitTimeoutMs: number;
  readonly dryRun: boolean;
}

const parseOffset = (text: string): string => {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`"${text}" is not an offset (a non-negative integer)`);
  return String(BigInt(text));
};

/**
 * Moves a consumer group back so that its workers redo records (docs/operations.md, Admin CLI): per partition, to
 * the first offset at or after `--to-time` (or to `--to-offset`), never forward. Kafka only lets a group without
 * members change its offsets, so the command refuses while workers are in the group, or with --wait polls until
 * they have stopped (up to --wait-timeout). Redoing records is safe: every write is an idempotent upsert.
 */
export async function replay(ctx: CliContext, o: ReplayOptions): Promise<CommandResult> {
  const admin = await ctx.admin();
  const existing = new Set(await admin.listTopics());
  const missing = o.topics.filter((t) => !existing.has(t));
  if (missing.length > 0) throw new CliError(`no such topic: ${missing.join(', ')}`, 1, 'NOT_FOUND');
  let group = await describeGroup(admin, o.group);
  if (group.members.length > 0 && !o.dryRun) {
    if (!o.wait) {
      throw new CliError(
        `group ${o.group} has ${group.members.length} active member(s) (${group.members.map((m) => `${m.clientId}@${m.clientHost}`).join(', ')}): stop its workers first, or add --wait`,
        1,
        'GROUP_ACTIVE',
      );
    }
    const progress = ctx.progress(`waiting for ${o.group} to empty`);
    const first = group.members.length;
    try {
      group = await waitForEmptyGroup(admin, o.group, o.waitTimeoutMs, 1_000, (g) => progress.update(first - g.members.length, first));
    } catch (e) {
      throw new CliError((e as Error).message, 1, 'GROUP_ACTIVE');
    } finally {
      progress.stop();
    }
  }
  const plans: { topic: string; steps: ReplayStep[] }[] = [];
  for (const topic of o.topics) plans.push({ topic, steps: await planReplay(admin, o.group, topic, o.target) });
  if (!o.dryRun) for (const p of plans) await applyReplay(admin, o.group, p.topic, p.steps);
  const redo = (s: ReplayStep): bigint => (s.action === 'back' ? BigInt(s.committed ?? s.high) - BigInt(s.target) : 0n);
  const total = plans.reduce((n, p) => n + p.steps.reduce((m, s) => m + redo(s), 0n), 0n);
  const target = 'toTimeMs' in o.target ? { toTime: new Date(o.target.toTimeMs).toISOString() } : { toOffset: o.target.toOffset };
  return {
    json: { group: o.group, dryRun: o.dryRun, ...target, records: Number(total), topics: plans },
    human: [
      ...table([
        ['TOPIC', 'PARTITION', 'COMMITTED', 'NEW', 'RECORDS TO REDO'],
        ...plans.flatMap((p) => p.steps.map((s) => [p.topic, String(s.partition), s.committed ?? '-', s.action === 'back' ? s.target : `${s.target} (unchanged)`, String(redo(s))])),
      ]),
      `${o.dryRun ? 'dry run: would move' : 'moved'} group ${o.group} back: ${total} record(s) to redo${o.dryRun ? '' : ' once the workers start'}`,
    ],
  };
}

export function registerReplay(program: Command, action: ActionFactory<CliContext>): void {
  program
    .command('replay')
    .description("move the workers' consumer group back (per partition, never forward) so that they redo records; refuses while the group has members unless --wait")
    .option('--group <group>', 'consumer group (default: KAFKA_GROUP_ID)')
    .option('--to-time <iso>', 'restart at the first record at or after this time', parseIso)
    .option('--to-offset <n>', 'restart every partition at this offset (clamped to the partition)', parseOffset)
    .option('--topic <topic...>', 'topics to move (default: the activities topic; fanout chunks are regenerated from it)')
    .option('--wait', 'wait for the group to have no members (stop the workers meanwhile)')
    .option('--wait-timeout <seconds>', 'how long --wait waits', parsePositiveInt, 120)
    .option('--dry-run', 'show the new offsets, change nothing')
    .option('--json', 'one JSON document on stdout')
    .action(
      action((ctx, _args, opts) => {
        const time = opts.toTime as number | undefined;
        const offset = opts.toOffset as string | undefined;
        if ((time === undefined) === (offset === undefined)) throw new CliError('give exactly one of --to-time <iso> and --to-offset <n>', 2, 'USAGE');
        return replay(ctx, {
          group: (opts.group as string | undefined) ?? ctx.cfg.kafka.groupId,
          topics: (opts.topic as string[] | undefined) ?? [ctx.cfg.kafka.topics.activities],
          target: time !== undefined ? { toTimeMs: time } : { toOffset: offset as string },
          wait: opts.wait === true,
          waitTimeoutMs: (opts.waitTimeout as number) * 1000,
          dryRun: opts.dryRun === true,
        });
      }),
    );
}
