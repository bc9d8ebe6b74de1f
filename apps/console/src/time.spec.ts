import { relativeTime } from './time';

describe('relativeTime', () => {
  const now = Date.parse('2026-12-02T12:00:00.000Z');
  it('reads like a product, not a timestamp', () => {
    expect(relativeTime('2026-12-02T11:59:30.000Z', now)).toBe('just now');
    expect(relativeTime('2026-12-02T12:00:10.000Z', now)).toBe('just now');
    expect(relativeTime('2026-12-02T11:57:00.000Z', now)).toBe('3 min ago');
    expect(relativeTime('2026-12-02T09:00:00.000Z', now)).toBe('3 h ago');
    expect(relativeTime('2026-11-30T12:00:00.000Z', now)).toBe('2 d ago');
    expect(relativeTime('2026-10-01T12:00:00.000Z', now)).toBe('Oct 1');
    expect(relativeTime('2025-10-01T12:00:00.000Z', now)).toBe('Oct 1, 2025');
    expect(relativeTime('not a date', now)).toBe('');
  });
});
