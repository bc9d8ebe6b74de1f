import { addressKey, RateLimitedError, TokenBuckets } from '../src/http/rate-limit.guard';

describe('TokenBuckets', () => {
  it('refuses the request after the burst with the seconds until a token is back', () => {
    let now = 0;
    const b = new TokenBuckets(60, 10, () => now);
    for (let i = 0; i < 60; i++) b.take('k');
    expect(() => b.take('k')).toThrow(RateLimitedError);
    try {
      b.take('k');
    } catch (e) {
      expect((e as RateLimitedError).retryAfterSeconds).toBe(1);
    }
    now += 1000;
    expect(() => b.take('k')).not.toThrow();
  });

  it('never holds more than its capacity: a flood of distinct keys evicts the least recently touched, one per insert, while a hot key keeps its state', () => {
    let now = 0;
    const capacity = 4;
    const b = new TokenBuckets(10, capacity, () => now);
    // The hot key spends its whole burst and is then limited.
    for (let i = 0; i < 10; i++) b.take('hot');
    expect(() => b.take('hot')).toThrow(RateLimitedError);
    for (let i = 0; i < 1000; i++) {
      now += 1; // far less than a token's refill time (6 s)
      b.take(`cold-${i}`);
      if (i % 2 === 0) expect(() => b.take('hot')).toThrow(RateLimitedError);
      // Structural bound: the map is never larger than its capacity, whatever the key churn.
      expect(b.size).toBeLessThanOrEqual(capacity);
      expect(b.has('hot')).toBe(true);
      // Exactly the most recent cold keys are kept (least recently touched first out).
      expect(b.has(`cold-${i}`)).toBe(true);
      if (i >= capacity) expect(b.has(`cold-${i - capacity + 1}`)).toBe(false);
    }
    // Evicting cold keys never refilled the hot one.
    expect(b.peek('hot')).toBeLessThan(1);
  });

  it('an evicted key starts again from a full burst (the documented trade-off)', () => {
    const now = 0;
    const b = new TokenBuckets(2, 1, () => now);
    b.take('a');
    b.take('a');
    expect(() => b.take('a')).toThrow(RateLimitedError);
    b.take('b');
    expect(b.has('a')).toBe(false);
    expect(() => b.take('a')).not.toThrow();
  });
});

describe('addressKey: the bucket of an anonymous client', () => {
  it('is the IPv4 address, also when IPv4-mapped', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('is the /64 of an IPv6 address, however it is written, so rotating the host part buys nothing', () => {
    const keys = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0:0:0:9', '2001:DB8:1:2::a%eth0'].map(addressKey);
    expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(addressKey('2001:db8:1:3::1')).not.toBe(keys[0]);
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1')).toBe('fe80:0:0:0::/64');
  });
});
