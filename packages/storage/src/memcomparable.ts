/**
 * Memcomparable encoding of byte strings (the scheme of TiKV and MyRocks): the input is cut
 * into groups of 8 bytes; each group is written padded with zeros to 8 bytes and followed by a
 * marker byte 0xFF - (number of padding bytes). Every full group has marker 0xFF; the last
 * group holds 0-7 data bytes, so an input whose length is a multiple of 8 ends with an
 * all-padding group (marker 0xF7).
 *
 * Properties the key layout depends on (property-tested in the conformance suite):
 * - order: compare(enc(a), enc(b)) has the sign of compare(a, b), for any bytes;
 * - prefix-free: no encoding is a proper prefix of another, so anything appended after
 *   enc(a) (a timestamp) still sorts between enc(a) and the encoding of the next key.
 *
 * Also here: timestamps encoded descending (bitwise NOT, big-endian), so newer versions of a
 * key sort first. Not here: which prefix goes in front (keys.ts).
 */

import { readU64Big, U64_MAX, writeU64Big } from './bytes.js';
import { corruptError } from './errors.js';
import { MEMCOMPARABLE_GROUP_BYTES, TIMESTAMP_BYTES } from './limits.js';

const GROUP = MEMCOMPARABLE_GROUP_BYTES;
const MARKER_FULL = 0xff;

/** Encoded length of an n-byte input. */
export function memcomparableLength(n: number): number {
  return (Math.floor(n / GROUP) + 1) * (GROUP + 1);
}

/** Writes enc(src) into out at `at`; returns the end position. */
export function writeMemcomparable(out: Uint8Array, at: number, src: Uint8Array): number {
  let pos = at;
  let i = 0;
  for (;;) {
    const left = src.byteLength - i;
    if (left >= GROUP) {
      out.set(src.subarray(i, i + GROUP), pos);
      pos += GROUP;
      i += GROUP;
      // A full group: more data follows, even if it is an all-padding group.
      out[pos++] = MARKER_FULL;
      continue;
    }
    out.set(src.subarray(i), pos);
    out.fill(0, pos + left, pos + GROUP);
    pos += GROUP;
    out[pos++] = MARKER_FULL - (GROUP - left);
    return pos;
  }
}

/** enc(src) as a new byte string. */
export function encodeMemcomparable(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(memcomparableLength(src.byteLength));
  writeMemcomparable(out, 0, src);
  return out;
}

/**
 * Decodes an encoding starting at `at`; returns the bytes and the position after the last
 * group. Throws STORAGE_ERR_CORRUPT on a malformed encoding.
 */
export function readMemcomparable(
  src: Uint8Array,
  at: number,
): { readonly bytes: Uint8Array; readonly end: number } {
  const parts: Uint8Array[] = [];
  let pos = at;
  let total = 0;
  for (;;) {
    if (pos + GROUP + 1 > src.byteLength) throw corruptError('memcomparable key truncated');
    const marker = src[pos + GROUP]!;
    const pad = MARKER_FULL - marker;
    if (pad === 0) {
      parts.push(src.subarray(pos, pos + GROUP));
      total += GROUP;
      pos += GROUP + 1;
      continue;
    }
    if (pad > GROUP) throw corruptError(`memcomparable marker ${marker}`);
    const used = GROUP - pad;
    for (let i = used; i < GROUP; i++) {
      if (src[pos + i] !== 0) throw corruptError('memcomparable padding not zero');
    }
    parts.push(src.subarray(pos, pos + used));
    total += used;
    pos += GROUP + 1;
    break;
  }
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.byteLength;
  }
  return { bytes, end: pos };
}

/** Writes a timestamp so that larger timestamps sort first (bitwise NOT, big-endian). */
export function writeDescendingTs(out: Uint8Array, at: number, ts: bigint): void {
  writeU64Big(out, at, U64_MAX - ts);
}

/** Reads a timestamp written by writeDescendingTs. */
export function readDescendingTs(src: Uint8Array, at: number): bigint {
  if (at + TIMESTAMP_BYTES > src.byteLength) throw corruptError('timestamp truncated');
  return U64_MAX - readU64Big(src, at);
}

/** Decodes a whole memcomparable encoding (it must span all of `src`). */
export function decodeMemcomparable(src: Uint8Array): Uint8Array {
  const { bytes, end } = readMemcomparable(src, 0);
  if (end !== src.byteLength) throw corruptError('bytes after a memcomparable encoding');
  return bytes;
}
