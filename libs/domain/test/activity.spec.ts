import { compareNewestFirst, FeedPosition, isAfter, parseRfc3339, positionOf, toIso } from '../src/activity';

describe('parseRfc3339', () => {
  it.each([
    ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02T03:04:05.123+02:00', Date.UTC(2024, 0, 2, 1, 4, 5, 123)],
    ['2024-01-02t03:04:05z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-01-02T03:04:05.5-05:30', Date.UTC(2024, 0, 2, 8, 34, 5, 500)],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['2024-12-31T23:59:59+00:00', Date.UTC(2024, 11, 31, 23, 59, 59)],
  ])('accepts %s', (s, ms) => {
    expect(parseRfc3339(s)).toBe(ms);
  });

  it.each([
    '2024-13-01T00:00:00Z',
    '2024-00-01T00:00:00Z',
    '2024-01-00T00:00:00Z',
    '2024-01-32T00:00:00Z',
    '2024-01-02',
    '2024-01-02 03:04:05Z',
    '2024-01-02T03:04:05',
    '2024-01-02T24:00:00Z',
    '2024-01-02T03:60:00Z',
    '2024-01-02T03:04Z',
    '2024-1-2T03:04:05Z',
    '2024-01-02T03:04:05+0200',
    '2024-01-02T03:04:05.Z',
    ' 2024-01-02T03:04:05Z',
    '2024-01-02T03:04:05Z ',
    'Tue, 02 Jan 2024 03:04:05 GMT',
    '1704164645000',
    'garbage',
    '',
  ])('rejects %j', (s) => {
    expect(parseRfc3339(s)).toBeNull();
  });

  it.each(['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z'])(
    'rejects the non-existent calendar date %s instead of rolling it over',
    (s) => {
      expect(parseRfc3339(s)).toBeNull();
    },
  );

  it('round-trips through toIso in UTC with milliseconds', () => {
    expect(toIso(parseRfc3339('2024-01-02T03:04:05.123+02:00') as number)).toBe('2024-01-02T01:04:05.123Z');
  });
});

describe('compareNewestFirst', () => {
  const p = (ms: number, id: string): FeedPosition => ({ ms, id });

  it('orders by published newest first, then by id descending', () => {
    const items = [p(1, 'B'), p(3, 'A'), p(2, 'Z'), p(3, 'C'), p(1, 'A'), p(2, 'A')];
    const sorted = [...items].sort(compareNewestFirst);
    expect(sorted).toEqual([p(3, 'C'), p(3, 'A'), p(2, 'Z'), p(2, 'A'), p(1, 'B'), p(1, 'A')]);
  });

  it('is zero only for the same position and antisymmetric', () => {
    expect(compareNewestFirst(p(5, 'X'), p(5, 'X'))).toBe(0);
    expect(Math.sign(compareNewestFirst(p(5, 'X'), p(4, 'Z')))).toBe(-1);
    expect(Math.sign(compareNewestFirst(p(4, 'Z'), p(5, 'X')))).toBe(1);
    expect(Math.sign(compareNewestFirst(p(5, 'Y'), p(5, 'X')))).toBe(-1);
  });

  it('isAfter is strict: true only for older positions', () => {
    expect(isAfter(p(4, 'A'), p(5, 'A'))).toBe(true);
    expect(isAfter(p(5, 'A'), p(5, 'B'))).toBe(true);
    expect(isAfter(p(5, 'B'), p(5, 'B'))).toBe(false);
    expect(isAfter(p(6, 'A'), p(5, 'B'))).toBe(false);
  });

  it('positionOf reads published', () => {
    expect(positionOf({ id: 'X', published: '2024-01-02T03:04:05.000Z' })).toEqual({ ms: Date.UTC(2024, 0, 2, 3, 4, 5), id: 'X' });
  });
});
