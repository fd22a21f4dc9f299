/**
 * Byte formats of the Percolator columns (Percolator §2.2; TiKV's layout): a lock record in
 * the lock column, a write record in the write column. Values in the default column are the
 * user's bytes as they are. Not here: the key layouts (keys.ts) or visibility rules
 * (mvcc-reader.ts).
 */

import { ByteReader, ByteWriter } from './byte-codec.js';
import { corruptError } from './errors.js';

const FORMAT_V1 = 1;

/** What a lock stands for once its transaction commits. */
export const LockKind = {
  /** The key gets a new value. */
  Put: 1,
  /** The key is deleted. */
  Delete: 2,
  /** The key is only locked (read with SELECT ... FOR UPDATE-like intent); no new version. */
  Lock: 3,
  /** A pessimistic lock taken before prewrite; not yet a prewrite. */
  Pessimistic: 4,
} as const;
export type LockKind = (typeof LockKind)[keyof typeof LockKind];

/** A lock-column record: the transaction that holds the key and where its primary is. */
export interface Lock {
  readonly kind: LockKind;
  /** The transaction's primary key: its commit record decides this lock's fate. */
  readonly primary: Uint8Array;
  readonly startTs: bigint;
  /** Milliseconds after which other transactions may resolve this lock. */
  readonly ttlMs: number;
  /** The value, when short enough to be kept in the lock (and later the write record). */
  readonly shortValue?: Uint8Array;
  /** The smallest commit timestamp the transaction may use (async commit, large txns). */
  readonly minCommitTs?: bigint;
  /** The pessimistic for-update timestamp. */
  readonly forUpdateTs?: bigint;
  /** Number of keys in the transaction, a hint for lock resolution. */
  readonly txnSize?: number;
}

/** What a committed (or rolled back) version of a key is. */
export const WriteKind = {
  Put: 1,
  Delete: 2,
  /** A committed Lock-kind lock: no new value, but the key was part of the transaction. */
  Lock: 3,
  /** The transaction with `startTs` was rolled back; protects against a late prewrite. */
  Rollback: 4,
} as const;
export type WriteKind = (typeof WriteKind)[keyof typeof WriteKind];

/** A write-column record, keyed by (user key, commitTs). */
export interface WriteRecord {
  readonly kind: WriteKind;
  /** The transaction's start timestamp: where its value lives in the default column. */
  readonly startTs: bigint;
  /** The value itself when short (then the default column has nothing for this version). */
  readonly shortValue?: Uint8Array;
}

const HAS_SHORT_VALUE = 1;
const HAS_MIN_COMMIT_TS = 2;
const HAS_FOR_UPDATE_TS = 4;
const HAS_TXN_SIZE = 8;

function checkLockKind(k: number): LockKind {
  if (k < LockKind.Put || k > LockKind.Pessimistic) throw corruptError(`lock kind ${k}`);
  return k as LockKind;
}

function checkWriteKind(k: number): WriteKind {
  if (k < WriteKind.Put || k > WriteKind.Rollback) throw corruptError(`write kind ${k}`);
  return k as WriteKind;
}

/** A lock record's bytes. */
export function encodeLock(l: Lock): Uint8Array {
  const flags =
    (l.shortValue ? HAS_SHORT_VALUE : 0) |
    (l.minCommitTs !== undefined ? HAS_MIN_COMMIT_TS : 0) |
    (l.forUpdateTs !== undefined ? HAS_FOR_UPDATE_TS : 0) |
    (l.txnSize !== undefined ? HAS_TXN_SIZE : 0);
  const w = new ByteWriter(32 + l.primary.byteLength + (l.shortValue?.byteLength ?? 0));
  w.u8(FORMAT_V1).u8(l.kind).bytes(l.primary).u64Big(l.startTs).varint(l.ttlMs).u8(flags);
  if (l.shortValue) w.bytes(l.shortValue);
  if (l.minCommitTs !== undefined) w.u64Big(l.minCommitTs);
  if (l.forUpdateTs !== undefined) w.u64Big(l.forUpdateTs);
  if (l.txnSize !== undefined) w.varint(l.txnSize);
  return w.finish();
}

/** Decodes a lock record; STORAGE_ERR_CORRUPT if it is not one. */
export function decodeLock(v: Uint8Array): Lock {
  const r = new ByteReader(v, 'lock');
  if (r.u8() !== FORMAT_V1) throw corruptError('lock format');
  const kind = checkLockKind(r.u8());
  const primary = r.bytes();
  const startTs = r.u64Big();
  const ttlMs = r.varint();
  const flags = r.u8();
  const lock: {
    -readonly [K in keyof Lock]: Lock[K];
  } = { kind, primary, startTs, ttlMs };
  if (flags & HAS_SHORT_VALUE) lock.shortValue = r.bytes();
  if (flags & HAS_MIN_COMMIT_TS) lock.minCommitTs = r.u64Big();
  if (flags & HAS_FOR_UPDATE_TS) lock.forUpdateTs = r.u64Big();
  if (flags & HAS_TXN_SIZE) lock.txnSize = r.varint();
  r.end();
  return lock;
}

/** A write record's bytes. */
export function encodeWrite(w: WriteRecord): Uint8Array {
  const out = new ByteWriter(16 + (w.shortValue?.byteLength ?? 0));
  out
    .u8(FORMAT_V1)
    .u8(w.kind)
    .u64Big(w.startTs)
    .u8(w.shortValue ? HAS_SHORT_VALUE : 0);
  if (w.shortValue) out.bytes(w.shortValue);
  return out.finish();
}

/** Decodes a write record; STORAGE_ERR_CORRUPT if it is not one. */
export function decodeWrite(v: Uint8Array): WriteRecord {
  const r = new ByteReader(v, 'write record');
  if (r.u8() !== FORMAT_V1) throw corruptError('write record format');
  const kind = checkWriteKind(r.u8());
  const startTs = r.u64Big();
  const flags = r.u8();
  const w = flags & HAS_SHORT_VALUE ? { kind, startTs, shortValue: r.bytes() } : { kind, startTs };
  r.end();
  return w;
}
