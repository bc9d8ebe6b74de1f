import { Command, Option } from 'commander';
import { Partitioners } from 'kafkajs';
import { DEAD_LETTER_HEADERS, DeadLetter, OffsetRange, parseDeadLetter, readRanges, redriveValue, redriveVerdict, RedriveVerdict, scanRanges, topicRanges } from '@app/messaging-kafka';
import { CliContext } from '../context';
import { parseIso, parsePositiveInt } from '../args';
import { ActionFactory, CliError, CommandResult, table } from '../io';
import { deadLetterJson, DlqFilter, DlqRef, matches, NewestN, oneLine, parseRef, refText } from './dlq-records';

export { DlqFilter, DlqRef, matches, parseRef } from './dlq-records';

async function requireTopic(ctx: CliContext, topic: string): Promise<void> {
  const admin = await ctx.admin();
  if (!(await admin.listTopics()).includes(topic)) throw new CliError(`topic ${topic} does not exist (KAFKA_TOPIC_DLQ; the workers create it at start)`, 1, 'NOT_FOUND');
}

/** Reads the whole dead-letter topic up to its high watermarks as of now. */
async function readAll(ctx: CliContext): Promise<DeadLetter[]> {
  await requireTopic(ctx, ctx.cfg.kafka.topics.dlq);
  const progress = ctx.progress('reading dead letters');
  try {
    const records = await readRanges(ctx.kafka(), ctx.cfg.kafka.topics.dlq, { groupPrefix: `${ctx.cfg.kafka.clientId}-cli-dlq`, timeoutMs: ctx.readTimeoutMs, onProgress: (d, t) => progress.update(d, t) });
    return records.map((r) => parseDeadLetter(r.partition, r.message));
  } finally {
    progress.stop();
  }
}

/** Reads exactly the given dead letters; a position outside the topic's current range is an error. */
async function readRefs(ctx: CliContext, refs: readonly DlqRef[]): Promise<DeadLetter[]> {
  const topic = ctx.cfg.kafka.topics.dlq;
  await requireTopic(ctx, topic);
  const bounds = new Map((await topicRanges(ctx.kafka(), topic)).map((r) => [r.partition, r]));
  const ranges: OffsetRange[] = [];
  for (const [partition, offsets] of groupBy(refs)) {
    const b = bounds.get(partition);
    for (const o of offsets) {
      if (!b || BigInt(o) < BigInt(b.from) || BigInt(o) >= BigInt(b.to)) {
        throw new CliError(`${partition}:${o} is not in ${topic} (${b ? `partition ${partition} holds offsets ${b.from} to ${BigInt(b.to) - 1n}` : `it has no partition ${partition}`})`, 1, 'NOT_FOUND');
      }
    }
    const sorted = [...offsets].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
    ranges.push({ partition, from: sorted[0] as string, to: String(BigInt(sorted[sorted.length - 1] as string) + 1n) });
  }
  const progress = ctx.progress('reading dead letters');
  try {
    const wanted = new Set(refs.map(refText));
    const records = await readRanges(ctx.kafka(), topic, { ranges, groupPrefix: `${ctx.cfg.kafka.clientId}-cli-dlq`, timeoutMs: ctx.readTimeoutMs, onProgress: (d, t) => progress.update(d, t) });
    const found = records.map((r) => parseDeadLetter(r.partition, r.message)).filter((d) => wanted.has(refText(d)));
    const byRef = new Map(found.map((d) => [refText(d), d]));
    const missing = refs.filter((r) => !byRef.has(refText(r)));
    if (missing.length > 0) throw new CliError(`not found in ${topic} (compacted or aborted?): ${missing.map(refText).join(', ')}`, 1, 'NOT_FOUND');
    // In the order given, each once.
    return [...new Set(refs.map(refText))].map((r) => byRef.get(r) as DeadLetter);
  } finally {
    progress.stop();
  }
}

function groupBy(refs: readonly DlqRef[]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const r of refs) m.set(r.partition, [...(m.get(r.partition) ?? []), r.offset]);
  return m;
}

