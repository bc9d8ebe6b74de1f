import { retry, withTimeout } from '../src/resilience';

describe('withTimeout', () => {
  it('settles as the work does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000, () => new Error('late'))).rejects.toThrow('boom');
  });

  it('rejects with the timeout error when the work is late, and swallows its late failure', async () => {
    jest.useFakeTimers();
    try {
      let fail: (e: Error) => void = () => undefined;
      const work = new Promise<number>((_, reject) => (fail = reject));
      const raced = withTimeout(work, 50, () => new Error('late'));
      jest.advanceTimersByTime(50);
      await expect(raced).rejects.toThrow('late');
      fail(new Error('after the race')); // would be an unhandled rejection without the guard
      await Promise.resolve();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('retry', () => {
  const noWait = async (): Promise<void> => undefined;

  it('retries with doubling, capped delays until the operation succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const out = await retry(
      async () => {
        if (++calls < 5) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      { initialDelayMs: 100, maxDelayMs: 300, wait: async (ms) => void delays.push(ms) },
    );
    expect(out).toBe('ok');
    expect(delays).toEqual([100, 200, 300, 300]);
  });

  it('rethrows at once an error it is not told to retry', async () => {
    let calls = 0;
    const permanent = new Error('permanent');
    await expect(retry(async () => { calls++; throw permanent; }, { initialDelayMs: 1, maxDelayMs: 1, retryOn: (e) => e !== permanent, wait: noWait })).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the deadline has passed', async () => {
    let calls = 0;
    await expect(
      retry(async () => { calls++; throw new Error(`fail ${calls}`); }, { initialDelayMs: 5, maxDelayMs: 5, deadlineMs: 30, wait: (ms) => new Promise((r) => setTimeout(r, ms)) }),
    ).rejects.toThrow(/fail \d+/);
    expect(calls).toBeGreaterThan(1);
  });

  it('lets the wait stop it early by throwing (e.g. a consumer that is stopping)', async () => {
    const stop = new Error('stopping');
    await expect(retry(async () => { throw new Error('transient'); }, { initialDelayMs: 1, maxDelayMs: 1, wait: async () => { throw stop; } })).rejects.toBe(stop);
  });
});
