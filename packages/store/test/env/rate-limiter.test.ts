/**
 * The snapshot pacing limiter on a driven clock (no real time): it lets the first take go at
 * once, spaces the next ones by the budget, earns no credit while idle, shares the budget
 * between concurrent takers, and can be aborted.
 */

import { describe, expect, it } from 'vitest';
import { ByteRateLimiter, type LimiterClock } from '../../src/env/rate-limiter.js';

/** A clock whose sleeps are recorded and advance time at once. */
function fakeClock(): LimiterClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('ByteRateLimiter', () => {
  it('lets the first take through and paces the next ones by the budget', async () => {
    const clock = fakeClock();
    const limiter = new ByteRateLimiter(1000, clock); // 1000 bytes/s
    await limiter.take(500);
    expect(clock.t).toBe(0);
    await limiter.take(500);
    expect(clock.t).toBe(500);
    await limiter.take(1000);
    expect(clock.t).toBe(1000);
    await limiter.take(1);
    expect(clock.t).toBe(2000);
  });

  it('earns no credit while idle: after a pause the burst is still one take', async () => {
    const clock = fakeClock();
    const limiter = new ByteRateLimiter(1000, clock);
    await limiter.take(100);
    clock.t += 60_000; // a minute idle
    await limiter.take(1000);
    const before = clock.t;
    await limiter.take(1000);
    expect(clock.t - before).toBe(1000);
  });

  it('over any run, bytes let through by time t stay within budget * t + one take', async () => {
    const clock = fakeClock();
    const limiter = new ByteRateLimiter(10_000, clock);
    let bytes = 0;
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 48271) % 2147483647;
      const n = 1 + (seed % 5000);
      await limiter.take(n);
      bytes += n;
      expect(bytes).toBeLessThanOrEqual((10_000 * clock.t) / 1000 + n + 1e-6);
    }
  });

  it('concurrent takers share the budget', async () => {
    const clock = fakeClock();
    const limiter = new ByteRateLimiter(1000, clock);
    const done: number[] = [];
    await Promise.all([1, 2, 3].map((i) => limiter.take(1000).then(() => done.push(i))));
    // Slots at 0, 1 s and 2 s, in the order asked.
    expect(clock.t).toBe(2000);
    expect(done).toEqual([1, 2, 3]);
  });

  it('an unlimited budget never waits', async () => {
    const clock = fakeClock();
    for (const rate of [0, Number.POSITIVE_INFINITY]) {
      const limiter = new ByteRateLimiter(rate, clock);
      await limiter.take(1e9);
      await limiter.take(1e9);
    }
    expect(clock.sleeps).toEqual([]);
  });

  it('an aborted take rejects with the reason', async () => {
    const clock = fakeClock();
    const limiter = new ByteRateLimiter(1000, clock);
    await limiter.take(1000);
    const abort = new AbortController();
    abort.abort(new Error('closed'));
    await expect(limiter.take(10, abort.signal)).rejects.toThrow('closed');
  });
});
