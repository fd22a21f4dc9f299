/**
 * MVCC visibility (Percolator §2.2; TiKV's snapshot-isolation read rules) checked against a
 * naive reference model on random histories, on both engines; and GC below a safe point.
 */

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes } from '../src/bytes.js';
import {
  LockKind,
  type MvccScanResult,
  type StorageEngine,
  U64_MAX,
  WriteKind,
} from '../src/index.js';
import { bytesArb, hex } from './arbitraries.js';
import { b, closeAll, ENGINES } from './engines.js';

afterEach(closeAll);

interface Version {
  readonly key: number;
  readonly commitTs: number;
  readonly kind: WriteKind;
  readonly valueLen: number;
}

interface LockSpec {
  readonly key: number;
  readonly startTs: number;
  readonly kind: LockKind;
}

interface History {
  readonly keys: Uint8Array[];
  readonly versions: Version[];
  readonly locks: LockSpec[];
}

const historyArb: fc.Arbitrary<History> = fc
  .uniqueArray(bytesArb, { selector: hex, minLength: 1, maxLength: 6 })
  .chain((keys) =>
    fc.record({
      keys: fc.constant(keys),
      versions: fc.uniqueArray(
        fc.record({
          key: fc.nat(keys.length - 1),
          commitTs: fc.integer({ min: 1, max: 30 }).map((n) => 2 * n),
          kind: fc.constantFrom(
            WriteKind.Put,
            WriteKind.Put,
            WriteKind.Delete,
            WriteKind.Lock,
            WriteKind.Rollback,
          ),
          valueLen: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 250, max: 300 })),
        }),
        { selector: (v) => `${v.key}@${v.commitTs}`, maxLength: 30 },
      ),
      locks: fc.uniqueArray(
        fc.record({
          key: fc.nat(keys.length - 1),
          startTs: fc.integer({ min: 1, max: 70 }),
          kind: fc.constantFrom(LockKind.Put, LockKind.Delete, LockKind.Lock, LockKind.Pessimistic),
        }),
        { selector: (l) => l.key, maxLength: 3 },
      ),
    }),
  );

/** The value a version writes: deterministic, so the model knows it. */
function versionValue(v: Version): Uint8Array {
  const out = new Uint8Array(v.valueLen);
  for (let i = 0; i < out.length; i++) out[i] = (v.key * 31 + v.commitTs + i) & 0xff;
  return out;
}

async function load(e: StorageEngine, h: History, withLocks = true): Promise<void> {
  const batch = e.batch();
  for (const v of h.versions) {
    const key = h.keys[v.key]!;
    const startTs = BigInt(v.commitTs - 1);
    const value = versionValue(v);
    if (v.kind === WriteKind.Put && value.byteLength > 255) {
      batch.putDefault(key, startTs, value);
      batch.putWrite(key, BigInt(v.commitTs), { kind: v.kind, startTs });
    } else if (v.kind === WriteKind.Put) {
      batch.putWrite(key, BigInt(v.commitTs), { kind: v.kind, startTs, shortValue: value });
    } else {
      batch.putWrite(key, BigInt(v.commitTs), { kind: v.kind, startTs });
    }
  }
  if (withLocks) {
    for (const l of h.locks) {
      batch.putLock(h.keys[l.key]!, {
        kind: l.kind,
        primary: h.keys[0]!,
        startTs: BigInt(l.startTs),
        ttlMs: 3000,
      });
    }
  }
  await batch.commit();
}

/** The reference model: what a read at readTs must see for key index k. */
function modelGet(
  h: History,
  k: number,
  readTs: number,
  withLocks = true,
): 'locked' | string | undefined {
  const lock = withLocks ? h.locks.find((l) => l.key === k) : undefined;
  if (
    lock &&
    (lock.kind === LockKind.Put || lock.kind === LockKind.Delete) &&
    lock.startTs <= readTs
  ) {
    return 'locked';
  }
  const visible = h.versions
    .filter(
      (v) =>
        v.key === k &&
        v.commitTs <= readTs &&
        (v.kind === WriteKind.Put || v.kind === WriteKind.Delete),
    )
    .sort((a, c) => c.commitTs - a.commitTs)[0];
  return visible?.kind === WriteKind.Put ? hex(versionValue(visible)) : undefined;
}

