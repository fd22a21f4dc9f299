/** Byte accounting for entries: what counts toward message and batch caps. */

import type { Entry } from './types.js';

/**
 * Bytes an entry adds to a message: its payload plus the fixed fields. The constant is the
 * encoded size of term, index and type in the worst case; it keeps empty entries from
 * counting as free.
 */
const ENTRY_OVERHEAD_BYTES = 24;

export function entryBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Payload bytes only: what the uncommitted-log guard counts (empty entries are free). */
export function payloadBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.byteLength;
  return n;
}

export function entriesBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += entryBytes(e);
  return n;
}

/**
 * The longest prefix of `entries` within `maxBytes`, but never empty when the input is not:
 * one oversized entry still has to travel.
 */
export function limitSize<T extends Entry>(entries: T[], maxBytes: number): T[] {
  if (entries.length === 0) return entries;
  let size = entryBytes(entries[0]!);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entryBytes(entries[n]!);
    if (size > maxBytes) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}
