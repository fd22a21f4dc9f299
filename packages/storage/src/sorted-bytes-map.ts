/**
 * An ordered map from byte strings to byte strings: two parallel arrays kept sorted, with
 * binary search. It backs the memory engine. Inserts in the middle cost a memmove of the
 * arrays, which is fine at test and simulator sizes; it is not meant for production volumes.
 */

import type { KeyValue, TableScan } from './backend.js';
import { compareBytes, EMPTY_BYTES } from './bytes.js';

/** An ordered byte-string map (see the header). */
export class SortedBytesMap {
  /** Invariant: keys are strictly increasing; values[i] belongs to keys[i]. */
  private keys: Uint8Array[] = [];
  private values: Uint8Array[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** The first position whose key is >= `key`. */
  lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    return k !== undefined && compareBytes(k, key) === 0 ? this.values[i] : undefined;
  }

  /** Sets `key`; returns the value it replaced, if any. */
  set(key: Uint8Array, value: Uint8Array): Uint8Array | undefined {
    const n = this.keys.length;
    // Appending past the last key is the common case for logs: skip the search.
    if (n === 0 || compareBytes(this.keys[n - 1]!, key) < 0) {
      this.keys.push(key);
      this.values.push(value);
      return undefined;
    }
    const i = this.lowerBound(key);
    if (i < n && compareBytes(this.keys[i]!, key) === 0) {
      const old = this.values[i];
      this.values[i] = value;
      return old;
    }
    this.keys.splice(i, 0, key);
    this.values.splice(i, 0, value);
    return undefined;
  }

  /** Deletes `key`; returns the value it had, if any. */
  delete(key: Uint8Array): Uint8Array | undefined {
    const i = this.lowerBound(key);
    if (i < this.keys.length && compareBytes(this.keys[i]!, key) === 0) {
      const old = this.values[i];
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
      return old;
    }
    return undefined;
  }

  /** Removes and returns every pair in [start, end). */
  deleteRange(start: Uint8Array, end: Uint8Array | undefined): KeyValue[] {
    const from = this.lowerBound(start);
    const to = end === undefined ? this.keys.length : this.lowerBound(end);
    if (to <= from) return [];
    const keys = this.keys.splice(from, to - from);
    const values = this.values.splice(from, to - from);
    return keys.map((key, i) => ({ key, value: values[i]! }));
  }

  /**
   * The pairs of a scan, as an array (a snapshot: later writes do not affect it). Keys and
   * values are shared with the map, which never mutates stored arrays in place.
   */
  scan(range: TableScan): KeyValue[] {
    const from = this.lowerBound(range.start);
    const to = range.end === undefined ? this.keys.length : this.lowerBound(range.end);
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    const out: KeyValue[] = [];
    if (range.reverse) {
      for (let i = to - 1; i >= from && out.length < limit; i--) out.push(this.pair(i, range));
    } else {
      for (let i = from; i < to && out.length < limit; i++) out.push(this.pair(i, range));
    }
    return out;
  }

  private pair(i: number, range: TableScan): KeyValue {
    return { key: this.keys[i]!, value: range.keysOnly ? EMPTY_BYTES : this.values[i]! };
  }

  /** A copy that shares the (immutable) byte strings. */
  clone(): SortedBytesMap {
    const c = new SortedBytesMap();
    c.keys = this.keys.slice();
    c.values = this.values.slice();
    return c;
  }
}
