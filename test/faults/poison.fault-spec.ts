/**
 * Fault 5: poison and hostile input.
 *
 * Kafka: a corpus of bad records (truncated JSON, deep nesting, huge strings, wrong types, invalid dates, unknown
 * ops, oversized extra, binary garbage, ...) is produced interleaved with good records on the activities and
 * follows topics. Checked: each bad record is in the dead-letter topic exactly once with its original key and
 * value, the expected error-code, a non-empty error-message and its source topic/partition/offset; every good
 * record is delivered (author feed + follower home, exactly once); nothing bad is stored; the worker stays up.
 *
 * HTTP: oversized bodies, malformed JSON, invalid ids, forged cursors, forged tokens, bad query values: each
 * answers the expected 4xx in the contract's error shape, never a 5xx, never a stack trace.
 *
 * Quick and full modes are the same.
 */
import { activityIdFromIdentity, foreignIdentity, toIso } from '@app/domain';
import { createHmac } from 'node:crypto';
import { loadAppConfig } from '@app/config';
import { Fixtures, openFixtures } from '../../apps/fanout-worker/test/fixtures';
import { Stack, startStack } from '../e2e/support/stack';
import { checkHomes, note, readDlq, secondMs, serverOverrides, userFeedIds } from './support/faults';

jest.setTimeout(300_000);

let stack: Stack;
let fx: Fixtures;

beforeAll(async () => {
  stack = await startStack(serverOverrides(), { workers: 1 });
  fx = await openFixtures(loadAppConfig(stack.env));
});

afterAll(async () => {
  await stack?.close();
  await fx?.close();
});

const deep = (depth: number, open: string, close: string, inner = '0'): string => open.repeat(depth) + inner + close.repeat(depth);

