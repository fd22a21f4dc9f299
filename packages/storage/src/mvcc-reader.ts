/**
 * MVCC reads over the Percolator columns (Percolator §2.2, TiKV's snapshot-isolation rules):
 *
 * - A read at `readTs` sees, for each key, the newest write record with commitTs <= readTs
 *   that is a Put or a Delete (Lock and Rollback records are skipped: they carry no value).
 * - A lock of kind Put or Delete with startTs <= readTs blocks the read: that transaction may
 *   commit below readTs, so the reader must resolve the lock first. The reader gets the lock
 *   back, never a possibly stale value. Lock and Pessimistic locks do not block readers.
 *
 * Also the lookups the transaction layer needs (a key's lock, its write record at a commit
 * timestamp, the commit record of a given start timestamp). Not here: writes (WriteBatch) and
 * garbage collection (mvcc-gc.ts).
 */

import { type ReadView, Table } from './backend.js';
import { compareBytes, EMPTY_BYTES, equalBytes } from './bytes.js';
import { corruptError } from './errors.js';
import {
  decodeLockKey,
  decodeVersionKey,
  KeySpace,
  lockKey,
  spaceRange,
  versionKey,
  versionPrefix,
} from './keys.js';
import { TIMESTAMP_BYTES } from './limits.js';
import { readDescendingTs } from './memcomparable.js';
import {
  decodeLock,
  decodeWrite,
  type Lock,
  LockKind,
  WriteKind,
  type WriteRecord,
} from './mvcc-codec.js';

/** A lock together with the user key it locks. */
export interface LockInfo {
  readonly key: Uint8Array;
  readonly lock: Lock;
}

/** A version of a key in the write column. */
export interface WriteVersion {
  readonly commitTs: bigint;
  readonly record: WriteRecord;
}

/** A value read at a timestamp, or the lock that blocks it. */
export type MvccGetResult =
  | { readonly kind: 'value'; readonly value: Uint8Array | undefined }
  | { readonly kind: 'locked'; readonly lock: LockInfo };

/** A pair read at a timestamp. */
export interface MvccPair {
  readonly key: Uint8Array;
  /** Empty when the scan was key-only. */
  readonly value: Uint8Array;
}

/** The pairs of a scan, or the locks that block it. */
export type MvccScanResult =
  | { readonly kind: 'pairs'; readonly pairs: MvccPair[] }
  | { readonly kind: 'locked'; readonly locks: LockInfo[] };

/** A scan at a timestamp over user keys in [start, end) (empty end = unbounded). */
export interface MvccScanOptions {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly readTs: bigint;
  /** At most this many pairs (undefined = all). */
  readonly limit?: number;
  readonly reverse?: boolean;
  readonly keyOnly?: boolean;
}

/** Whether a lock makes a read at `readTs` wait (see the header). */
export function lockBlocksRead(lock: Lock, readTs: bigint): boolean {
  return (lock.kind === LockKind.Put || lock.kind === LockKind.Delete) && lock.startTs <= readTs;
}

/** MVCC reads of one engine. */
export class MvccReader {
  constructor(private readonly view: ReadView) {}

  /** The lock on `key`, if any. */
  getLock(key: Uint8Array): Lock | undefined {
    const v = this.view.get(Table.Data, lockKey(key));
    return v ? decodeLock(v) : undefined;
  }

  /** The write record of `key` committed exactly at `commitTs`. */
  getWrite(key: Uint8Array, commitTs: bigint): WriteRecord | undefined {
    const v = this.view.get(Table.Data, versionKey(KeySpace.Write, key, commitTs));
    return v ? decodeWrite(v) : undefined;
  }

  /** The value `key` was prewritten with by the transaction started at `startTs`. */
  getDefault(key: Uint8Array, startTs: bigint): Uint8Array | undefined {
    return this.view.get(Table.Data, versionKey(KeySpace.Default, key, startTs));
  }

  /** Versions of `key` with commitTs <= `maxTs`, newest first. */
  *versions(key: Uint8Array, maxTs: bigint): Iterable<WriteVersion> {
    const prefix = versionPrefix(KeySpace.Write, key);
    // Every version key is prefix + 8 bytes; the oldest (commitTs 0) is prefix + ff * 8, so
    // the range ends just after it.
    const end = new Uint8Array(prefix.byteLength + TIMESTAMP_BYTES + 1).fill(0xff);
    end.set(prefix);
    end[end.byteLength - 1] = 0;
    for (const { key: k, value } of this.view.scan(Table.Data, {
      start: versionKey(KeySpace.Write, key, maxTs),
      end,
    })) {
      yield { commitTs: readDescendingTs(k, prefix.byteLength), record: decodeWrite(value) };
    }
  }

  /** The newest write record of `key` with commitTs <= `ts`, of any kind. */
  seekWrite(key: Uint8Array, ts: bigint): WriteVersion | undefined {
    for (const v of this.versions(key, ts)) return v;
    return undefined;
  }

  /**
   * The record the transaction started at `startTs` left on `key` (a commit or a rollback),
   * searching from the newest version down to startTs: how a lock resolver learns whether a
   * transaction committed.
   */
  findWriteByStartTs(key: Uint8Array, startTs: bigint): WriteVersion | undefined {
    for (const v of this.versions(key, (1n << 64n) - 1n)) {
      if (v.commitTs < startTs) return undefined;
      if (v.record.startTs === startTs) return v;
    }
    return undefined;
  }

