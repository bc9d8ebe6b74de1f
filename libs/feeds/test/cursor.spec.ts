import { DomainError } from '@app/domain';
import { CursorCodec, CursorState } from '../src/read/cursor';

const codec = new CursorCodec('secret-one-0123456789');
const state: CursorState = { k: 'home', u: 'alice', ms: 1_717_243_200_123, id: '01HZX3K5Q8ABCDEFGHJKMNPQRS' };

function expectInvalid(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(DomainError);
  expect((thrown as DomainError).code).toBe('INVALID_CURSOR');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ é';

describe('CursorCodec', () => {
  it('round-trips the position for the same feed', () => {
    expect(codec.decode(codec.encode(state), 'home', 'alice')).toEqual({ ms: state.ms, id: state.id });
    const graph: CursorState = { k: 'followers', u: 'bob', ms: 0, id: 'carol.smith@x' };
    expect(codec.decode(codec.encode(graph), 'followers', 'bob')).toEqual({ ms: 0, id: 'carol.smith@x' });
  });

  it('is accepted by another codec with the same secret (any API instance)', () => {
    expect(new CursorCodec('secret-one-0123456789').decode(codec.encode(state), 'home', 'alice')).toEqual({ ms: state.ms, id: state.id });
  });

  it('is an opaque URL-safe string', () => {
    expect(codec.encode(state)).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('rejects every single-character modification', () => {
    const c = codec.encode(state);
    let checked = 0;
    for (let i = 0; i < c.length; i++) {
      for (const ch of ALPHABET) {
        if (ch === c[i]) continue;
        expectInvalid(() => codec.decode(c.slice(0, i) + ch + c.slice(i + 1), 'home', 'alice'));
        checked++;
      }
      expectInvalid(() => codec.decode(c.slice(0, i) + c.slice(i + 1), 'home', 'alice')); // deletion
      expectInvalid(() => codec.decode(c.slice(0, i) + 'A' + c.slice(i), 'home', 'alice')); // insertion
    }
    expectInvalid(() => codec.decode(c + 'A', 'home', 'alice'));
    expect(checked).toBeGreaterThan(1000);
  });

  it('rejects a cursor issued for another feed kind or another user', () => {
    const c = codec.encode(state);
    expectInvalid(() => codec.decode(c, 'user', 'alice'));
    expectInvalid(() => codec.decode(c, 'notifications', 'alice'));
    expectInvalid(() => codec.decode(c, 'home', 'bob'));
    expectInvalid(() => codec.decode(c, 'home', 'Alice'));
  });

  it('rejects a cursor signed with another secret', () => {
    expectInvalid(() => new CursorCodec('secret-two-0123456789').decode(codec.encode(state), 'home', 'alice'));
    expectInvalid(() => codec.decode(new CursorCodec('').encode(state), 'home', 'alice'));
  });

  it('rejects a forged payload re-using a valid signature', () => {
    const [, sig] = codec.encode(state).split('.');
    const forged = Buffer.from(JSON.stringify(['home', 'alice', 0, 'X'])).toString('base64url');
    expectInvalid(() => codec.decode(`${forged}.${sig}`, 'home', 'alice'));
  });

  it.each([
    '',
    '.',
    '..',
    'garbage',
    'abc.def',
    'a.b.c',
    'null',
    '{"k":"home"}',
    '%00%ff',
    '\u0000',
    '😀.😀',
    'x'.repeat(5000),
    `${'A'.repeat(2000)}.${'B'.repeat(22)}`,
    Buffer.from('[]').toString('base64url') + '.' + 'A'.repeat(22),
  ])('rejects garbage %#', (g) => {
    expectInvalid(() => codec.decode(g, 'home', 'alice'));
  });

  it('rejects well-signed payloads of the wrong shape (never a non-DomainError throw)', () => {
    const shapes: unknown[] = [
      ['home', 'alice', 'x', 'id'],
      ['home', 'alice', 1],
      ['home', 'alice', null, 'id'],
      { k: 'home' },
      'str',
      ['home', 'alice', 1, 2],
    ];
    for (const s of shapes) {
      const c = codec.encode({ k: 'home', u: 'alice', ms: 1, id: 'i' });
      // tamper: a different body with the original signature must be refused
      const body = Buffer.from(JSON.stringify(s)).toString('base64url');
      expectInvalid(() => codec.decode(`${body}.${c.split('.')[1]}`, 'home', 'alice'));
    }
  });

  it('rejects a non-finite position encoded by a buggy issuer', () => {
    const c = codec.encode({ k: 'home', u: 'alice', ms: Number.NaN, id: 'x' });
    expectInvalid(() => codec.decode(c, 'home', 'alice'));
  });
});
