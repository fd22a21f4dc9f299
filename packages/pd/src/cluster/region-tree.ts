/**
 * The index of regions by key range: a sorted array of non-overlapping ranges, searched by
 * binary search. Lookups and range scans are O(log n + k); inserting or removing a range
 * moves the tail of the array (a memmove), which stays well under a millisecond up to about a
 * million regions, far beyond what one Atoll cluster holds. A B-tree would be the next step.
 *
 * Invariant: entries are sorted by startKey and no two overlap. Gaps are allowed (a split
 * half reported alone after the grace period of cluster-meta.ts).
 *
 * Not here: epochs or staleness (region-update.ts decides what replaces what).
 */

import { assert } from '../assert.js';
import { compareBytes, keyInRange, rangesOverlap, toHex } from '../meta/keys.js';

/** A region's id and range. */
export interface RangeEntry {
  readonly id: number;
  readonly startKey: Uint8Array;
  /** Empty means unbounded. */
  readonly endKey: Uint8Array;
}

/** Sorted, non-overlapping key ranges. */
export class RegionTree {
  private readonly entries: RangeEntry[] = [];

  /** Number of ranges. */
  get size(): number {
    return this.entries.length;
  }

  /** The range containing `key`, if any. */
  find(key: Uint8Array): RangeEntry | undefined {
    const e = this.entries[this.lastStartingAtOrBefore(key)];
    return e && keyInRange(key, e.startKey, e.endKey) ? e : undefined;
  }

  /**
   * The range just before the one containing `key` (or, if no range contains it, the last
   * range that ends at or before `key`).
   */
  prev(key: Uint8Array): RangeEntry | undefined {
    const i = this.lastStartingAtOrBefore(key);
    if (i < 0) return undefined;
    const e = this.entries[i]!;
    return keyInRange(key, e.startKey, e.endKey) ? this.entries[i - 1] : e;
  }

  /** Every range that shares a key with `[startKey, endKey)`, in key order. */
  overlapping(startKey: Uint8Array, endKey: Uint8Array): RangeEntry[] {
    const out: RangeEntry[] = [];
    for (let i = Math.max(0, this.lastStartingAtOrBefore(startKey)); i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (endKey.length > 0 && compareBytes(e.startKey, endKey) >= 0) break;
      if (rangesOverlap(e.startKey, e.endKey, startKey, endKey)) out.push(e);
    }
    return out;
  }

  /**
   * Up to `limit` ranges that overlap `[startKey, endKey)`, in key order, starting with the
   * one containing `startKey` (end empty = to the end of the key space).
   */
  scan(startKey: Uint8Array, endKey: Uint8Array, limit: number): RangeEntry[] {
    const out: RangeEntry[] = [];
    for (let i = Math.max(0, this.lastStartingAtOrBefore(startKey)); i < this.entries.length; i++) {
      if (out.length >= limit) break;
      const e = this.entries[i]!;
      if (endKey.length > 0 && compareBytes(e.startKey, endKey) >= 0) break;
      if (rangesOverlap(e.startKey, e.endKey, startKey, endKey)) out.push(e);
    }
    return out;
  }

  /** Adds a range. The caller removed every overlapping range first. */
  insert(entry: RangeEntry): void {
    const i = this.lastStartingAtOrBefore(entry.startKey) + 1;
    const before = this.entries[i - 1];
    const after = this.entries[i];
    assert(
      (!before || !rangesOverlap(before.startKey, before.endKey, entry.startKey, entry.endKey)) &&
        (!after || !rangesOverlap(after.startKey, after.endKey, entry.startKey, entry.endKey)),
      () => `region ${entry.id} [${toHex(entry.startKey)}, ...) overlaps the region index`,
    );
    this.entries.splice(i, 0, entry);
  }

  /** Removes the range of region `id` starting at `startKey`; it must be there. */
  remove(entry: RangeEntry): void {
    const i = this.lastStartingAtOrBefore(entry.startKey);
    const found = this.entries[i];
    assert(
      found !== undefined &&
        found.id === entry.id &&
        compareBytes(found.startKey, entry.startKey) === 0,
      () => `region ${entry.id} is not in the region index at ${toHex(entry.startKey)}`,
    );
    this.entries.splice(i, 1);
  }

  /** Every range in key order (a copy). */
  all(): RangeEntry[] {
    return this.entries.slice();
  }

  /** The range at position `index` in key order. */
  at(index: number): RangeEntry | undefined {
    return this.entries[index];
  }

  /** Position of the range containing or following `key` (for cursors). */
  positionOf(key: Uint8Array): number {
    const i = this.lastStartingAtOrBefore(key);
    const e = this.entries[i];
    return e && keyInRange(key, e.startKey, e.endKey) ? i : i + 1;
  }

  /** Asserts the invariant (tests and the simulation call it after every change). */
  checkInvariants(): void {
    for (let i = 1; i < this.entries.length; i++) {
      const a = this.entries[i - 1]!;
      const b = this.entries[i]!;
      assert(compareBytes(a.startKey, b.startKey) < 0, 'region index out of order');
      assert(
        a.endKey.length > 0 && compareBytes(a.endKey, b.startKey) <= 0,
        () => `regions ${a.id} and ${b.id} overlap in the index`,
      );
    }
  }

  /** Index of the last entry whose startKey <= key, or -1. */
  private lastStartingAtOrBefore(key: Uint8Array): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.entries[mid]!.startKey, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