function modelScan(h: History, readTs: number, reverse: boolean, limit: number | undefined) {
  const order = h.keys.map((_, i) => i).sort((x, y) => compareBytes(h.keys[x]!, h.keys[y]!));
  if (reverse) order.reverse();
  const pairs: string[] = [];
  const covered: number[] = [];
  for (const k of order) {
    if (limit !== undefined && pairs.length >= limit) break;
    covered.push(k);
    const got = modelGet(h, k, readTs, false);
    if (got !== undefined) pairs.push(`${hex(h.keys[k]!)}=${got}`);
  }
  // Keys after the last pair are not covered when the limit cut the scan.
  const cut = limit !== undefined && pairs.length >= limit && pairs.length > 0;
  const lastPairKey = cut ? pairs[pairs.length - 1]!.split('=')[0] : undefined;
  const inCover = (k: number) => {
    if (!cut) return true;
    const c = compareBytes(h.keys[k]!, Buffer.from(lastPairKey!, 'hex'));
    return reverse ? c >= 0 : c <= 0;
  };
  const locked = h.keys
    .map((_, k) => k)
    .filter((k) => inCover(k) && modelGet(h, k, readTs) === 'locked')
    .map((k) => hex(h.keys[k]!))
    .sort();
  return locked.length > 0 ? { locked } : { pairs };
}

function describeScan(r: MvccScanResult) {
  return r.kind === 'locked'
    ? { locked: r.locks.map((l) => hex(l.key)).sort() }
    : { pairs: r.pairs.map((p) => `${hex(p.key)}=${hex(p.value)}`) };
}

const EMPTY = new Uint8Array(0);

