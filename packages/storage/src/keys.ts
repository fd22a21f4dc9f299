/**
 * Key layouts of every table. The byte order of these keys is the iteration order LMDB (and
 * the memory engine) gives, so each layout is chosen for the scans made over it:
 *
 * - log:   region id u64 BE | index u64 BE           one region's entries are contiguous, in
 *                                                    index order
 * - state: region id u64 BE | kind u8                every record of a region together
 *          region id u64 BE | 7 | request id         the store's applied-request records
 * - data:  'r' | user key                            raw key space
 *          'l' | mc(user key)                        lock column (Percolator)
 *          'w' | mc(user key) | ~commitTs u64 BE     write column, newest commit first
 *          'd' | mc(user key) | ~startTs u64 BE      default column, newest start first
 * - stage: region id u64 BE | sequence u64 BE        snapshot data received, not installed
 *
 * mc() is the memcomparable encoding (memcomparable.ts). The prefix byte keeps the raw and the
 * transactional key spaces apart: no raw key can ever equal a transactional one. Not here:
 * what the values hold (raft-codec.ts, mvcc-codec.ts).
 */

import { writeU64 } from './bytes.js';
import { corruptError } from './errors.js';
import { TIMESTAMP_BYTES } from './limits.js';
import {
  memcomparableLength,
  readDescendingTs,
  readMemcomparable,
  writeDescendingTs,
  writeMemcomparable,
} from './memcomparable.js';

/** Bytes of a region id or a log index in a key. */
const U64_BYTES = 8;

/** The four prefixes of the data table. */
export const KeySpace = {
  Raw: 0x72, // 'r'
  Lock: 0x6c, // 'l'
  Write: 0x77, // 'w'
  Default: 0x64, // 'd'
} as const;
export type KeySpace = (typeof KeySpace)[keyof typeof KeySpace];

/** Every key space of the data table, for operations that span them all (ranges, snapshots). */
export const ALL_KEY_SPACES: readonly KeySpace[] = [
  KeySpace.Default,
  KeySpace.Lock,
  KeySpace.Raw,
  KeySpace.Write,
];

/** Kinds of per-region records in the state table. */
export const StateKind = {
  HardState: 1,
  ApplyState: 2,
  RegionMeta: 3,
  SnapshotMeta: 4,
  /** The index and term of the last entry dropped from the log (compaction or snapshot). */
  Truncated: 5,
  /** The membership as of the applied index (written only when it changes). */
  ConfState: 6,
  /** Prefix of the store's records of applied client requests (one key per request id). */
  Request: 7,
  /** Store-wide, under region id 0: the last write-ahead log record this state includes. */
  WalMark: 8,
  /** Prefix of grouped records of applied client requests (one key per group, by number). */
  RequestGroup: 9,
} as const;
export type StateKind = (typeof StateKind)[keyof typeof StateKind];

/** log key of entry `index` of region `regionId`. */
export function logKey(regionId: number, index: number): Uint8Array {
  const k = new Uint8Array(2 * U64_BYTES);
  writeU64(k, 0, regionId);
  writeU64(k, U64_BYTES, index);
  return k;
}

/** The first log key after every entry of `regionId` (the next region's start). */
export function logKeyEnd(regionId: number): Uint8Array {
  return logKey(regionId + 1, 0);
}

/** The index part of a log key. */
export function logKeyIndex(key: Uint8Array): number {
  if (key.byteLength !== 2 * U64_BYTES) throw corruptError('log key length');
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(U64_BYTES) * 0x1_0000_0000 + view.getUint32(U64_BYTES + 4);
}

/** The region part of a log, state or stage key. */
export function keyRegionId(key: Uint8Array): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
}

/** state key of one record of a region. */
export function stateKey(regionId: number, kind: StateKind): Uint8Array {
  const k = new Uint8Array(U64_BYTES + 1);
  writeU64(k, 0, regionId);
  k[U64_BYTES] = kind;
  return k;
}

