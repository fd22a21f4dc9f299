/** The latency histogram against exact percentiles of sorted samples (HdrHistogram's rule). */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_VALUE_MAX, Histogram } from '../src/histogram.js';

/** The exact value at a percentile: the value of rank ceil(p% x n) in sorted order. */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

describe('Histogram', () => {
  it('is empty at first', () => {
    const h = new Histogram();
    expect(h.count).toBe(0);
    expect(h.percentiles()).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });

  it('is exact below 2,048', () => {
    const h = new Histogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    expect(h.valueAt(50)).toBe(500);
    expect(h.valueAt(99)).toBe(990);
    expect(h.valueAt(100)).toBe(1000);
    expect(h.min).toBe(1);
    expect(h.mean).toBe(500.5);
  });

  it('reports every percentile within 0.1% of the exact value (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60_000_000 }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(0, 1, 50, 90, 99, 99.9, 100),
        (values, p) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const want = exact(
            [...values].sort((a, b) => a - b),
            p,
          );
          const got = h.valueAt(p);
          expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(0, want / 1024));
          expect(h.max).toBe(Math.max(...values));
          expect(h.min).toBe(Math.min(...values));
        },
      ),
    );
  });

  it('merges: the sum of two histograms equals one fed both', () => {
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 0; i < 5000; i++) {
      const v = (i * 7919) % 100_000;
      (i % 2 ? a : b).record(v);
      both.record(v);
    }
    a.add(b);
    expect(a.count).toBe(both.count);
    expect(a.percentiles()).toEqual(both.percentiles());
  });

  it('round-trips through a snapshot (plain data for worker threads)', () => {
    const h = new Histogram();
    for (const v of [3, 3, 70, 5_000, 123_456, 9_999_999]) h.record(v);
    const copy = Histogram.fromSnapshot(JSON.parse(JSON.stringify(h.snapshot())));
    expect(copy.percentiles()).toEqual(h.percentiles());
    expect(copy.count).toBe(6);
  });

  it('clamps values out of range instead of growing', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(HISTOGRAM_VALUE_MAX * 4);
    expect(h.min).toBe(0);
    expect(h.max).toBe(HISTOGRAM_VALUE_MAX);
  });

  it('resets', () => {
    const h = new Histogram();
    h.record(42);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.valueAt(50)).toBe(0);
  });
});
