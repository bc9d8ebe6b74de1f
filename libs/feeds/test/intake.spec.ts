import { TEST_POLICY } from '@app/testing';
import { DAY_MS, DomainError, FeedPolicy, MAX_EXTRA_BYTES, parseRfc3339 } from '@app/domain';
import { ActivityInputDto, ActivityRecordDto, validateInput } from '@app/wire';
import { acceptActivity, AcceptContext } from '../src/intake';

const policy: FeedPolicy = TEST_POLICY;
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const ctx: AcceptContext = { nowMs: NOW, defaultPublishedMs: NOW, policy };

function expectValidationError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('VALIDATION_FAILED');
    return e as DomainError;
  }
  throw new Error('expected a VALIDATION_FAILED error');
}
const fieldsOf = (e: DomainError): string[] => (e.fields ?? []).map((f) => f.field).sort();

const valid = { actor: 'alice', type: 'Create', object: 'post:1' };
const accept = (raw: object, c: Partial<AcceptContext> = {}): ReturnType<typeof acceptActivity> =>
  acceptActivity(validateInput(ActivityInputDto, raw), { ...ctx, ...c });

describe('validateInput(ActivityInputDto)', () => {
  it('accepts a minimal and a full activity', () => {
    expect(validateInput(ActivityInputDto, valid)).toMatchObject(valid);
    const full = {
      ...valid,
      target: 'group:9',
      published: '2024-06-01T11:00:00Z',
      to: ['bob', 'carol'],
      foreignId: 'ext/123 with any chars ✓',
      extra: { text: 'hi', n: [1, 2, { x: null }] },
    };
    expect(validateInput(ActivityInputDto, full)).toEqual(expect.objectContaining(full));
  });

  it('accepts ids with every allowed character and exactly 128 chars, verbs of exactly 64', () => {
    expect(() => validateInput(ActivityInputDto, { actor: 'aZ09_.:@-', type: 'a'.repeat(64), object: 'o'.repeat(128) })).not.toThrow();
  });

  it('rejects non-objects', () => {
    for (const raw of [null, 'x', 1, [valid], undefined]) expectValidationError(() => validateInput(ActivityInputDto, raw));
  });

  it('names every offending field at once', () => {
    const e = expectValidationError(() =>
      validateInput(ActivityInputDto, { actor: 'a b', type: '', object: 5, target: 'x/y', published: 'yesterday', to: 'bob', foreignId: '', extra: [] }),
    );
    expect(fieldsOf(e)).toEqual(['actor', 'extra', 'foreignId', 'object', 'published', 'target', 'to', 'type']);
    for (const f of e.fields ?? []) expect(f.problems.length).toBeGreaterThan(0);
  });

  it('reports missing required fields', () => {
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, {})))).toEqual(['actor', 'object', 'type']);
  });

  it('rejects unknown fields, naming them', () => {
    const e = expectValidationError(() => validateInput(ActivityInputDto, { ...valid, colour: 'red', id: 'X' }));
    expect(fieldsOf(e)).toEqual(['colour', 'id']);
  });

  it('rejects more than 100 `to` entries but accepts exactly 100', () => {
    const to = Array.from({ length: 100 }, (_, i) => `u${i}`);
    expect(() => validateInput(ActivityInputDto, { ...valid, to })).not.toThrow();
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, to: [...to, 'u100'] })))).toEqual(['to']);
  });

  it('rejects invalid `to` entries', () => {
    for (const bad of [['ok', 'not ok'], ['ok', ''], [1], ['a'.repeat(129)]]) {
      expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, to: bad })))).toEqual(['to']);
    }
  });

  it('rejects `extra` over 8 KiB serialized, accepts exactly 8 KiB', () => {
    const overhead = JSON.stringify({ s: '' }).length;
    const exact = { s: 'x'.repeat(MAX_EXTRA_BYTES - overhead) };
    expect(JSON.stringify(exact).length).toBe(MAX_EXTRA_BYTES);
    expect(() => validateInput(ActivityInputDto, { ...valid, extra: exact })).not.toThrow();
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, extra: { s: 'x'.repeat(MAX_EXTRA_BYTES - overhead + 1) } })))).toEqual(['extra']);
    // bytes, not characters: 3000 × 3-byte chars is ~9 KB
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, extra: { s: '€'.repeat(3000) } })))).toEqual(['extra']);
  });

  it('rejects `extra` that is not a JSON object', () => {
    for (const extra of [[1, 2], 'text', 5]) {
      expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, extra })))).toEqual(['extra']);
    }
  });

  it.each(['actor', 'object', 'target'])('rejects %s with forbidden characters or over 128 chars', (field) => {
    for (const bad of ['a b', 'a/b', 'a#b', 'ü', 'a'.repeat(129), '']) {
      expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, [field]: bad })))).toEqual([field]);
    }
  });

  it('rejects verbs over 64 chars or with forbidden characters (including @)', () => {
    for (const bad of ['a'.repeat(65), 'a b', 'a@b', '']) {
      expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, type: bad })))).toEqual(['type']);
    }
  });

  it('rejects foreignId over 256 chars', () => {
    expect(() => validateInput(ActivityInputDto, { ...valid, foreignId: 'f'.repeat(256) })).not.toThrow();
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, foreignId: 'f'.repeat(257) })))).toEqual(['foreignId']);
  });

  it.each(['2024-13-01T00:00:00Z', '2024-01-02', '2024-01-02 03:04:05Z', 'garbage'])('rejects published %s', (published) => {
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, published })))).toEqual(['published']);
  });

  it.each(['target', 'published', 'to', 'foreignId', 'extra'])(
    'an explicit null %s is either rejected as bad input or treated as absent — never an internal error',
    (field) => {
      let outcome: unknown;
      try {
        outcome = accept({ ...valid, [field]: null });
      } catch (e) {
        outcome = e;
      }
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(DomainError);
        expect((outcome as DomainError).code).toBe('VALIDATION_FAILED');
      } else {
        expect(outcome).toMatchObject({ actor: 'alice', type: 'Create', object: 'post:1' });
      }
    },
  );

  it('does not coerce types', () => {
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityInputDto, { ...valid, actor: 123 })))).toEqual(['actor']);
  });

  it('the Kafka record form accepts id and op=create but nothing else', () => {
    expect(validateInput(ActivityRecordDto, { ...valid, id: 'X1', op: 'create' })).toMatchObject({ id: 'X1' });
    expect(fieldsOf(expectValidationError(() => validateInput(ActivityRecordDto, { ...valid, op: 'delete' })))).toEqual(['op']);
  });
});

