/**
 * The bounded send queue and the reconnect back-off, as plain data structures: caps on count
 * and bytes (all or nothing), batches in order within their caps, heartbeats collapsed;
 * back-off doubling to its cap with jitter in the upper half, reset after success.
 */

import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/env/backoff.js';
import { envelopeBytes, SendQueue } from '../../src/env/send-queue.js';
import { envelope } from './helpers.js';

const indexes = (b: { envelopes: { message?: { index?: number | null } | null }[] }) =>
  b.envelopes.map((e) => Number(e.message?.index));

describe('SendQueue', () => {
  it('refuses a push that would break the envelope cap, whole', () => {
    const q = new SendQueue({ envelopesMax: 3, bytesMax: 1 << 20 });
    expect(q.push([envelope(1, 1, 2), envelope(1, 2, 2)])).toBe(true);
    expect(q.push([envelope(1, 3, 2), envelope(1, 4, 2)])).toBe(false);
    expect(q.length).toBe(2);
    expect(q.push([envelope(1, 3, 2)])).toBe(true);
    expect(q.push([envelope(1, 4, 2)])).toBe(false);
  });

  it('refuses a push that would break the byte cap, and counts bytes back down', () => {
    const one = envelopeBytes(envelope(1, 1, 2, 1000));
    const q = new SendQueue({ envelopesMax: 100, bytesMax: one * 2 });
    expect(q.push([envelope(1, 1, 2, 1000), envelope(1, 2, 2, 1000)])).toBe(true);
    expect(q.push([envelope(1, 3, 2, 1000)])).toBe(false);
    expect(q.bytes).toBe(one * 2);
    q.take(one, 100);
    expect(q.bytes).toBe(one);
    expect(q.push([envelope(1, 3, 2, 1000)])).toBe(true);
  });

  it('takes batches in order within the byte and count caps, at least one envelope', () => {
    const q = new SendQueue({ envelopesMax: 100, bytesMax: 1 << 20 });
    for (let i = 1; i <= 10; i++) q.push([envelope(1, i, 2, i === 4 ? 5000 : 0)]);
    const one = envelopeBytes(envelope(1, 1, 2));
    expect(indexes(q.take(one * 2, 100)!)).toEqual([1, 2]);
    expect(indexes(q.take(one * 2, 100)!)).toEqual([3]); // 4 is too big to join
    expect(indexes(q.take(one * 2, 100)!)).toEqual([4]); // alone, over the cap
    expect(indexes(q.take(1 << 20, 3)!)).toEqual([5, 6, 7]);
    expect(indexes(q.take(1 << 20, 100)!)).toEqual([8, 9, 10]);
    expect(q.take(1 << 20, 100)).toBeUndefined();
    expect(q.bytes).toBe(0);
  });

  it('collapses heartbeats into the next batch, even an empty one', () => {
    const q = new SendQueue({ envelopesMax: 10, bytesMax: 1 << 20 });
    q.markHeartbeat();
    q.markHeartbeat();
    expect(q.hasWork).toBe(true);
    const b = q.take(1000, 10)!;
    expect(b).toEqual({ envelopes: [], bytes: 0, heartbeat: true });
    expect(q.hasWork).toBe(false);
  });

  it('stays consistent across many push/take cycles (compaction)', () => {
    const q = new SendQueue({ envelopesMax: 5_000, bytesMax: 1 << 30 });
    const e = envelope(1, 1, 2);
    const taken: unknown[] = [];
    const pushed: unknown[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 3_000; i++) {
        const x = { ...e };
        pushed.push(x);
        q.push([x]);
      }
      while (q.length >= 1_000) taken.push(...q.take(1 << 30, 700)!.envelopes);
    }
    while (q.hasWork) taken.push(...q.take(1 << 30, 700)!.envelopes);
    expect(taken.length).toBe(pushed.length);
    expect(taken.every((x, i) => x === pushed[i])).toBe(true);
    expect(q.bytes).toBe(0);
  });
});

describe('Backoff', () => {
  it('doubles from the base to the cap, jittered in the upper half', () => {
    const low = new Backoff(50, 2_000, () => 0);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => low.next())).toEqual([25, 50, 100, 200, 400, 800, 1000]);
    const high = new Backoff(50, 2_000, () => 0.999_999);
    const delays = Array.from({ length: 30 }, () => high.next());
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    expect(delays.at(-1)).toBeGreaterThan(1_999);
  });

  it('starts over after a reset', () => {
    const b = new Backoff(50, 2_000, () => 0);
    b.next();
    b.next();
    expect(b.failures).toBe(2);
    b.reset();
    expect(b.next()).toBe(25);
  });
});
