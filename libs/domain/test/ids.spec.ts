import { activityIdFromIdentity, foreignIdentity, isValidId, newActivityId, recordIdentity } from '../src/ids';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const T0 = Date.parse('2024-05-01T12:00:00.000Z');

describe('activity ids', () => {
  it('are 26 Crockford base32 characters', () => {
    expect(newActivityId(T0)).toMatch(ULID);
    expect(activityIdFromIdentity(T0, ['x'])).toMatch(ULID);
    expect(newActivityId(0)).toMatch(ULID);
  });

  it('sort by published time: a later published sorts after an earlier one', () => {
    const times = [0, 1, 31, 32, 1023, 1024, T0 - 86_400_000, T0 - 1, T0, T0 + 1, T0 + 1000, 2 ** 47, 2 ** 48 - 1];
    for (let i = 0; i + 1 < times.length; i++) {
      const a = newActivityId(times[i] as number);
      const b = activityIdFromIdentity(times[i + 1] as number, ['z']);
      expect(a < b).toBe(true);
      expect(activityIdFromIdentity(times[i] as number, ['zzz']) < newActivityId(times[i + 1] as number)).toBe(true);
    }
  });

  it('share the time prefix for the same millisecond', () => {
    expect(newActivityId(T0).slice(0, 10)).toBe(activityIdFromIdentity(T0, ['a']).slice(0, 10));
    expect(newActivityId(T0).slice(0, 10)).not.toBe(newActivityId(T0 + 1).slice(0, 10));
  });

  it('are random for fresh submissions', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newActivityId(T0)));
    expect(ids.size).toBe(200);
  });

  it('are deterministic for the same identity and differ for different identities', () => {
    const id = activityIdFromIdentity(T0, foreignIdentity('alice', 'post-1', '2024-05-01T12:00:00.000Z'));
    expect(activityIdFromIdentity(T0, foreignIdentity('alice', 'post-1', '2024-05-01T12:00:00.000Z'))).toBe(id);
    const others = [
      activityIdFromIdentity(T0, foreignIdentity('bob', 'post-1', '2024-05-01T12:00:00.000Z')),
      activityIdFromIdentity(T0, foreignIdentity('alice', 'post-2', '2024-05-01T12:00:00.000Z')),
      activityIdFromIdentity(T0, foreignIdentity('alice', 'post-1', '2024-05-01T12:00:00.001Z')),
      activityIdFromIdentity(T0, recordIdentity('activities', 0, '1')),
    ];
    for (const o of others) expect(o).not.toBe(id);
    expect(new Set(others).size).toBe(others.length);
  });

  it('do not collide when identity parts shift characters between fields', () => {
    // ('ab', 'c') and ('a', 'bc') must be different identities.
    expect(activityIdFromIdentity(T0, ['ab', 'c'])).not.toBe(activityIdFromIdentity(T0, ['a', 'bc']));
    expect(activityIdFromIdentity(T0, foreignIdentity('a|b', 'c', 'p'))).not.toBe(activityIdFromIdentity(T0, foreignIdentity('a', 'b|c', 'p')));
  });

  it('record identities are deterministic per (topic, partition, offset)', () => {
    const a = activityIdFromIdentity(T0, recordIdentity('activities', 2, '1234'));
    expect(activityIdFromIdentity(T0, recordIdentity('activities', 2, '1234'))).toBe(a);
    expect(activityIdFromIdentity(T0, recordIdentity('activities', 2, '1235'))).not.toBe(a);
    expect(activityIdFromIdentity(T0, recordIdentity('activities', 3, '1234'))).not.toBe(a);
    expect(activityIdFromIdentity(T0, recordIdentity('other', 2, '1234'))).not.toBe(a);
    // 1/23 vs 12/3 must not collide either
    expect(activityIdFromIdentity(T0, recordIdentity('t', 1, '23'))).not.toBe(activityIdFromIdentity(T0, recordIdentity('t', 12, '3')));
  });

  it('foreignIdentity and recordIdentity are distinct namespaces', () => {
    expect(foreignIdentity('alice', 'f', 'p')).toEqual(['fid', 'alice', 'f', 'p']);
    expect(recordIdentity('t', 1, '9')).toEqual(['rec', 't', '1', '9']);
  });
});

describe('isValidId', () => {
  it('accepts 1-128 chars of the allowed alphabet', () => {
    for (const s of ['a', 'user_1', 'a.b:c@d-e', 'Z'.repeat(128)]) expect(isValidId(s)).toBe(true);
  });
  it('rejects empty, too long, forbidden characters and non-strings', () => {
    for (const s of ['', 'a'.repeat(129), 'a b', 'a/b', 'a#b', 'é', 'a\nb', 42, null, undefined]) expect(isValidId(s)).toBe(false);
  });
});