describe('acceptActivity', () => {
  it('defaults published to the accept time and normalises it to UTC milliseconds', () => {
    expect(accept(valid).published).toBe('2024-06-01T12:00:00.000Z');
    expect(accept({ ...valid, published: '2024-06-01T13:30:00.5+02:00' }).published).toBe('2024-06-01T11:30:00.500Z');
  });

  it('gives a 26-char id whose time part follows published', () => {
    const a = accept({ ...valid, published: '2024-05-01T00:00:00Z' });
    const b = accept({ ...valid, published: '2024-05-01T00:00:00.001Z' });
    expect(a.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a.id < b.id).toBe(true);
  });

  it('rejects published more than 5 minutes in the future, accepts up to 5 minutes', () => {
    expect(() => accept({ ...valid, published: new Date(NOW + 5 * 60_000).toISOString() })).not.toThrow();
    const e = expectValidationError(() => accept({ ...valid, published: new Date(NOW + 5 * 60_000 + 1).toISOString() }));
    expect(fieldsOf(e)).toEqual(['published']);
  });

  it('rejects activities older than the retention window', () => {
    expect(() => accept({ ...valid, published: new Date(NOW - 364 * DAY_MS).toISOString() })).not.toThrow();
    expect(fieldsOf(expectValidationError(() => accept({ ...valid, published: new Date(NOW - 366 * DAY_MS).toISOString() })))).toEqual(['published']);
  });

  it('foreignId: same (actor, foreignId, published) ⇒ same id; any of them different ⇒ different id', () => {
    const base = { ...valid, foreignId: 'p-1', published: '2024-06-01T10:00:00Z' };
    const id = accept(base).id;
    expect(accept(base, { nowMs: NOW + 1000, defaultPublishedMs: NOW + 1000 }).id).toBe(id);
    // the same instant written differently is the same published
    expect(accept({ ...base, published: '2024-06-01T12:00:00.000+02:00' }).id).toBe(id);
    // type/object/extra are not part of the identity
    expect(accept({ ...base, type: 'Update', extra: { v: 2 } }).id).toBe(id);
    expect(accept({ ...base, published: '2024-06-01T10:00:00.001Z' }).id).not.toBe(id);
    expect(accept({ ...base, foreignId: 'p-2' }).id).not.toBe(id);
    expect(accept({ ...base, actor: 'bob' }).id).not.toBe(id);
  });

  it('without foreignId or record identity, every submission gets a fresh id', () => {
    const p = { ...valid, published: '2024-06-01T10:00:00Z' };
    expect(accept(p).id).not.toBe(accept(p).id);
  });

  it('record identity ⇒ deterministic id (a redelivered record never duplicates)', () => {
    const rec = (offset: string): string =>
      acceptActivity(validateInput(ActivityRecordDto, valid), { ...ctx, defaultPublishedMs: NOW - 1000, recordIdentity: ['rec', 'activities', '0', offset] }).id;
    expect(rec('17')).toBe(rec('17'));
    expect(rec('17')).not.toBe(rec('18'));
  });

  it('a pre-assigned record id is kept', () => {
    const a = acceptActivity(validateInput(ActivityRecordDto, { ...valid, id: 'given-id' }), { ...ctx, recordIdentity: ['rec', 't', '0', '1'] });
    expect(a.id).toBe('given-id');
  });

  it('deduplicates `to`, keeping the first-seen order', () => {
    expect(accept({ ...valid, to: ['bob', 'carol', 'bob', 'dave', 'carol'] }).to).toEqual(['bob', 'carol', 'dave']);
  });

  it('copies optional fields only when given', () => {
    const a = accept(valid);
    expect(Object.keys(a).sort()).toEqual(['actor', 'id', 'object', 'published', 'type']);
    const b = accept({ ...valid, target: 't', foreignId: 'f', extra: { k: 1 }, to: ['x'] });
    expect(b).toMatchObject({ target: 't', foreignId: 'f', extra: { k: 1 }, to: ['x'] });
  });

  it('published parses identically in validation and acceptance', () => {
    const s = '2024-06-01T10:00:00.123456Z';
    expect(Date.parse(accept({ ...valid, published: s }).published)).toBe(parseRfc3339(s));
  });
});