/** state key of a region's record of one applied client request (`requestId` may be empty). */
export function requestKey(regionId: number, requestId: Uint8Array): Uint8Array {
  const k = new Uint8Array(U64_BYTES + 1 + requestId.byteLength);
  writeU64(k, 0, regionId);
  k[U64_BYTES] = StateKind.Request;
  k.set(requestId, U64_BYTES + 1);
  return k;
}

/** state key of group `seq` of a region's records of applied client requests. */
export function requestGroupKey(regionId: number, seq: number): Uint8Array {
  const k = new Uint8Array(2 * U64_BYTES + 1);
  writeU64(k, 0, regionId);
  k[U64_BYTES] = StateKind.RequestGroup;
  writeU64(k, U64_BYTES + 1, seq);
  return k;
}

/** The group number of a requestGroupKey. */
export function requestGroupKeySeq(key: Uint8Array): number {
  if (key.byteLength !== 2 * U64_BYTES + 1) throw corruptError('request group key length');
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(U64_BYTES + 1) * 0x1_0000_0000 + view.getUint32(U64_BYTES + 5);
}

/** stage key: the `seq`-th pair received for a region's snapshot. */
export function stageKey(regionId: number, seq: number): Uint8Array {
  const k = new Uint8Array(2 * U64_BYTES);
  writeU64(k, 0, regionId);
  writeU64(k, U64_BYTES, seq);
  return k;
}

/** A raw data key. */
export function rawKey(userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + userKey.byteLength);
  k[0] = KeySpace.Raw;
  k.set(userKey, 1);
  return k;
}

/** A lock-column key. */
export function lockKey(userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + memcomparableLength(userKey.byteLength));
  k[0] = KeySpace.Lock;
  writeMemcomparable(k, 1, userKey);
  return k;
}

/** A write-column key (`commitTs`) or default-column key (`startTs`). */
export function versionKey(space: KeySpace, userKey: Uint8Array, ts: bigint): Uint8Array {
  const mcLen = memcomparableLength(userKey.byteLength);
  const k = new Uint8Array(1 + mcLen + TIMESTAMP_BYTES);
  k[0] = space;
  writeMemcomparable(k, 1, userKey);
  writeDescendingTs(k, 1 + mcLen, ts);
  return k;
}

/** The prefix every version of `userKey` in `space` shares: space | mc(userKey). */
export function versionPrefix(space: KeySpace, userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + memcomparableLength(userKey.byteLength));
  k[0] = space;
  writeMemcomparable(k, 1, userKey);
  return k;
}

/** Splits a write- or default-column key into user key and timestamp. */
export function decodeVersionKey(key: Uint8Array): {
  readonly userKey: Uint8Array;
  readonly ts: bigint;
} {
  const { bytes, end } = readMemcomparable(key, 1);
  if (end + TIMESTAMP_BYTES !== key.byteLength) throw corruptError('version key length');
  return { userKey: bytes, ts: readDescendingTs(key, end) };
}

/** The user key of a lock-column key. */
export function decodeLockKey(key: Uint8Array): Uint8Array {
  const { bytes, end } = readMemcomparable(key, 1);
  if (end !== key.byteLength) throw corruptError('lock key length');
  return bytes;
}

/** A half-open range of table keys; `end` undefined means "to the end of the table". */
export interface KeyRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

/**
 * The table-key range of one key space that holds exactly the user keys in [start, end)
 * (empty `end` = unbounded). Because mc() preserves order and is prefix-free, every version
 * key of a user key k with start <= k < end lies inside the range, and no other does.
 */
export function spaceRange(space: KeySpace, start: Uint8Array, end: Uint8Array): KeyRange {
  const encode = (k: Uint8Array) =>
    space === KeySpace.Raw ? rawKey(k) : versionPrefixOf(space, k);
  return {
    start: encode(start),
    end: end.byteLength > 0 ? encode(end) : Uint8Array.of(space + 1),
  };
}

function versionPrefixOf(space: KeySpace, userKey: Uint8Array): Uint8Array {
  return space === KeySpace.Lock ? lockKey(userKey) : versionPrefix(space, userKey);
}
