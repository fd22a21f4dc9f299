/**
 * CRC-32 for snapshot chunks: the known check value, chaining, and the table-driven fallback
 * agreeing with node:zlib's native one wherever Node has it.
 */

import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from '../../src/env/crc32.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32', () => {
  it('has the standard check value', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('chains: the CRC of a concatenation continues from the CRC of its prefix', () => {
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7919) & 0xff);
    for (const f of [crc32, crc32Table]) {
      expect(f(data.subarray(3_000), f(data.subarray(0, 3_000)))).toBe(f(data));
    }
  });

  it('the table version agrees with the native one', () => {
    const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    if (!native) return; // Node 20 before 20.15: only the table version exists
    let x = 1;
    for (let n = 0; n < 2_000; n += 37) {
      const data = Uint8Array.from({ length: n }, () => {
        x = (x * 1103515245 + 12345) >>> 0;
        return x >>> 24;
      });
      expect(crc32Table(data, 12345)).toBe(native(data, 12345));
    }
  });
});
