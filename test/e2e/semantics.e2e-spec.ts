import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { newActivityId, toIso } from '@app/domain';
import { waitFor } from '@app/testing';
import { Stack, startStack } from './support/stack';

interface Page {
  items: { id: string; actor: string; object: string }[];
  next: string | null;
}

/**
 * What users hit, end to end (real API process, real worker, Kafka, Cassandra): docs/api.md delete
 * semantics, FOLLOW_LIMIT, and untrusted producers on the activities topic.
 */
describe('feed semantics users hit (docs/api.md)', () => {
  let s: Stack;
  let producer: Producer;

  beforeAll(async () => {
    s = await startStack({ FOLLOW_LIMIT: '3' });
    const kafka = new Kafka({ clientId: `e2e-sem-${s.tag}`, brokers: (s.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
  }, 120_000);
  afterAll(async () => {
    await producer?.disconnect();
    await s?.close();
  });

  const page = async (path: string, as: string): Promise<Page> => {
    const r = await s.call('GET', path, as);
    expect(r.status).toBe(200);
    return r.body as Page;
  };

  it('a post deleted the moment its 202 arrives is 202, and never appears in any feed', async () => {
    const [alice, bob] = [s.user('quick-a'), s.user('quick-b')];
    expect((await s.call('PUT', `/v1/users/${bob}/following/${alice}`, bob)).status).toBe(204);
    await page(`/v1/feeds/home/${bob}`, bob); // bob is an active reader: fanout would deliver to him
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const posted = await s.call('POST', '/v1/activities', alice, { actor: alice, type: 'post', object: `note:quick${i}` });
      expect(posted.status).toBe(202);
      const id = (posted.body as { id: string }).id;
      const del = await s.call('DELETE', `/v1/activities/${id}`, alice);
      expect(del.status).toBe(202);
      ids.push(id);
    }
    // A control post that stays, so "nothing appeared" is not just "nothing was processed yet".
    const kept = await s.call('POST', '/v1/activities', alice, { actor: alice, type: 'post', object: 'note:kept' });
    const keptId = (kept.body as { id: string }).id;
    await s.quiesce();
    await waitFor('the kept post in bob\'s home', async () => (await page(`/v1/feeds/home/${bob}`, bob)).items.some((a) => a.id === keptId));
    for (const path of [`/v1/feeds/home/${bob}`, `/v1/feeds/home/${alice}`, `/v1/feeds/user/${alice}`]) {
      const got = (await page(path, path.includes(alice) ? alice : bob)).items.map((a) => a.id);
      expect(got.filter((id) => ids.includes(id))).toEqual([]);
    }
    // Deleting again is still 202; an id never accepted is 404.
    expect((await s.call('DELETE', `/v1/activities/${ids[0]}`, alice)).status).toBe(202);
    expect((await s.call('DELETE', `/v1/activities/${newActivityId(Date.now())}`, alice)).status).toBe(404);
  });

  it('FOLLOW_LIMIT: the follow beyond it is 409 FOLLOW_LIMIT_REACHED; re-following an account is still 204', async () => {
    const fan = s.user('collector');
    for (let i = 0; i < 3; i++) expect((await s.call('PUT', `/v1/users/${fan}/following/${s.user(`idol${i}`)}`, fan)).status).toBe(204);
    const over = await s.call('PUT', `/v1/users/${fan}/following/${s.user('idol3')}`, fan);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ statusCode: 409, error: 'FOLLOW_LIMIT_REACHED' });
    expect((await s.call('PUT', `/v1/users/${fan}/following/${s.user('idol0')}`, fan)).status).toBe(204);
    const following = (await s.call('GET', `/v1/users/${fan}/following`, fan)).body as { items: { userId: string }[] };
    expect(following.items.map((i) => i.userId)).not.toContain(s.user('idol3'));
  });

  it("a Kafka delete record for an id not stored yet, by another actor, cannot hide the real actor's post", async () => {
    const [alice, mallory] = [s.user('victim'), s.user('mallory')];
    const ms = Math.floor(Date.now() / 1000) * 1000 - 5_000;
    const id = newActivityId(ms);
    const topic = s.env['KAFKA_TOPIC_ACTIVITIES'] as string;
    await producer.send({ topic, acks: -1, messages: [{ key: mallory, value: JSON.stringify({ op: 'delete', id, actor: mallory }) }] });
    await s.quiesce();
    await producer.send({ topic, acks: -1, messages: [{ key: alice, value: JSON.stringify({ id, actor: alice, type: 'post', object: 'note:mine', published: toIso(ms) }) }] });
    await s.quiesce();
    expect((await page(`/v1/feeds/user/${alice}`, alice)).items.map((a) => a.id)).toEqual([id]);
  });

  it('a post retried with the same foreignId and no published answers with the first one, and the feed shows one entry (REST and Kafka)', async () => {
    const alice = s.user('retry');
    const body = { actor: alice, type: 'post', object: 'note:once', foreignId: 'client-retry-1' };
    const first = await s.call('POST', '/v1/activities', alice, body);
    expect(first.status).toBe(202);
    const retry = await s.call('POST', '/v1/activities', alice, body);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    // A producer re-sending a record without published (two records, two timestamps) is one activity too.
    const topic = s.env['KAFKA_TOPIC_ACTIVITIES'] as string;
    const record = JSON.stringify({ actor: alice, type: 'post', object: 'note:kafka', foreignId: 'producer-retry-1' });
    await producer.send({ topic, acks: -1, messages: [{ key: alice, value: record, timestamp: String(Date.now() - 2_000) }] });
    await producer.send({ topic, acks: -1, messages: [{ key: alice, value: record, timestamp: String(Date.now()) }] });
    await s.quiesce();
    const objects = (await page(`/v1/feeds/user/${alice}`, alice)).items.map((a) => a.object).sort();
    expect(objects).toEqual(['note:kafka', 'note:once']);
  });

  it('lists the accounts a user muted (GET /v1/users/:userId/muted), page by page, to that user only', async () => {
    const [me, nosy] = [s.user('muter'), s.user('nosy')];
    const targets = [s.user('loud1'), s.user('loud2'), s.user('loud3')].sort();
    for (const t of targets) expect((await s.call('PUT', `/v1/users/${me}/muted/${t}`, me)).status).toBe(204);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await s.call('GET', `/v1/users/${me}/muted?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, me);
      expect(r.status).toBe(200);
      const body = r.body as { items: { userId: string; since: string }[]; next: string | null };
      for (const item of body.items) {
        expect(Number.isNaN(Date.parse(item.since))).toBe(false);
        seen.push(item.userId);
      }
      cursor = body.next;
      if (!cursor) break;
    }
    expect(seen).toEqual(targets);
    expect((await s.call('GET', `/v1/users/${me}/muted`, nosy)).status).toBe(403);
    expect((await s.call('GET', `/v1/users/${me}/muted`)).status).toBe(401);
    expect((await s.call('DELETE', `/v1/users/${me}/muted/${targets[0]}`, me)).status).toBe(204);
    const after = (await s.call('GET', `/v1/users/${me}/muted`, me)).body as { items: { userId: string }[] };
    expect(after.items.map((i) => i.userId)).toEqual(targets.slice(1));
  });

  it('lets a browser on another origin use every method: the CORS preflight allows PUT and DELETE with a bearer token', async () => {
    for (const method of ['PUT', 'DELETE', 'POST', 'GET']) {
      const res = await fetch(`${s.api}/v1/users/${s.user('a')}/following/${s.user('b')}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(res.status).toBeLessThan(300);
      expect((res.headers.get('access-control-allow-methods') ?? '').split(',').map((m) => m.trim())).toContain(method);
      expect((res.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('authorization');
    }
  });
});
