/**
 * CRC-32C: the standard check value, chaining, and agreement with a bit-at-a-time reference
 * on seeded random buffers of every length around the 8-byte stride, at odd offsets.
 */

import { SeededRandom } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../src/crc32c.js';

/** The definition, one bit at a time: slow and obviously right. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('gives the check value of "123456789" (0xE3069283)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with the bitwise definition, and chains, on seeded random buffers', () => {
    const seed = Number(process.env.SEED ?? 7);
    const random = new SeededRandom(seed);
    for (let length = 0; length < 80; length++) {
      const backing = new Uint8Array(length + 3);
      for (let i = 0; i < backing.length; i++) backing[i] = random.nextInt(256);
      const bytes = backing.subarray(3); // an offset that is not a multiple of anything
      const cut = random.nextInt(length + 1);
      expect(crc32c(bytes), `seed ${seed}, length ${length}`).toBe(reference(bytes));
      expect(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), `seed ${seed}`).toBe(
        reference(bytes),
      );
    }
  });
});