export async function dlqList(ctx: CliContext, f: DlqFilter & { limit: number }): Promise<CommandResult> {
  const topic = ctx.cfg.kafka.topics.dlq;
  await requireTopic(ctx, topic);
  const newest = new NewestN(f.limit);
  const byCode: Record<string, number> = {};
  let scanned = 0;
  let matched = 0;
  const progress = ctx.progress('reading dead letters');
  try {
    await scanRanges(ctx.kafka(), topic, { groupPrefix: `${ctx.cfg.kafka.clientId}-cli-dlq`, timeoutMs: ctx.readTimeoutMs, onProgress: (d, t) => progress.update(d, t) }, (r) => {
      scanned++;
      const d = parseDeadLetter(r.partition, r.message);
      if (!matches(d, f)) return;
      matched++;
      byCode[d.code] = (byCode[d.code] ?? 0) + 1;
      newest.add(d);
    });
  } finally {
    progress.stop();
  }
  const shown = newest.sorted();
  return {
    json: { topic, scanned, matched, shown: shown.length, byCode, records: shown.map((x) => deadLetterJson(x.d, false, x.valueBytes)) },
    human: [
      ...(shown.length > 0
        ? table([
            ['REF', 'DEAD-LETTERED', 'CODE', 'SOURCE', 'KEY', 'MESSAGE'],
            ...shown.map(({ d }) => [refText(d), new Date(d.timestampMs).toISOString(), d.code, `${d.sourceTopic ?? '?'}:${d.sourcePartition ?? '?'}:${d.sourceOffset ?? '?'}`, d.key?.toString('utf8') ?? '-', oneLine(d.message, 60)]),
          ])
        : []),
      `${topic}: ${scanned} dead letters, ${matched} matching${matched > shown.length ? `, newest ${shown.length} shown (--limit)` : ''}${matched > 0 ? ` (${Object.entries(byCode).map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}`,
    ],
  };
}

export async function dlqShow(ctx: CliContext, ref: DlqRef): Promise<CommandResult> {
  const [d] = await readRefs(ctx, [ref]);
  if (!d) throw new CliError(`${refText(ref)} not found`, 1, 'NOT_FOUND');
  const j = deadLetterJson(d, true);
  const verdict = redriveVerdict(d, ctx.cfg.kafka.maxRecordBytes, sourceTopics(ctx));
  const value = typeof j.value === 'string' ? j.value : j.valueBase64 !== undefined ? `(base64) ${String(j.valueBase64)}` : '(none)';
  return {
    json: { ...j, redrive: verdict },
    human: [
      `dead letter ${refText(d)} of ${ctx.cfg.kafka.topics.dlq}, ${String(j.deadLetteredAt)}`,
      `  ${DEAD_LETTER_HEADERS.code}:      ${d.code}`,
      `  ${DEAD_LETTER_HEADERS.message}:   ${d.message}`,
      `  source:          ${d.sourceTopic ?? '?'} partition ${d.sourcePartition ?? '?'} offset ${d.sourceOffset ?? '?'}`,
      `  key:             ${d.key?.toString('utf8') ?? '(none)'}`,
      `  value:           ${d.value?.length ?? 0} bytes${d.originalSize !== null ? ` (cut; original ${d.originalSize} bytes)` : ''}`,
      `  redrive:         ${verdict.kind === 'redrivable' ? 'yes' : verdict.kind === 'needs-force' ? `only with --force: ${verdict.reason}` : `no: ${verdict.reason}`}`,
      '',
      value,
    ],
  };
}

const sourceTopics = (ctx: CliContext): string[] => [ctx.cfg.kafka.topics.activities, ctx.cfg.kafka.topics.follows, ctx.cfg.kafka.topics.fanout];

export interface RedriveOptions {
  readonly refs: readonly DlqRef[];
  readonly code?: string;
  readonly dryRun: boolean;
  readonly force: boolean;
}

/**
 * Re-publishes dead letters' values, with their keys, to their source topics. Idempotent: a value is republished
 * so that it lands on the rows the original would have written (redriveValue), so redriving twice leaves one feed
 * entry. All or nothing: if any chosen record would be refused (see redriveVerdict), nothing is sent.
 */
export async function dlqRedrive(ctx: CliContext, o: RedriveOptions): Promise<CommandResult> {
  if ((o.refs.length > 0) === (o.code !== undefined)) throw new CliError('give either dead-letter positions (<partition>:<offset> ...) or --code C', 2, 'USAGE');
  const chosen = o.refs.length > 0 ? await readRefs(ctx, o.refs) : (await readAll(ctx)).filter((d) => d.code === o.code);
  const topics = ctx.cfg.kafka.topics;
  const plan = chosen.map((d) => {
    const verdict: RedriveVerdict = redriveVerdict(d, ctx.cfg.kafka.maxRecordBytes, sourceTopics(ctx));
    const send = verdict.kind === 'redrivable' || (verdict.kind === 'needs-force' && o.force);
    return { d, verdict, send };
  });
  const refused = plan.filter((p) => !p.send);
  const planJson = plan.map((p) => ({
    ref: refText(p.d),
    code: p.d.code,
    to: p.d.sourceTopic,
    key: p.d.key?.toString('utf8') ?? null,
    action: p.send ? (o.dryRun ? 'would-send' : 'sent') : 'refused',
    ...(p.verdict.kind !== 'redrivable' ? { reason: p.verdict.reason, ...(p.verdict.kind === 'needs-force' ? { forceable: true } : {}) } : {}),
  }));
  const lines = table([['REF', 'CODE', 'TO', 'ACTION'], ...planJson.map((p) => [p.ref, p.code, p.to ?? '?', `${p.action}${p.reason ? ` (${p.reason}${p.forceable ? '; --force to send anyway' : ''})` : ''}`])]);
  if (chosen.length === 0) return { json: { dryRun: o.dryRun, sent: 0, records: [] }, human: [`nothing to redrive: no dead letter with code ${o.code}`] };
  if (refused.length > 0 && !o.dryRun) {
    throw new CliError(`${refused.length} of ${plan.length} dead letter(s) would be refused, nothing sent:\n${lines.join('\n')}`, 1, 'REFUSED');
  }
  if (o.dryRun) return { json: { dryRun: true, sent: 0, records: planJson }, human: [...lines, `dry run: ${plan.length - refused.length} would be sent, ${refused.length} refused`] };

  // Not idempotent: a retried send that doubles a record is harmless (redriving is idempotent), and one send at a time keeps the order.
  const producer = ctx.kafka().producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const progress = ctx.progress('redriving');
  await producer.connect();
  try {
    let sent = 0;
    for (const { d } of plan) {
      await producer.send({
        topic: d.sourceTopic as string,
        acks: -1,
        messages: [{ key: d.key, value: redriveValue(d, topics), headers: { 'redriven-from': `${topics.dlq}:${refText(d)}` } }],
      });
      progress.update(++sent, plan.length);
    }
  } finally {
    progress.stop();
    await producer.disconnect();
  }
  return { json: { dryRun: false, sent: plan.length, records: planJson }, human: [...lines, `redrove ${plan.length} dead letter(s)`] };
}

const readTimeout = (): Option => new Option('--read-timeout <seconds>', 'give up reading the dead-letter topic after this long').argParser(parsePositiveInt).default(60);

export function registerDlq(program: Command, action: ActionFactory<CliContext>): void {
  const dlq = program.command('dlq').description('read and redrive the dead-letter topic (KAFKA_TOPIC_DLQ; headers in docs/api.md §3.4)');
  dlq
    .command('list')
    .description('list dead letters (a bounded read: from the earliest offsets to the high watermarks at start)')
    .option('--code <code>', 'only this error-code (e.g. PROCESSING_FAILED)')
    .option('--since <iso>', 'only dead-lettered at or after this time', parseIso)
    .option('--key <key>', 'only records with this key (the actor or user)')
    .addOption(new Option('--limit <n>', 'show the newest N matches').argParser(parsePositiveInt).default(100))
    .addOption(readTimeout())
    .option('--json', 'one JSON document on stdout')
    .action(action((ctx, _args, opts) => dlqList(ctx, { code: opts.code as string | undefined, sinceMs: opts.since as number | undefined, key: opts.key as string | undefined, limit: opts.limit as number })));
  dlq
    .command('show')
    .description('show one dead letter: headers, key, value, whether it can be redriven')
    .argument('<partition:offset>', 'its position in the dead-letter topic (as dlq list prints it)', parseRef)
    .addOption(readTimeout())
    .option('--json', 'one JSON document on stdout')
    .action(action((ctx, args) => dlqShow(ctx, args[0] as DlqRef)));
  dlq
    .command('redrive')
    .description('re-publish dead letters (value and key) to their source topic; idempotent (same rows as the original). Refuses codes that would fail again unless --force; never a cut value')
    .argument('[partition:offset...]', 'dead letters to redrive', (v: string, prev: DlqRef[] | undefined) => [...(prev ?? []), parseRef(v)])
    .option('--code <code>', 'every dead letter with this error-code instead of positions')
    .option('--dry-run', 'show what would be sent, send nothing')
    .option('--force', 'also send records whose code means they will likely be dead-lettered again (INVALID_RECORD after a FOLLOW_LIMIT change, ...)')
    .addOption(readTimeout())
    .option('--json', 'one JSON document on stdout')
    .action(action((ctx, args, opts) => dlqRedrive(ctx, { refs: (args[0] as DlqRef[] | undefined) ?? [], code: opts.code as string | undefined, dryRun: opts.dryRun === true, force: opts.force === true })));
}
