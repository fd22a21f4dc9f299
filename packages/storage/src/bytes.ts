/**
 * Small byte helpers shared by the codecs and key layouts: ordering, concatenation and
 * big-endian u64 fields. Not a codec itself (see byte-codec.ts).
 */

import { assert } from '@atoll/raft';

/** The empty byte string; also "unbounded" as a range end. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Unsigned lexicographic order of two byte strings: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Whether two byte strings are equal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** Concatenates byte strings into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Whether `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.byteLength < prefix.byteLength) return false;
  for (let i = 0; i < prefix.byteLength; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Writes a non-negative safe integer as a big-endian u64 at `at`. Raft indexes, terms and
 * region ids are JS numbers in the core; they stay below 2^53.
 */
export function writeU64(out: Uint8Array, at: number, n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, () => `not a u64-safe integer: ${n}`);
  const hi = Math.floor(n / TWO_POW_32);
  const lo = n >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

/** Reads a big-endian u64 that must fit a safe integer. */
export function readU64(src: Uint8Array, at: number): number {
  const hi = ((src[at]! << 24) | (src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!) >>> 0;
  const lo =
    ((src[at + 4]! << 24) | (src[at + 5]! << 16) | (src[at + 6]! << 8) | src[at + 7]!) >>> 0;
  assert(hi < 0x20_0000, 'u64 above 2^53 where a safe integer was stored');
  return hi * TWO_POW_32 + lo;
}

const U64_MASK = (1n << 64n) - 1n;

/** Writes a bigint u64 big-endian. */
export function writeU64Big(out: Uint8Array, at: number, n: bigint): void {
  assert(n >= 0n && n <= U64_MASK, () => `not a u64: ${n}`);
  const hi = Number(n >> 32n);
  const lo = Number(n & 0xffff_ffffn);
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

/** Reads a big-endian u64 as a bigint. */
export function readU64Big(src: Uint8Array, at: number): bigint {
  const hi = ((src[at]! << 24) | (src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!) >>> 0;
  const lo =
    ((src[at + 4]! << 24) | (src[at + 5]! << 16) | (src[at + 6]! << 8) | src[at + 7]!) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The largest u64, as a bigint (the newest possible timestamp). */
export const U64_MAX = U64_MASK;

/** Converts a string (UTF-8) or bytes to bytes; the public API accepts both. */
export function toBytes(k: Uint8Array | string): Uint8Array {
  return typeof k === 'string' ? new TextEncoder().encode(k) : k;
}