describe('poison Kafka records', () => {
  it('dead-letters every bad record with a reason and delivers every good one exactly once', async () => {
    const cfg = loadAppConfig(stack.env);
    const T = cfg.kafka.topics;
    const author = stack.user('author');
    const follower = stack.user('fan');
    await fx.stores.graph.apply({ op: 'follow', user: follower, target: author, atMs: Date.now() - 60_000 });
    await fx.stores.readers.setLastRead(follower, Date.now());
    const base = { actor: author, type: 'post', object: 'note:x' };
    const rec = (extra: Record<string, unknown>): string => JSON.stringify({ ...base, ...extra });
    const maxBytes = cfg.kafka.maxRecordBytes;

    // [name, expected error-code(s), value]
    const activityPoison: [string, string[], string | Buffer | null][] = [
      ['truncated JSON', ['NOT_JSON'], rec({ foreignId: 'p' }).slice(0, 30)],
      ['truncated mid-string', ['NOT_JSON'], '{"actor":"abc","type":"po'],
      ['trailing garbage', ['NOT_JSON'], `${rec({})}}}`],
      ['deep array nesting (20,000 levels)', ['NOT_JSON', 'INVALID_RECORD'], deep(20_000, '[', ']')],
      ['deep object nesting (10,000 levels)', ['NOT_JSON', 'INVALID_RECORD'], deep(10_000, '{"a":', '}')],
      ['deep nesting inside extra (over 8 KiB)', ['INVALID_RECORD'], `{"actor":"${author}","type":"post","object":"o","extra":${deep(3000, '{"a":', '}')}}`],
      ['unknown op with deep extra (under 8 KiB)', ['UNKNOWN_OP'], `{"actor":"${author}","type":"post","object":"o","extra":${deep(900, '{"a":', '}', '[1]')},"op":"nope"}`],
      ['huge string actor (60 KB)', ['INVALID_RECORD'], rec({ actor: 'a'.repeat(60_000) })],
      ['huge string object (60 KB)', ['INVALID_RECORD'], rec({ object: 'o'.repeat(60_000) })],
      ['value over the record limit', ['RECORD_TOO_LARGE'], rec({ extra: { pad: 'x'.repeat(maxBytes + 100) } })],
      ['foreignId of 257 chars', ['INVALID_RECORD'], rec({ foreignId: 'f'.repeat(257) })],
      ['actor is a number', ['INVALID_RECORD'], rec({ actor: 12345 })],
      ['type is an array', ['INVALID_RECORD'], rec({ type: ['post'] })],
      ['object is an object', ['INVALID_RECORD'], rec({ object: { id: 'x' } })],
      ['to is a string', ['INVALID_RECORD'], rec({ to: 'bob' })],
      ['to has 101 users', ['INVALID_RECORD'], rec({ to: Array.from({ length: 101 }, (_, i) => `u${i}`) })],
      ['to holds a number', ['INVALID_RECORD'], rec({ to: [1] })],
      ['extra is an array', ['INVALID_RECORD'], rec({ extra: [1, 2] })],
      ['extra is a string', ['INVALID_RECORD'], rec({ extra: 'x' })],
      ['published is a number', ['INVALID_RECORD'], rec({ published: 1700000000000 })],
      ['published month 13', ['INVALID_RECORD'], rec({ published: '2024-13-01T00:00:00Z' })],
      ['published Feb 30', ['INVALID_RECORD'], rec({ published: '2024-02-30T10:00:00Z' })],
      ['published hour 25', ['INVALID_RECORD'], rec({ published: '2024-01-01T25:00:00Z' })],
      ['published without zone', ['INVALID_RECORD'], rec({ published: '2024-01-01T10:00:00' })],
      ['published is words', ['INVALID_RECORD'], rec({ published: 'yesterday' })],
      ['published is empty', ['INVALID_RECORD'], rec({ published: '' })],
      ['published far in the future', ['INVALID_RECORD'], rec({ published: '2999-01-01T00:00:00Z' })],
      ['published before retention', ['INVALID_RECORD'], rec({ published: '1990-01-01T00:00:00Z' })],
      ['unknown op string', ['UNKNOWN_OP'], rec({ op: 'update' })],
      ['unknown op number', ['UNKNOWN_OP'], rec({ op: 7 })],
      ['unknown op null', ['UNKNOWN_OP', 'INVALID_RECORD'], rec({ op: null })],
      ['delete without id', ['INVALID_RECORD'], JSON.stringify({ op: 'delete', actor: author })],
      ['delete with a bad id', ['INVALID_RECORD'], JSON.stringify({ op: 'delete', actor: author, id: 'no spaces allowed' })],
      ['oversized extra (9 KiB)', ['INVALID_RECORD'], rec({ extra: { pad: 'x'.repeat(9 * 1024) } })],
      ['unknown top-level field', ['INVALID_RECORD'], rec({ surprise: true })],
      ['__proto__ field', ['INVALID_RECORD'], `{"__proto__":{"polluted":true},"actor":"${author}","type":"post","object":"o"}`],
      ['missing actor', ['INVALID_RECORD'], JSON.stringify({ type: 'post', object: 'o' })],
      ['JSON null', ['INVALID_RECORD'], 'null'],
      ['JSON string', ['INVALID_RECORD'], '"hello"'],
      ['JSON number', ['INVALID_RECORD'], '42'],
      ['empty value', ['EMPTY_VALUE'], ''],
      ['null value (tombstone)', ['EMPTY_VALUE'], null],
      ['binary garbage', ['NOT_JSON'], Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256))],
      ['invalid UTF-8 inside JSON', ['INVALID_RECORD', 'NOT_JSON'], Buffer.concat([Buffer.from(`{"actor":"${author}","type":"post","object":"o`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
      ['NUL bytes', ['NOT_JSON'], Buffer.from([0, 0, 0, 0])],
    ];
    const followPoison: [string, string[], string | Buffer | null][] = [
      ['follows: unknown op', ['UNKNOWN_OP'], JSON.stringify({ op: 'poke', user: follower, target: author })],
      ['follows: missing target', ['INVALID_RECORD'], JSON.stringify({ op: 'follow', user: follower })],
      ['follows: self-follow', ['INVALID_RECORD'], JSON.stringify({ op: 'follow', user: follower, target: follower })],
      ['follows: wrong types', ['INVALID_RECORD'], JSON.stringify({ op: 'follow', user: 1, target: ['x'] })],
      ['follows: invalid at', ['INVALID_RECORD'], JSON.stringify({ op: 'follow', user: follower, target: 'someone', at: 'soon' })],
      ['follows: truncated JSON', ['NOT_JSON'], '{"op":"follow","user":'],
      ['follows: binary garbage', ['NOT_JSON'], Buffer.from([0x80, 0x81, 0x82, 0xc0, 0xc1])],
    ];

    // Interleave: bad, good, bad, good... on keys that spread over the partitions; every good record has a foreignId.
    const ms = secondMs();
    const good: { id: string; fid: string }[] = [];
    const sent: { name: string; codes: string[]; topic: string; partition: number; offset: string; key: string; value: string | Buffer | null }[] = [];
    let g = 0;
    const sendGood = async (): Promise<void> => {
      const fid = `good-${g++}`;
      await fx.produce(T.activities, author, rec({ foreignId: fid, published: toIso(ms) }));
      good.push({ fid, id: activityIdFromIdentity(ms, foreignIdentity(author, fid, toIso(ms))) });
    };
    const corpus = [...activityPoison.map((p) => ({ topic: T.activities, p })), ...followPoison.map((p) => ({ topic: T.follows, p }))];
    for (const [i, { topic, p: [name, codes, value] }] of corpus.entries()) {
      const key = `${stack.tag}-poison-${i % 5}`;
      const { partition, offset } = await fx.produce(topic, key, value);
      sent.push({ name, codes, topic, partition, offset, key, value });
      await sendGood();
    }
    await sendGood();

    // Every good record arrives.
    await stack.quiesce(120_000);
    const feed = await userFeedIds(fx.client, author, ms);
    const goodIds = new Set(good.map((x) => x.id));
    const missingGood = good.filter((x) => !feed.includes(x.id)).map((x) => x.fid);
    const duplicatedGood = good.filter((x) => feed.filter((id) => id === x.id).length > 1).map((x) => x.fid);
    const extraInFeed = feed.filter((id) => !goodIds.has(id));
    const homes = await checkHomes(fx.client, [author, follower], () => goodIds, [ms]);

    // Every bad record is in the DLQ exactly once, with the contract's headers.
    const dlq = await readDlq(fx.kafka, T.dlq, `${stack.tag}-dlq-reader`, (es) => es.length >= sent.length, 60_000);
    const bySource = new Map<string, typeof dlq>();
    for (const e of dlq) {
      const k = `${e.headers['source-topic']}:${e.headers['source-partition']}:${e.headers['source-offset']}`;
      bySource.set(k, [...(bySource.get(k) ?? []), e]);
    }
    const problems: string[] = [];
    for (const s of sent) {
      const found = bySource.get(`${s.topic}:${s.partition}:${s.offset}`) ?? [];
      if (found.length !== 1) {
        problems.push(`${s.name}: ${found.length} DLQ entries`);
        continue;
      }
      const e = found[0] as (typeof dlq)[number];
      const code = e.headers['error-code'] ?? '';
      if (!s.codes.includes(code)) problems.push(`${s.name}: error-code ${code} (${e.headers['error-message']}), expected ${s.codes.join('|')}`);
      if (!(e.headers['error-message'] ?? '').trim()) problems.push(`${s.name}: empty error-message`);
      if (e.key !== s.key) problems.push(`${s.name}: key ${e.key} instead of ${s.key}`);
      const original = s.value === null ? null : Buffer.from(s.value);
      const same = original === null ? e.value === null || e.value.length === 0 : e.value !== null && original.equals(e.value);
      if (!same) problems.push(`${s.name}: DLQ value differs from the original`);
    }
    const unexpectedDlq = dlq.filter((e) => !sent.some((s) => `${s.topic}:${s.partition}:${s.offset}` === `${e.headers['source-topic']}:${e.headers['source-partition']}:${e.headers['source-offset']}`));
    note(
      `fault 5 (Kafka): ${sent.length} bad records (${activityPoison.length} activities, ${followPoison.length} follows), ${good.length} good; ` +
        `DLQ entries ${dlq.length}, problems ${problems.length}, unexpected DLQ ${unexpectedDlq.length}; good missing ${missingGood.length}, ` +
        `duplicated ${duplicatedGood.length}, extra in feed ${extraInFeed.length}; homes missing ${homes.missing}, duplicated ${homes.duplicated}, extra ${homes.extra}`,
    );
    expect(problems).toEqual([]);
    expect(unexpectedDlq.map((e) => e.headers)).toEqual([]);
    expect({ missingGood, duplicatedGood, extraInFeed }).toEqual({ missingGood: [], duplicatedGood: [], extraInFeed: [] });
    expect(homes).toEqual({ users: 2, missing: 0, duplicated: 0, extra: 0, examples: [] });
    const worker = stack.workers[0];
    expect(worker?.proc.exitCode).toBeNull();
    // No bad record was retried as a bug before being dead-lettered.
    expect(await worker?.metric('tideline_records_dead_lettered_total', { code: 'PROCESSING_FAILED' })).toBe(0);
  });
});

describe('hostile HTTP input', () => {
  it('answers each with a clear 4xx in the contract error shape, never a 5xx', async () => {
    const me = stack.user('me');
    const other = stack.user('other');
    const secret = stack.env['AUTH_JWT_SECRET'] as string;
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const sign = (head: object, claims: object, key = secret): string => {
      const h = b64(head);
      const c = b64(claims);
      return `${h}.${c}.${createHmac('sha256', key).update(`${h}.${c}`).digest('base64url')}`;
    };
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const valid = sign({ alg: 'HS256', typ: 'JWT' }, { sub: me, exp });
    const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

    // A real cursor for my home feed (needs a second page), then forged variants of it.
    const author = stack.user('writer');
    await stack.call('PUT', `/v1/users/${me}/following/${author}`, me);
    for (let i = 0; i < 3; i++) expect((await stack.call('POST', '/v1/activities', author, { actor: author, type: 'post', object: `o${i}` })).status).toBe(202);
    await stack.quiesce();
    const page = await stack.call('GET', `/v1/feeds/home/${me}?limit=1`, me);
    expect(page.status).toBe(200);
    const cursor = (page.body as { next: string | null }).next;
    expect(cursor).toEqual(expect.any(String));
    const [cBody, cSig] = (cursor as string).split('.') as [string, string];
    // Move the pinned position by 1 ms and keep the signature: a client trying to skip around.
    const payload = JSON.parse(Buffer.from(cBody, 'base64url').toString()) as unknown[];
    payload[2] = Number(payload[2]) - 1;
    const tampered = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${cSig}`;
    expect(tampered).not.toBe(cursor);

    type Case = [name: string, method: string, path: string, expected: number, opts?: { as?: string; body?: unknown; headers?: Record<string, string>; raw?: string }];
    const big = JSON.stringify({ actor: me, type: 'post', object: 'o', extra: { pad: 'x'.repeat(70 * 1024) } });
    const cases: Case[] = [
      ['body over 64 KiB', 'POST', '/v1/activities', 413, { as: me, raw: big }],
      ['body of 1 MiB', 'POST', '/v1/activities', 413, { as: me, raw: `{"pad":"${'x'.repeat(1024 * 1024)}"}` }],
      ['malformed JSON', 'POST', '/v1/activities', 400, { as: me, raw: '{"actor": "me", ' }],
      ['JSON array body', 'POST', '/v1/activities', 400, { as: me, raw: '[1,2,3]' }],
      ['JSON null body', 'POST', '/v1/activities', 400, { as: me, raw: 'null' }],
      ['deeply nested body', 'POST', '/v1/activities', 400, { as: me, raw: `{"actor":"${me}","type":"post","object":"o","extra":${deep(5000, '{"a":', '}')}}` }],
      ['deep array body', 'POST', '/v1/activities', 400, { as: me, raw: deep(30_000, '[', ']') }],
      ['wrong types', 'POST', '/v1/activities', 400, { as: me, body: { actor: me, type: 1, object: ['o'] } }],
      ['invalid date', 'POST', '/v1/activities', 400, { as: me, body: { actor: me, type: 'post', object: 'o', published: '2024-02-30T00:00:00Z' } }],
      ['published far future', 'POST', '/v1/activities', 400, { as: me, body: { actor: me, type: 'post', object: 'o', published: '2999-01-01T00:00:00Z' } }],
      ['unknown field', 'POST', '/v1/activities', 400, { as: me, body: { actor: me, type: 'post', object: 'o', admin: true } }],
      ['__proto__ field', 'POST', '/v1/activities', 400, { as: me, raw: `{"__proto__":{"x":1},"actor":"${me}","type":"post","object":"o"}` }],
      ['text/plain body', 'POST', '/v1/activities', 400, { as: me, raw: 'hello', headers: { 'content-type': 'text/plain' } }],
      ['unknown content type', 'POST', '/v1/activities', 415, { as: me, raw: '<x/>', headers: { 'content-type': 'application/xml' } }],
      ['invalid user id (space)', 'GET', '/v1/feeds/user/bad%20id', 400, { as: me }],
      ['invalid user id (129 chars)', 'GET', `/v1/feeds/user/${'a'.repeat(129)}`, 400, { as: me }],
      ['invalid user id (unicode)', 'PUT', `/v1/users/${me}/following/%C3%A9l%C3%A8ve`, 400, { as: me }],
      ['invalid user id (NUL)', 'GET', '/v1/feeds/user/a%00b', 400, { as: me }],
      ['invalid percent-encoding', 'GET', '/v1/feeds/user/%E0%A4%A', 400, { as: me }],
      ['very long path param', 'GET', `/v1/feeds/user/${'a'.repeat(5000)}`, 400, { as: me }],
      ['invalid activity id on delete', 'DELETE', '/v1/activities/not%20an%20id', 400, { as: me }],
      ['unknown activity id on delete', 'DELETE', '/v1/activities/01ARZ3NDEKTSV4RRFFQ69G5FAV', 404, { as: me }],
      ['self-follow', 'PUT', `/v1/users/${me}/following/${me}`, 400, { as: me }],
      ['limit=0', 'GET', `/v1/feeds/user/${me}?limit=0`, 400, { as: me }],
      ['limit=101', 'GET', `/v1/feeds/user/${me}?limit=101`, 400, { as: me }],
      ['limit=abc', 'GET', `/v1/feeds/user/${me}?limit=abc`, 400, { as: me }],
      ['limit=1e309', 'GET', `/v1/feeds/user/${me}?limit=1e309`, 400, { as: me }],
      ['limit twice', 'GET', `/v1/feeds/user/${me}?limit=1&limit=2`, 400, { as: me }],
      ['forged cursor (random)', 'GET', `/v1/feeds/home/${me}?cursor=abc.def`, 400, { as: me }],
      ['forged cursor (no signature)', 'GET', `/v1/feeds/home/${me}?cursor=${cBody}`, 400, { as: me }],
      ['forged cursor (edited payload)', 'GET', `/v1/feeds/home/${me}?cursor=${encodeURIComponent(tampered)}`, 400, { as: me }],
      ['cursor of another feed', 'GET', `/v1/feeds/user/${me}?cursor=${encodeURIComponent(cursor as string)}`, 400, { as: me }],
      ['cursor of another user', 'GET', `/v1/feeds/home/${other}?cursor=${encodeURIComponent(cursor as string)}`, 400, { as: other }],
      ['cursor signed with another key', 'GET', `/v1/feeds/home/${me}?cursor=${cBody}.${createHmac('sha256', 'x').update(cBody).digest('base64url').slice(0, 22)}`, 400, { as: me }],
      ['cursor of 10 KB', 'GET', `/v1/feeds/home/${me}?cursor=${'a'.repeat(10_000)}`, 400, { as: me }],
      ['cursor twice', 'GET', `/v1/feeds/home/${me}?cursor=${encodeURIComponent(cursor as string)}&cursor=x`, 400, { as: me }],
      ['no token', 'GET', `/v1/feeds/home/${me}`, 401],
      ['token with alg none', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: me, exp })}.`) }],
      ['token signed with another secret', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer(sign({ alg: 'HS256', typ: 'JWT' }, { sub: me, exp }, 'another-secret-0123456789')) }],
      ['token with HS512', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer(sign({ alg: 'HS512', typ: 'JWT' }, { sub: me, exp })) }],
      ['expired token', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer(sign({ alg: 'HS256', typ: 'JWT' }, { sub: me, exp: 1000 })) }],
      ['token without sub', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer(sign({ alg: 'HS256', typ: 'JWT' }, { exp })) }],
      ['token with numeric sub', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer(sign({ alg: 'HS256', typ: 'JWT' }, { sub: 42, exp })) }],
      ['token with edited claims', 'GET', `/v1/feeds/home/${other}`, 401, { headers: bearer(`${valid.split('.')[0]}.${b64({ sub: other, exp })}.${valid.split('.')[2]}`) }],
      ['token with admin scope added', 'GET', `/v1/feeds/home/${other}`, 401, { headers: bearer(`${valid.split('.')[0]}.${b64({ sub: me, exp, scope: 'admin' })}.${valid.split('.')[2]}`) }],
      ['garbage token', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer('not-a-jwt') }],
      ['token with JSON garbage parts', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer('e30.e30.e30') }],
      ['Basic auth', 'GET', `/v1/feeds/home/${me}`, 401, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }],
      ['empty Bearer', 'GET', `/v1/feeds/home/${me}`, 401, { headers: { authorization: 'Bearer ' } }],
      ['huge token', 'GET', `/v1/feeds/home/${me}`, 401, { headers: bearer('a'.repeat(8000)) }],
      ['valid token for another user', 'GET', `/v1/feeds/home/${other}`, 403, { headers: bearer(valid) }],
      ['publishing as another actor', 'POST', '/v1/activities', 403, { as: me, body: { actor: other, type: 'post', object: 'o' } }],
      ['mark-read with bad groups', 'POST', `/v1/feeds/notifications/${me}/read`, 400, { as: me, body: { groups: 'all' } }],
      ['mark-read with nested garbage', 'POST', `/v1/feeds/notifications/${me}/seen`, 400, { as: me, body: { groups: [{ a: 1 }] } }],
    ];

    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    for (const [name, method, path, expected, o = {}] of cases) {
      const headers = { ...(o.raw !== undefined && !o.headers?.['content-type'] ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) };
      let res: { status: number; body: unknown };
      try {
        res = await stack.call(method, path, o.as, o.raw ?? o.body, headers);
      } catch (e) {
        failures.push(`${name}: no HTTP answer (${(e as Error).message})`);
        continue;
      }
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const body = res.body as Record<string, unknown> | undefined;
      const shapeOk =
        typeof body === 'object' && body !== null && body['statusCode'] === res.status && typeof body['error'] === 'string' && /^[A-Z_]+$/.test(body['error']) && typeof body['message'] === 'string';
      const leaks = /\n\s+at |node_modules|\.ts:\d+/.test(JSON.stringify(res.body ?? ''));
      if (res.status !== expected || !shapeOk || leaks) failures.push(`${name}: ${method} ${path.slice(0, 80)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)} (expected ${expected})`);
    }
    // The API is still healthy afterwards.
    expect((await fetch(`${stack.api}/health/ready`)).status).toBe(200);
    note(`fault 5 (HTTP): ${cases.length} hostile requests, statuses ${JSON.stringify(statuses)}, ${failures.length} not as expected`);
    expect(failures).toEqual([]);
    expect(Object.keys(statuses).filter((s) => Number(s) >= 500)).toEqual([]);
  });
});
