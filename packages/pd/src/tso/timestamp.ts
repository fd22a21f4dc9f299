/**
 * Hybrid timestamps: physical milliseconds and an 18-bit logical counter, combined into one
 * 64-bit value `physical << 18 | logical`. The combined value only ever exists as a bigint:
 * it exceeds 2^53, and a JS number would silently round it (two transactions would share a
 * timestamp). On the wire the pair travels as two fields (proto/pdpb.proto Timestamp).
 */

import { assert } from '../assert.js';

/** Bits of the logical counter, as in TiKV/PD. */
export const LOGICAL_BITS = 18;

/** Logical values per millisecond: 2^18 = 262,144, so up to ~262 million timestamps/s. */
export const LOGICAL_PER_MS = 1 << LOGICAL_BITS;

/** The largest physical time that still fits in 64 bits (2^46 - 1 ms, ~2200 years). */
export const MAX_PHYSICAL_MS = 2 ** (64 - LOGICAL_BITS) - 1;

/** A timestamp as its two parts. */
export interface Timestamp {
  /** Milliseconds since the Unix epoch (as read from the PD leader's clock, or later). */
  readonly physical: number;
  /** 0 <= logical < LOGICAL_PER_MS. */
  readonly logical: number;
}

/** The 64-bit value `physical << 18 | logical`. */
export function timestampValue(ts: Timestamp): bigint {
  assert(
    Number.isSafeInteger(ts.physical) && ts.physical >= 0 && ts.physical <= MAX_PHYSICAL_MS,
    () => `timestamp physical ${ts.physical} out of range`,
  );
  assert(
    Number.isInteger(ts.logical) && ts.logical >= 0 && ts.logical < LOGICAL_PER_MS,
    () => `timestamp logical ${ts.logical} out of range`,
  );
  return (BigInt(ts.physical) << BigInt(LOGICAL_BITS)) | BigInt(ts.logical);
}

/** The two parts of a 64-bit timestamp value. */
export function timestampFromValue(value: bigint): Timestamp {
  assert(value >= 0n && value < 1n << 64n, 'timestamp value out of 64-bit range');
  return {
    physical: Number(value >> BigInt(LOGICAL_BITS)),
    logical: Number(value & BigInt(LOGICAL_PER_MS - 1)),
  };
}

/** Orders two timestamps like a comparator. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.physical !== b.physical ? a.physical - b.physical : a.logical - b.logical;
}
