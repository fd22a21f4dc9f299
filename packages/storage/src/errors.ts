/**
 * The storage layer's error catalog: every operating error it can report, with a stable code,
 * a retryable flag and typed details. docs/errors.md documents each code.
 *
 * Not here: programmer errors (a broken invariant or a misuse of the API), which fail an
 * assertion, and the Raft core's own codes (Compacted, Unavailable), which the RaftStorage
 * view throws as RaftErrors because the core expects exactly those.
 */

export const StorageErrorCode = {
  /** The environment reached its configured size cap (or LMDB's map is full). */
  MapFull: 'STORAGE_ERR_MAP_FULL',
  /** The disk (or quota) is full: a write could not reach the file. */
  DiskFull: 'STORAGE_ERR_DISK_FULL',
  /** Any other I/O failure while committing. The engine refuses writes until reopened. */
  Io: 'STORAGE_ERR_IO',
  /** Stored bytes do not decode, or the log has a hole: the files are damaged. */
  Corrupt: 'STORAGE_ERR_CORRUPT',
  /** A snapshot stream failed its checksum, sequence or framing checks. */
  SnapshotChecksum: 'STORAGE_ERR_SNAPSHOT_CHECKSUM',
  /** A snapshot stream is larger than one ingest may hold. */
  SnapshotTooLarge: 'STORAGE_ERR_SNAPSHOT_TOO_LARGE',
  /** The engine was closed (or failed) and accepts no more work. */
  Closed: 'STORAGE_ERR_CLOSED',
  /** A user key is longer than the engine can store (see limits.ts). */
  KeyTooLarge: 'STORAGE_ERR_KEY_TOO_LARGE',
  /** A value is longer than one entry may be (see limits.ts). */
  ValueTooLarge: 'STORAGE_ERR_VALUE_TOO_LARGE',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** Typed details; which fields are set depends on the code. */
export interface StorageErrorDetails {
  /** The configured or reached size in bytes (MapFull). */
  limitBytes?: number;
  /** The size that was asked for (KeyTooLarge, ValueTooLarge, SnapshotTooLarge). */
  sizeBytes?: number;
  /** The OS or LMDB error number behind the failure (DiskFull, Io, MapFull). */
  errno?: number;
  /** A region the error concerns. */
  regionId?: number;
  /** A chunk sequence number (SnapshotChecksum). */
  chunk?: number;
}

/** A typed operating error of the storage layer. `retryable` says whether trying again may work. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly details: StorageErrorDetails = {},
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Whether `e` is a StorageError (with code `code`, if given). */
export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}

/** The engine is closed or failed; `why` says which. */
export function closedError(why: string): StorageError {
  return new StorageError(StorageErrorCode.Closed, `storage engine is ${why}`);
}

/** Stored bytes are not what this code wrote. */
export function corruptError(what: string, details: StorageErrorDetails = {}): StorageError {
  return new StorageError(StorageErrorCode.Corrupt, `corrupt storage: ${what}`, details);
}

/** A snapshot stream failed a check. */
export function snapshotChecksumError(what: string, chunk?: number): StorageError {
  return new StorageError(
    StorageErrorCode.SnapshotChecksum,
    `snapshot stream rejected: ${what}`,
    chunk === undefined ? {} : { chunk },
  );
}
