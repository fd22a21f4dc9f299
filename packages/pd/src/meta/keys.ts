/**
 * Byte-key helpers shared by everything that reasons about key ranges: ordering, range
 * membership, overlap. Keys compare as unsigned bytes, shorter prefix first; an empty end
 * key means "unbounded". Pure functions, no allocation except where noted.
 */

import type { RegionMeta } from './types.js';

/** Orders two keys as unsigned bytes: negative, zero or positive like a comparator. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Whether two keys hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

/** Orders two range ends where empty means +infinity. */
export function compareEndKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  return compareBytes(a, b);
}

/** Whether `key` lies in `[start, end)` (end empty = unbounded). */
export function keyInRange(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  return compareBytes(key, start) >= 0 && (end.length === 0 || compareBytes(key, end) < 0);
}

/** Whether `key` lies in the region's range. */
export function keyInRegion(key: Uint8Array, region: RegionMeta): boolean {
  return keyInRange(key, region.startKey, region.endKey);
}

/** Whether the ranges `[aStart, aEnd)` and `[bStart, bEnd)` share at least one key. */
export function rangesOverlap(
  aStart: Uint8Array,
  aEnd: Uint8Array,
  bStart: Uint8Array,
  bEnd: Uint8Array,
): boolean {
  const aBeforeB = aEnd.length > 0 && compareBytes(aEnd, bStart) <= 0;
  const bBeforeA = bEnd.length > 0 && compareBytes(bEnd, aStart) <= 0;
  return !aBeforeB && !bBeforeA;
}

/** Whether `[start, end)` is a non-empty range (end empty = unbounded). */
export function isValidRange(start: Uint8Array, end: Uint8Array): boolean {
  return end.length === 0 || compareBytes(start, end) < 0;
}

/** Lower-case hex of a key, for logs and error messages; "" for the empty key. */
export function toHex(key: Uint8Array): string {
  let s = '';
  for (const b of key) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses lower- or upper-case hex into bytes; undefined if it is not hex. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