  /** The value of `key` as of `readTs`, or the lock that blocks it. */
  get(key: Uint8Array, readTs: bigint): MvccGetResult {
    const lock = this.getLock(key);
    if (lock && lockBlocksRead(lock, readTs)) return { kind: 'locked', lock: { key, lock } };
    for (const v of this.versions(key, readTs)) {
      if (v.record.kind === WriteKind.Put) return { kind: 'value', value: this.valueOf(key, v) };
      if (v.record.kind === WriteKind.Delete) return { kind: 'value', value: undefined };
    }
    return { kind: 'value', value: undefined };
  }

  /** get() for each key, in order. */
  batchGet(keys: readonly Uint8Array[], readTs: bigint): MvccGetResult[] {
    return keys.map((k) => this.get(k, readTs));
  }

  private valueOf(key: Uint8Array, v: WriteVersion): Uint8Array {
    if (v.record.shortValue) return v.record.shortValue;
    const value = this.getDefault(key, v.record.startTs);
    if (value === undefined) {
      throw corruptError(`no default-column value for a Put committed at ${v.commitTs}`);
    }
    return value;
  }

  /** Locks in [start, end) with startTs <= `maxTs`, at most `limit`. */
  scanLocks(start: Uint8Array, end: Uint8Array, maxTs: bigint, limit?: number): LockInfo[] {
    const r = spaceRange(KeySpace.Lock, start, end);
    const out: LockInfo[] = [];
    for (const { key, value } of this.view.scan(Table.Data, { start: r.start, end: r.end })) {
      if (limit !== undefined && out.length >= limit) break;
      const lock = decodeLock(value);
      if (lock.startTs <= maxTs) out.push({ key: decodeLockKey(key), lock });
    }
    return out;
  }

  /** Pairs visible at `readTs` in a range, or the locks that block the part scanned. */
  scan(o: MvccScanOptions): MvccScanResult {
    const pairs = o.reverse ? this.scanReverse(o) : this.scanForward(o);
    // Locks matter only where the scan looked: up to the last pair when the limit cut it.
    const cut = o.limit !== undefined && pairs.length >= o.limit && pairs.length > 0;
    let start = o.start;
    let end = o.end;
    if (cut && !o.reverse) end = successor(pairs[pairs.length - 1]!.key);
    if (cut && o.reverse) start = pairs[pairs.length - 1]!.key;
    const locks = this.scanLocks(start, end, o.readTs).filter((l) =>
      lockBlocksRead(l.lock, o.readTs),
    );
    return locks.length > 0 ? { kind: 'locked', locks } : { kind: 'pairs', pairs };
  }

  private scanForward(o: MvccScanOptions): MvccPair[] {
    const r = spaceRange(KeySpace.Write, o.start, o.end);
    const limit = o.limit ?? Number.POSITIVE_INFINITY;
    const out: MvccPair[] = [];
    let prefix: Uint8Array = EMPTY_BYTES;
    let decided = false;
    for (const { key, value } of this.view.scan(Table.Data, { start: r.start, end: r.end })) {
      if (out.length >= limit) break;
      const p = key.subarray(0, key.byteLength - TIMESTAMP_BYTES);
      if (!equalBytes(p, prefix)) {
        prefix = p;
        decided = false;
      }
      if (decided) continue;
      const { userKey, ts } = decodeVersionKey(key);
      if (ts > o.readTs) continue;
      const record = decodeWrite(value);
      if (record.kind === WriteKind.Put) {
        out.push(this.pair(userKey, { commitTs: ts, record }, o.keyOnly));
        decided = true;
      } else if (record.kind === WriteKind.Delete) {
        decided = true;
      }
    }
    return out;
  }

  private scanReverse(o: MvccScanOptions): MvccPair[] {
    const r = spaceRange(KeySpace.Write, o.start, o.end);
    const limit = o.limit ?? Number.POSITIVE_INFINITY;
    const out: MvccPair[] = [];
    let prefix: Uint8Array = EMPTY_BYTES;
    // The newest Put/Delete at or below readTs seen so far for the current key; versions
    // arrive oldest first in reverse order, so the last one seen wins.
    let best: { userKey: Uint8Array; v: WriteVersion } | undefined;
    const finish = () => {
      if (best && best.v.record.kind === WriteKind.Put) {
        out.push(this.pair(best.userKey, best.v, o.keyOnly));
      }
      best = undefined;
    };
    for (const { key, value } of this.view.scan(Table.Data, {
      start: r.start,
      end: r.end,
      reverse: true,
    })) {
      const p = key.subarray(0, key.byteLength - TIMESTAMP_BYTES);
      if (!equalBytes(p, prefix)) {
        finish();
        if (out.length >= limit) return out;
        prefix = p;
      }
      const { userKey, ts } = decodeVersionKey(key);
      if (ts > o.readTs) continue;
      const record = decodeWrite(value);
      if (record.kind === WriteKind.Put || record.kind === WriteKind.Delete) {
        best = { userKey, v: { commitTs: ts, record } };
      }
    }
    if (out.length < limit) finish();
    return out;
  }

  private pair(userKey: Uint8Array, v: WriteVersion, keyOnly?: boolean): MvccPair {
    return { key: userKey, value: keyOnly ? EMPTY_BYTES : this.valueOf(userKey, v) };
  }
}

/** The smallest byte string greater than `k` (k followed by 0x00). */
export function successor(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(k.byteLength + 1);
  out.set(k);
  return out;
}

/** Orders MVCC pairs by key (for tests and merges). */
export function compareByKey(a: { key: Uint8Array }, b: { key: Uint8Array }): number {
  return compareBytes(a.key, b.key);
}
