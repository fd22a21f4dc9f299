/** fast-check generators shared by the property tests: byte keys rich in 0x00 and 0xFF. */

import fc from 'fast-check';

/** Byte strings including empty ones, biased to the bytes that break naive encodings. */
export const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc
    .array(fc.constantFrom(0x00, 0xff, 0x01, 0xfe, 0xf7, 0x80), { maxLength: 20 })
    .map((a) => Uint8Array.from(a)),
  fc.constant(new Uint8Array(0)),
  fc.integer({ min: 0, max: 3 }).map((n) => new Uint8Array(8 * n).fill(0xff)),
  fc.integer({ min: 1, max: 3 }).map((n) => new Uint8Array(8 * n)),
);

/** Hex of bytes, for model maps. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Sign of a number as -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
