// First-page cost of a returning reader, the two ways docs/architecture.md weighs: rebuilding the home window
// on the read path (what Tideline does) versus serving the page by pull (what handing the rebuild to the worker
// would serve until the worker caught up). Real Cassandra (the test keyspace), the real services.
//
//   node scripts/with-infra.mjs ts-node -r tsconfig-paths/register --transpile-only bench/returning-reader.ts [followees...]
import 'reflect-metadata';
import { Activity, newActivityId, toIso } from '@app/domain';
import { createReadPath, createWritePath, EventPublisher, NOOP_FANOUT_METRICS } from '@app/feeds';
import { createCassandraClient, createCassandraStores } from '@app/storage-cassandra';
import { RecordingChunkPublisher, RecordingLivePublisher, testConfig, uniqueTag } from '@app/testing';

/** This measurement publishes nothing: its activities are written straight through the write path. */
const NO_EVENTS: EventPublisher = { publishActivity: async () => undefined, publishDelete: async () => undefined, publishGraphChange: async () => undefined };

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const tag = uniqueTag('rr');
  const cfg = testConfig(tag);
  const client = createCassandraClient(cfg.cassandra);
  await client.connect();
  const stores = createCassandraStores(client, cfg);
  const write = createWritePath(cfg, { ...stores, chunks: new RecordingChunkPublisher(), live: new RecordingLivePublisher(), metrics: NOOP_FANOUT_METRICS });
  const { reader, recentDeletes } = createReadPath(cfg, { ...stores, events: NO_EVENTS });
  await recentDeletes.refresh();
  const rows: string[] = [];
  for (const f of sizes.length ? sizes : [10, 100, 1000]) {
    const [rebuilt, pulled] = [`${tag}-r${f}`, `${tag}-p${f}`];
    for (let i = 0; i < f; i++) {
      const author = `${tag}-a${f}-${i}`;
      await Promise.all([rebuilt, pulled].map((u) => stores.graph.apply({ op: 'follow', user: u, target: author, atMs: Date.now() - 3_600_000 })));
      for (let k = 0; k < 3; k++) {
        const ms = Date.now() - (i * 3 + k + 1) * 60_000;
        const a: Activity = { id: newActivityId(ms), actor: author, type: 'post', object: `note:${i}:${k}`, published: toIso(ms) };
        await write.ingest(a, Date.now(), async () => undefined);
      }
    }
    const t0 = process.hrtime.bigint();
    const first = await reader.homeFeed(rebuilt, 25); // inactive: rebuild, then the page from the home timeline
    const rebuildMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const t1 = process.hrtime.bigint();
    await reader.homeFeed(rebuilt, 25); // the same reader's next first page: materialised
    const warmMs = Number(process.hrtime.bigint() - t1) / 1e6;
    // A pending rebuild (started, never finished, recent) makes the page a pull from every followee's feed.
    await stores.readers.startRebuild(pulled, Date.now());
    const t2 = process.hrtime.bigint();
    const pull = await reader.homeFeed(pulled, 25);
    const pullMs = Number(process.hrtime.bigint() - t2) / 1e6;
    if (pull.items.length !== first.items.length) throw new Error('pull and rebuild pages differ');
    rows.push(`| ${f} | ${rebuildMs.toFixed(0)} ms | ${pullMs.toFixed(0)} ms | ${warmMs.toFixed(0)} ms |`);
  }
  console.log('| followees | first page with rebuild | first page by pull | next first page (materialised) |\n|---|---|---|---|');
  console.log(rows.join('\n'));
  await client.shutdown();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
