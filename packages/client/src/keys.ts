/**
 * Ordered keys from numbers and tuples: encodings whose byte order matches the natural order,
 * so range scans over them work. Integers are 8-byte big-endian with the sign bit flipped;
 * strings are escaped so that a tuple's parts never run into each other.
 *
 * @example
 * const k = keys.tuple('user', 42n, 'orders'); // sorts by 'user', then 42, then 'orders'
 * await client.scan({ start: keys.tuple('user', 42n), end: keys.tuple('user', 43n) });
 */

import { invalidArgument } from './errors.js';

const SIGN = 0x8000_0000_0000_0000n;
const U64 = 0xffff_ffff_ffff_ffffn;

/** A signed integer (number or bigint in [-2^63, 2^63)) as 8 ordered bytes. */
export function int(v: number | bigint): Buffer {
  const n = typeof v === 'bigint' ? v : BigInt(checkSafe(v));
  if (n < -SIGN || n >= SIGN) throw invalidArgument('integer keys must fit in 64 bits');
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE((n + SIGN) & U64);
  return out;
}

export function decodeInt(b: Uint8Array): bigint {
  return Buffer.from(b.buffer, b.byteOffset, 8).readBigUInt64BE() - SIGN;
}

function checkSafe(v: number): number {
  if (!Number.isSafeInteger(v))
    throw invalidArgument('integer keys must be safe integers (or bigints)');
  return v;
}

/**
 * A tuple of strings, integers and byte arrays. Strings and bytes end with 0x00 0x01 and
 * escape 0x00 as 0x00 0xff, so "a" < "ab" and ("a", x) < ("ab", y) as expected.
 */
export function tuple(...parts: (string | number | bigint | Uint8Array)[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (typeof p === 'number' || typeof p === 'bigint') {
      chunks.push(Buffer.from([0x02]), int(p));
    } else {
      const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
      chunks.push(Buffer.from([0x01]), escapeZeros(bytes), Buffer.from([0x00, 0x01]));
    }
  }
  return Buffer.concat(chunks);
}

function escapeZeros(b: Buffer): Buffer {
  const out: number[] = [];
  for (const x of b) {
    out.push(x);
    if (x === 0x00) out.push(0xff);
  }
  return Buffer.from(out);
}

/** The smallest key greater than every key starting with `prefix` (for prefix scans). */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]! += 1;
      return out.subarray(0, i + 1);
    }
  }
  return Buffer.alloc(0); // all 0xff: unbounded
}
