/**
 * Checks on what callers hand the engine, made before anything is queued: an oversized key or
 * value is an operating error with a typed code (the client can fix it), an invalid id or
 * index is a programmer error (an assertion).
 */

import { assert } from '@atoll/raft';
import { StorageError, StorageErrorCode } from './errors.js';
import { REQUEST_ID_BYTES_MAX, USER_KEY_BYTES_MAX, VALUE_BYTES_MAX } from './limits.js';

/** Throws STORAGE_ERR_KEY_TOO_LARGE if `key` is longer than USER_KEY_BYTES_MAX. */
export function checkUserKey(key: Uint8Array): void {
  if (key.byteLength > USER_KEY_BYTES_MAX) {
    throw new StorageError(
      StorageErrorCode.KeyTooLarge,
      `key of ${key.byteLength} bytes exceeds ${USER_KEY_BYTES_MAX}`,
      { sizeBytes: key.byteLength },
    );
  }
}

/** Throws STORAGE_ERR_VALUE_TOO_LARGE if `value` is longer than VALUE_BYTES_MAX. */
export function checkValue(value: Uint8Array): void {
  if (value.byteLength > VALUE_BYTES_MAX) {
    throw new StorageError(
      StorageErrorCode.ValueTooLarge,
      `value of ${value.byteLength} bytes exceeds ${VALUE_BYTES_MAX}`,
      { sizeBytes: value.byteLength },
    );
  }
}

/** Asserts a region id (positive safe integer). */
export function checkRegionId(regionId: number): void {
  assert(
    Number.isSafeInteger(regionId) && regionId > 0,
    () => `region id must be a positive integer, got ${regionId}`,
  );
}

/** Asserts a log index or term (non-negative safe integer). */
export function checkIndex(n: number, what: string): void {
  assert(Number.isSafeInteger(n) && n >= 0, () => `${what} must be a u64-safe integer, got ${n}`);
}

/** Asserts a timestamp (u64). */
export function checkTs(ts: bigint): void {
  assert(ts >= 0n && ts < 1n << 64n, () => `timestamp out of u64 range: ${ts}`);
}

/** Asserts a request id's length (the store checks client input against the same limit). */
export function checkRequestId(id: Uint8Array): void {
  assert(
    id.byteLength <= REQUEST_ID_BYTES_MAX,
    () => `request id of ${id.byteLength} bytes exceeds ${REQUEST_ID_BYTES_MAX}`,
  );
}
