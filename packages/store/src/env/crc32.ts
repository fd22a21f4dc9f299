/**
 * CRC-32 (IEEE 802.3, the zlib/gzip/PNG polynomial) for snapshot chunks on the wire, as the
 * proto's crc32 fields say. node:zlib's native crc32 is used where Node has it (20.15 and
 * later; about 3 GB/s); older Node 20 releases get the table-driven version below (about
 * 280 MB/s, still above any snapshot budget). Chainable: crc32(b, crc32(a)) === crc32(a ++ b).
 * Catches corruption and truncation, not tampering (TLS does that).
 */

import * as zlib from 'node:zlib';

/** Reflected IEEE polynomial. */
const POLY = 0xedb88320;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/**
 * The table-driven CRC-32, continuing from `previous`. Kept in int32 arithmetic on purpose:
 * starting from `~previous >>> 0` (a uint32 above 2^31) makes V8 run the loop on doubles,
 * about ten times slower.
 */
export function crc32Table(bytes: Uint8Array, previous = 0): number {
  let c = ~previous | 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** CRC-32 of `bytes`, continuing from `previous` (0 to start). */
export const crc32: (bytes: Uint8Array, previous?: number) => number = native
  ? (bytes, previous = 0) => native(bytes, previous)
  : crc32Table;