describe.each(ENGINES)('MVCC ($name)', (factory) => {
  const runs = factory.name === 'lmdb' ? 40 : 150;

  it('get at a timestamp matches the reference model', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        fc.array(fc.integer({ min: 0, max: 72 }), { minLength: 1, maxLength: 8 }),
        async (h, tss) => {
          const e = factory.open();
          await load(e, h);
          for (const ts of tss) {
            h.keys.forEach((key, k) => {
              const r = e.mvcc.get(key, BigInt(ts));
              const got =
                r.kind === 'locked' ? 'locked' : r.value === undefined ? undefined : hex(r.value);
              expect(got, `key ${hex(key)} at ${ts}`).toBe(modelGet(h, k, ts));
            });
          }
          await e.close();
        },
      ),
      { numRuns: runs },
    );
  });

  it('scans (forward, reverse, limited) match the reference model', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        fc.integer({ min: 0, max: 72 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        async (h, ts, reverse, limit) => {
          const e = factory.open();
          await load(e, h);
          const got = e.mvcc.scan({
            start: EMPTY,
            end: EMPTY,
            readTs: BigInt(ts),
            reverse,
            ...(limit ? { limit } : {}),
          });
          expect(describeScan(got)).toEqual(modelScan(h, ts, reverse, limit));
          await e.close();
        },
      ),
      { numRuns: runs },
    );
  });

  it('GC below a safe point keeps every read at or above it, and only those versions', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 1, max: 5 }),
        async (h, safePoint, limit) => {
          const e = factory.open();
          await load(e, h, false);
          let next: Uint8Array | undefined = EMPTY;
          let passes = 0;
          while (next !== undefined) {
            const r = await e.gc({ start: next, end: EMPTY, safePoint: BigInt(safePoint), limit });
            next = r.next;
            expect(++passes).toBeLessThan(100);
          }
          for (let ts = safePoint; ts <= 62; ts += 3) {
            h.keys.forEach((key, k) => {
              const r = e.mvcc.get(key, BigInt(ts));
              expect(r.kind === 'value' && r.value ? hex(r.value) : undefined).toBe(
                modelGet(h, k, ts, false),
              );
            });
          }
          h.keys.forEach((key) => {
            const old = [...e.mvcc.versions(key, BigInt(safePoint))];
            expect(old.length).toBeLessThanOrEqual(1);
            if (old[0]) expect(old[0].record.kind).toBe(WriteKind.Put);
          });
          // Values of removed long Puts are gone from the default column too.
          for (const v of h.versions) {
            if (v.kind !== WriteKind.Put || v.valueLen <= 255) continue;
            const key = h.keys[v.key]!;
            const kept = e.mvcc.getWrite(key, BigInt(v.commitTs)) !== undefined;
            expect(e.mvcc.getDefault(key, BigInt(v.commitTs - 1)) !== undefined).toBe(kept);
          }
          await e.close();
        },
      ),
      { numRuns: runs },
    );
  });

  it('finds a transaction commit record by start timestamp, and seeks writes', async () => {
    const e = factory.open();
    await e
      .batch()
      .putWrite(b('k'), 10n, { kind: WriteKind.Put, startTs: 8n, shortValue: b('v1') })
      .putWrite(b('k'), 20n, { kind: WriteKind.Rollback, startTs: 20n })
      .putWrite(b('k'), 30n, { kind: WriteKind.Delete, startTs: 25n })
      .commit();
    expect(e.mvcc.findWriteByStartTs(b('k'), 25n)?.commitTs).toBe(30n);
    expect(e.mvcc.findWriteByStartTs(b('k'), 20n)?.record.kind).toBe(WriteKind.Rollback);
    expect(e.mvcc.findWriteByStartTs(b('k'), 8n)?.commitTs).toBe(10n);
    expect(e.mvcc.findWriteByStartTs(b('k'), 9n)).toBeUndefined();
    expect(e.mvcc.seekWrite(b('k'), 25n)?.commitTs).toBe(20n);
    expect(e.mvcc.seekWrite(b('k'), 9n)).toBeUndefined();
    expect([...e.mvcc.versions(b('k'), U64_MAX)].map((v) => v.commitTs)).toEqual([30n, 20n, 10n]);
    expect(e.mvcc.getWrite(b('k'), 10n)?.shortValue).toEqual(b('v1'));
  });

  it('locks: scanLocks by max timestamp; Lock and Pessimistic locks do not block reads', async () => {
    const e = factory.open();
    const lock = (kind: LockKind, startTs: bigint) => ({
      kind,
      primary: b('a'),
      startTs,
      ttlMs: 100,
      minCommitTs: startTs + 1n,
      txnSize: 3,
    });
    await e
      .batch()
      .putLock(b('a'), lock(LockKind.Put, 10n))
      .putLock(b('b'), lock(LockKind.Lock, 5n))
      .putLock(b('c'), lock(LockKind.Pessimistic, 5n))
      .putLock(b('d'), { ...lock(LockKind.Delete, 50n), shortValue: b('x'), forUpdateTs: 51n })
      .commit();
    expect(e.mvcc.scanLocks(EMPTY, EMPTY, 10n).map((l) => l.key)).toEqual([b('a'), b('b'), b('c')]);
    expect(e.mvcc.scanLocks(b('b'), b('d'), 100n).map((l) => l.key)).toEqual([b('b'), b('c')]);
    expect(e.mvcc.scanLocks(EMPTY, EMPTY, 100n, 1)).toHaveLength(1);
    expect(e.mvcc.getLock(b('d'))).toEqual({
      ...lock(LockKind.Delete, 50n),
      shortValue: b('x'),
      forUpdateTs: 51n,
    });
    expect(e.mvcc.get(b('a'), 9n).kind).toBe('value');
    expect(e.mvcc.get(b('a'), 10n).kind).toBe('locked');
    expect(e.mvcc.get(b('b'), 100n).kind).toBe('value');
    expect(e.mvcc.get(b('c'), 100n).kind).toBe('value');
    await e.batch().deleteLock(b('a')).commit();
    expect(e.mvcc.getLock(b('a'))).toBeUndefined();
  });

  it('raw and transactional writes of the same user key stay apart', async () => {
    const e = factory.open();
    await e
      .batch()
      .put(b('k'), b('raw'))
      .putWrite(b('k'), 10n, { kind: WriteKind.Put, startTs: 9n, shortValue: b('txn') })
      .commit();
    expect(e.get(b('k'))).toEqual(b('raw'));
    const r = e.mvcc.get(b('k'), 10n);
    expect(r.kind === 'value' && r.value).toEqual(b('txn'));
    expect(e.scan({ start: EMPTY, end: EMPTY })).toHaveLength(1);
    await e.batch().deleteRange(EMPTY, EMPTY).commit();
    expect(e.get(b('k'))).toBeUndefined();
    expect(e.mvcc.get(b('k'), 10n).kind).toBe('value');
    await e.batch().clearRange(EMPTY, EMPTY).commit();
    const gone = e.mvcc.get(b('k'), 10n);
    expect(gone.kind === 'value' && gone.value).toBeUndefined();
  });
});
