/**
 * Key encoding properties (memcomparable order, round trip, prefix-freedom; version-key order
 * and ranges; key-space separation) on random byte keys rich in empty, 0x00 and 0xFF, and the
 * resulting scan order through both engines.
 */

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes } from '../src/bytes.js';
import {
  decodeMemcomparable,
  encodeMemcomparable,
  USER_KEY_BYTES_MAX,
  WriteKind,
} from '../src/index.js';
import {
  decodeVersionKey,
  KeySpace,
  lockKey,
  rawKey,
  spaceRange,
  versionKey,
} from '../src/keys.js';
import { bytesArb, hex, sign } from './arbitraries.js';
import { closeAll, ENGINES } from './engines.js';

afterEach(closeAll);

describe('memcomparable encoding', () => {
  it('keeps byte order: sign(cmp(enc a, enc b)) = sign(cmp(a, b))', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (a, b) => {
        expect(sign(compareBytes(encodeMemcomparable(a), encodeMemcomparable(b)))).toBe(
          sign(compareBytes(a, b)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(bytesArb, (a) => {
        expect(decodeMemcomparable(encodeMemcomparable(a))).toEqual(a);
      }),
      { numRuns: 1000 },
    );
  });

  it('is prefix-free: no encoding is a proper prefix of another', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (a, b) => {
        const ea = encodeMemcomparable(a);
        const eb = encodeMemcomparable(b);
        if (ea.byteLength < eb.byteLength) {
          expect(compareBytes(ea, eb.subarray(0, ea.byteLength)) === 0).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes the examples of the scheme', () => {
    expect(hex(encodeMemcomparable(new Uint8Array(0)))).toBe('0000000000000000f7');
    expect(hex(encodeMemcomparable(Uint8Array.of(1, 2, 3)))).toBe('0102030000000000fa');
    expect(hex(encodeMemcomparable(new Uint8Array(8).fill(0xff)))).toBe(
      `${'ff'.repeat(8)}ff0000000000000000f7`,
    );
  });
});

describe('version keys', () => {
  it('order by user key ascending, then timestamp descending', () => {
    const ts = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(bytesArb, ts, bytesArb, ts, (a, ta, b, tb) => {
        const ka = versionKey(KeySpace.Write, a, ta);
        const kb = versionKey(KeySpace.Write, b, tb);
        const byKey = sign(compareBytes(a, b));
        const expected = byKey !== 0 ? byKey : sign(Number(tb - ta));
        expect(sign(compareBytes(ka, kb))).toBe(expected);
        expect(decodeVersionKey(ka)).toEqual({ userKey: a, ts: ta });
      }),
      { numRuns: 2000 },
    );
  });

  it('every version of a key in [start, end) lies in the space range, and no other key', () => {
    fc.assert(
      fc.property(
        bytesArb,
        bytesArb,
        bytesArb,
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (k, s, e, ts) => {
          for (const space of [KeySpace.Write, KeySpace.Default]) {
            const r = spaceRange(space, s, e);
            const key = versionKey(space, k, ts);
            const inRange =
              compareBytes(key, r.start) >= 0 &&
              (r.end === undefined || compareBytes(key, r.end) < 0);
            const expected =
              compareBytes(k, s) >= 0 && (e.byteLength === 0 || compareBytes(k, e) < 0);
            expect(inRange).toBe(expected);
          }
          const lr = spaceRange(KeySpace.Lock, s, e);
          const lk = lockKey(k);
          const lockIn =
            compareBytes(lk, lr.start) >= 0 &&
            (lr.end === undefined || compareBytes(lk, lr.end) < 0);
          expect(lockIn).toBe(
            compareBytes(k, s) >= 0 && (e.byteLength === 0 || compareBytes(k, e) < 0),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('raw and transactional keys never collide', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (a, b) => {
        const raw = rawKey(a);
        expect(compareBytes(raw, lockKey(b)) === 0).toBe(false);
        expect(compareBytes(raw, versionKey(KeySpace.Write, b, 1n)) === 0).toBe(false);
        expect(compareBytes(raw, versionKey(KeySpace.Default, b, 1n)) === 0).toBe(false);
      }),
    );
  });

  it('the longest allowed user key fits an LMDB key with prefix and timestamp', () => {
    expect(
      versionKey(KeySpace.Write, new Uint8Array(USER_KEY_BYTES_MAX), 1n).byteLength,
    ).toBeLessThanOrEqual(1978);
    expect(
      versionKey(KeySpace.Write, new Uint8Array(USER_KEY_BYTES_MAX + 1), 1n).byteLength,
    ).toBeGreaterThan(1978);
  });
});

describe.each(ENGINES)('ordering through the engine ($name)', (factory) => {
  it('raw scans return random byte keys in byte order, both directions, with limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(bytesArb, { selector: hex, minLength: 1, maxLength: 40 }),
        async (keys) => {
          const e = factory.open();
          const batch = e.batch();
          for (const k of keys) batch.put(k, k);
          await batch.commit();
          const sorted = [...keys].sort(compareBytes);
          const all = e.scan({ start: new Uint8Array(0), end: new Uint8Array(0) });
          expect(all.map((p) => hex(p.key))).toEqual(sorted.map(hex));
          expect(all.every((p) => compareBytes(p.key, p.value) === 0)).toBe(true);
          const rev = e.scan({
            start: new Uint8Array(0),
            end: new Uint8Array(0),
            reverse: true,
            limit: 5,
          });
          expect(rev.map((p) => hex(p.key))).toEqual([...sorted].reverse().slice(0, 5).map(hex));
          // A bounded range from the second key to the last (exclusive), key-only.
          if (sorted.length >= 3) {
            const inRange = e.scan({ start: sorted[1]!, end: sorted.at(-1)!, keyOnly: true });
            expect(inRange.map((p) => hex(p.key))).toEqual(sorted.slice(1, -1).map(hex));
            expect(inRange.every((p) => p.value.byteLength === 0)).toBe(true);
            const revRange = e.scan({
              start: sorted[1]!,
              end: sorted.at(-1)!,
              reverse: true,
              limit: 2,
            });
            expect(revRange.map((p) => hex(p.key))).toEqual(
              sorted.slice(1, -1).reverse().slice(0, 2).map(hex),
            );
          }
          await e.close();
        },
      ),
      { numRuns: factory.name === 'lmdb' ? 25 : 100 },
    );
  });

  it('MVCC scans return random byte keys in byte order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(bytesArb, { selector: hex, minLength: 1, maxLength: 40 }),
        async (keys) => {
          const e = factory.open();
          const batch = e.batch();
          keys.forEach((k, i) => {
            batch.putWrite(k, 10n + BigInt(i), { kind: WriteKind.Put, startTs: 5n, shortValue: k });
          });
          await batch.commit();
          const sorted = [...keys].sort(compareBytes).map(hex);
          const fwd = e.mvcc.scan({
            start: new Uint8Array(0),
            end: new Uint8Array(0),
            readTs: 1000n,
          });
          expect(fwd.kind === 'pairs' && fwd.pairs.map((p) => hex(p.key))).toEqual(sorted);
          const rev = e.mvcc.scan({
            start: new Uint8Array(0),
            end: new Uint8Array(0),
            readTs: 1000n,
            reverse: true,
          });
          expect(rev.kind === 'pairs' && rev.pairs.map((p) => hex(p.key))).toEqual(
            [...sorted].reverse(),
          );
          await e.close();
        },
      ),
      { numRuns: factory.name === 'lmdb' ? 25 : 100 },
    );
  });
});
