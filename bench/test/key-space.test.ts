/** Key layout and key distributions. */

import { describe, expect, it } from 'vitest';
import { KeyFormat, seededRandom, uniformKeys, zipfianKeys } from '../src/key-space.js';

describe('KeyFormat', () => {
  it('makes fixed-size keys that sort by index', () => {
    const f = new KeyFormat(1_000_000, 16);
    expect(f.key(42).toString()).toBe('k000042xxxxxxxxx');
    expect(f.key(999_999).length).toBe(16);
    expect(Buffer.compare(f.key(9), f.key(10))).toBe(-1);
  });

  it('widens the index for larger key spaces', () => {
    const f = new KeyFormat(50_000_000, 16);
    expect(f.key(49_999_999).toString()).toBe('k49999999xxxxxxx');
  });

  it('refuses keys too short for the key space', () => {
    expect(() => new KeyFormat(1_000_000, 6)).toThrow(/cannot hold/);
  });

  it('places region boundaries so each region gets an equal share of keys', () => {
    const f = new KeyFormat(1000, 16);
    const starts = [0, 1, 2, 3].map((i) => f.regionStart(i, 4));
    expect(starts[0]!.length).toBe(0);
    const regionOf = (i: number) =>
      starts.filter((s) => Buffer.compare(s, f.key(i)) <= 0).length - 1;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[regionOf(i)]!++;
    expect(counts).toEqual([250, 250, 250, 250]);
  });
});

describe('key distributions', () => {
  it('uniform keys cover the key space evenly', () => {
    const k = uniformKeys(10, seededRandom(7));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[k.next()]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });

  it('zipfian keys are skewed: the hottest key takes far more than its uniform share', () => {
    const n = 10_000;
    const k = zipfianKeys(n, seededRandom(7), 0.99, false);
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      const x = k.next();
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect(Math.min(...counts.keys())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...counts.keys())).toBeLessThan(n);
    // Rank 0 gets about 1/zeta(n) of all draws (~10% for n = 10,000, theta 0.99).
    expect(counts.get(0)!).toBeGreaterThan(5_000);
    expect(counts.get(0)!).toBeGreaterThan(counts.get(100) ?? 0);
  });

  it('scrambled zipfian moves the hot key away from the start of the key space', () => {
    const k = zipfianKeys(10_000, seededRandom(7));
    const counts = new Map<number, number>();
    for (let i = 0; i < 50_000; i++) {
      const x = k.next();
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    const hottest = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    expect(hottest).not.toBe(0);
  });

  it('is repeatable from its seed', () => {
    const a = zipfianKeys(1000, seededRandom(3));
    const b = zipfianKeys(1000, seededRandom(3));
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
  });
});
