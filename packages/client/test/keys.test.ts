import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInt, int, prefixEnd, tuple } from '../src/keys.js';

describe('ordered keys', () => {
  it('integer keys sort like the integers (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (a, b) => {
          const order = Math.sign(Buffer.compare(int(a), int(b)));
          expect(order).toBe(a < b ? -1 : a > b ? 1 : 0);
          expect(decodeInt(int(a))).toBe(a);
        },
      ),
    );
  });

  it('tuples sort part by part, strings with zero bytes included (property)', () => {
    const part = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 6 }), fc.integer());
    const cmpPart = (x: unknown, y: unknown): number => {
      if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
      if (typeof x === 'number') return 1; // integers (tag 2) after strings and bytes (tag 1)
      if (typeof y === 'number') return -1;
      const bx = typeof x === 'string' ? Buffer.from(x) : Buffer.from(x as Uint8Array);
      const by = typeof y === 'string' ? Buffer.from(y) : Buffer.from(y as Uint8Array);
      return Math.sign(Buffer.compare(bx, by));
    };
    fc.assert(
      fc.property(fc.array(part, { maxLength: 3 }), fc.array(part, { maxLength: 3 }), (a, b) => {
        let expected = 0;
        for (let i = 0; i < Math.min(a.length, b.length) && expected === 0; i++)
          expected = cmpPart(a[i], b[i]);
        if (expected === 0) expected = Math.sign(a.length - b.length);
        expect(Math.sign(Buffer.compare(tuple(...a), tuple(...b)))).toBe(expected);
      }),
    );
  });

  it('prefixEnd bounds every key with the prefix', () => {
    expect(prefixEnd(Buffer.from('ab'))).toEqual(Buffer.from('ac'));
    expect(prefixEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixEnd(Buffer.from([0xff, 0xff])).length).toBe(0);
  });
});
