import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareBytes,
  keyInRange,
  type RangeEntry,
  RegionTree,
  rangesOverlap,
} from '../src/index.js';
import { k } from './helpers.js';

function entry(id: number, start: string, end: string): RangeEntry {
  return { id, startKey: k(start), endKey: k(end) };
}

describe('RegionTree', () => {
  it('finds by key, including the unbounded last range', () => {
    const t = new RegionTree();
    t.insert(entry(2, 'm', ''));
    t.insert(entry(1, '', 'm'));
    expect(t.find(k(''))?.id).toBe(1);
    expect(t.find(k('l\xff'))?.id).toBe(1);
    expect(t.find(k('m'))?.id).toBe(2);
    expect(t.find(k('zzzz'))?.id).toBe(2);
    t.checkInvariants();
  });

  it('leaves gaps empty and answers prev across them', () => {
    const t = new RegionTree();
    t.insert(entry(1, 'a', 'c'));
    t.insert(entry(2, 'e', 'g'));
    expect(t.find(k('d'))).toBeUndefined();
    expect(t.prev(k('d'))?.id).toBe(1);
    expect(t.prev(k('f'))?.id).toBe(1);
    expect(t.prev(k('b'))).toBeUndefined();
  });

  it('refuses an overlapping insert with an assertion', () => {
    const t = new RegionTree();
    t.insert(entry(1, 'a', 'c'));
    expect(() => t.insert(entry(2, 'b', 'd'))).toThrow(/overlaps/);
    expect(() => t.insert(entry(3, '', ''))).toThrow(/overlaps/);
  });

  it('scans from the range containing the start key, up to a limit', () => {
    const t = new RegionTree();
    for (const [i, s] of ['', 'b', 'd', 'f'].entries()) {
      t.insert(entry(i + 1, s, ['b', 'd', 'f', ''][i]!));
    }
    expect(t.scan(k('c'), k(''), 10).map((e) => e.id)).toEqual([2, 3, 4]);
    expect(t.scan(k('c'), k('e'), 10).map((e) => e.id)).toEqual([2, 3]);
    expect(t.scan(k(''), k(''), 2).map((e) => e.id)).toEqual([1, 2]);
    expect(t.scan(k('c'), k('d'), 10).map((e) => e.id)).toEqual([2]);
  });

  it('agrees with a naive list model (property)', () => {
    const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 3 });
    const opArb = fc.tuple(keyArb, keyArb, keyArb);
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const tree = new RegionTree();
        let model: RangeEntry[] = [];
        let nextId = 1;
        for (const [a, b, probe] of ops) {
          // A random range [min, max) or [min, +inf) when the two keys are equal.
          const [s, e] = a <= b ? [a, b] : [b, a];
          const start = k(s);
          const end = s === e ? new Uint8Array() : k(e);
          const overlapped = model.filter((m) => rangesOverlap(m.startKey, m.endKey, start, end));
          expect(
            tree
              .overlapping(start, end)
              .map((x) => x.id)
              .sort(),
          ).toEqual(overlapped.map((x) => x.id).sort());
          for (const o of overlapped) tree.remove(o);
          model = model.filter((m) => !overlapped.includes(m));
          const added = { id: nextId++, startKey: start, endKey: end };
          tree.insert(added);
          model.push(added);
          model.sort((x, y) => compareBytes(x.startKey, y.startKey));
          tree.checkInvariants();
          const p = k(probe);
          expect(tree.find(p)?.id).toBe(model.find((m) => keyInRange(p, m.startKey, m.endKey))?.id);
          expect(tree.all().map((x) => x.id)).toEqual(model.map((x) => x.id));
          expect(tree.scan(p, new Uint8Array(), 2).map((x) => x.id)).toEqual(
            model
              .filter((m) => m.endKey.length === 0 || compareBytes(m.endKey, p) > 0)
              .slice(0, 2)
              .map((x) => x.id),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
