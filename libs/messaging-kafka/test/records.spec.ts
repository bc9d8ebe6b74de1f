import { MAX_FUTURE_SKEW_MS, toIso } from '@app/domain';
import { TEST_POLICY } from '@app/testing';
import { parseActivityRecord, parseGraphRecord, PoisonRecordError, RecordMeta } from '@app/messaging-kafka';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const meta = (over: Partial<RecordMeta> = {}): RecordMeta => ({ topic: 'follows', partition: 0, offset: '7', timestampMs: NOW - 1000, nowMs: NOW, maxBytes: 64 * 1024, ...over });
const buf = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof PoisonRecordError ? e.code : `not poison: ${(e as Error).message}`;
  }
};

describe('follows records dated in the future', () => {
  const follow = { op: 'follow', user: 'alice', target: 'bob' };

  it('refuses an `at` more than MAX_FUTURE_SKEW_MS ahead as INVALID_RECORD', () => {
    expect(codeOf(() => parseGraphRecord(buf({ ...follow, at: toIso(NOW + MAX_FUTURE_SKEW_MS + 1000) }), meta()))).toBe('INVALID_RECORD');
    expect(codeOf(() => parseGraphRecord(buf({ ...follow, op: 'unmute', at: '2999-01-01T00:00:00Z' }), meta()))).toBe('INVALID_RECORD');
  });

  it('refuses a far-future record timestamp when `at` is absent', () => {
    expect(codeOf(() => parseGraphRecord(buf(follow), meta({ timestampMs: NOW + MAX_FUTURE_SKEW_MS + 1 })))).toBe('INVALID_RECORD');
    // An int64 timestamp beyond the Date range is refused too, not a RangeError (which would be retried as a bug).
    expect(codeOf(() => parseGraphRecord(buf(follow), meta({ timestampMs: 9e18 })))).toBe('INVALID_RECORD');
  });

  it('accepts times up to MAX_FUTURE_SKEW_MS ahead (clock skew) and any past time', () => {
    const at = NOW + MAX_FUTURE_SKEW_MS - 1000;
    expect(parseGraphRecord(buf({ ...follow, at: toIso(at) }), meta())).toEqual({ op: 'follow', user: 'alice', target: 'bob', atMs: at });
    expect(parseGraphRecord(buf(follow), meta({ timestampMs: NOW + MAX_FUTURE_SKEW_MS }))).toMatchObject({ atMs: NOW + MAX_FUTURE_SKEW_MS });
    expect(parseGraphRecord(buf({ ...follow, at: '2020-01-01T00:00:00Z' }), meta())).toMatchObject({ atMs: Date.UTC(2020, 0, 1) });
  });

  it('checks the `at` given, not the record timestamp, when both are present', () => {
    expect(parseGraphRecord(buf({ ...follow, at: toIso(NOW) }), meta({ timestampMs: NOW + 10 * MAX_FUTURE_SKEW_MS }))).toMatchObject({ atMs: NOW });
  });
});

describe('activity delete records dated in the future', () => {
  const del = { op: 'delete', id: 'act-1', actor: 'alice' };
  const m = (timestampMs: number): RecordMeta => meta({ topic: 'activities', timestampMs });

  it('refuses a delete whose record timestamp is more than MAX_FUTURE_SKEW_MS ahead', () => {
    expect(codeOf(() => parseActivityRecord(buf(del), m(NOW + MAX_FUTURE_SKEW_MS + 1), TEST_POLICY))).toBe('INVALID_RECORD');
    expect(codeOf(() => parseActivityRecord(buf(del), m(NOW + 365 * 86_400_000), TEST_POLICY))).toBe('INVALID_RECORD');
  });

  it('accepts a delete within the skew', () => {
    expect(parseActivityRecord(buf(del), m(NOW + MAX_FUTURE_SKEW_MS), TEST_POLICY)).toEqual({ kind: 'delete', id: 'act-1', actor: 'alice', atMs: NOW + MAX_FUTURE_SKEW_MS });
    expect(parseActivityRecord(buf(del), m(NOW - 60_000), TEST_POLICY)).toEqual({ kind: 'delete', id: 'act-1', actor: 'alice', atMs: NOW - 60_000 });
  });
});

describe('activity create records with a record timestamp in the future', () => {
  it('caps the accept time (the write timestamp of its rows) at MAX_FUTURE_SKEW_MS ahead, so a later delete wins', () => {
    const create = { actor: 'alice', type: 'post', object: 'note:1', foreignId: 'f1', published: toIso(NOW - 60_000) };
    const far = parseActivityRecord(buf(create), meta({ topic: 'activities', timestampMs: NOW + 365 * 86_400_000 }), TEST_POLICY);
    expect(far).toMatchObject({ kind: 'create', acceptedMs: NOW + MAX_FUTURE_SKEW_MS });
    const near = parseActivityRecord(buf(create), meta({ topic: 'activities', timestampMs: NOW + 1000 }), TEST_POLICY);
    expect(near).toMatchObject({ kind: 'create', acceptedMs: NOW + 1000 });
    // Same activity either way: the id does not depend on the accept time.
    expect(far.kind === 'create' && near.kind === 'create' && far.activity.id === near.activity.id).toBe(true);
  });
});

