/**
 * @atoll/storage: the storage layer of a store on LMDB (and in memory for tests): the Raft
 * logs of many regions, the MVCC data engine, group commit and range snapshots. See README.md
 * for the layout, the fsync policy and the measurements.
 */

export { Durability } from './backend.js';
export { compareBytes, toBytes, U64_MAX } from './bytes.js';
export { crc32c } from './crc32c.js';
export {
  type RawPair,
  type RawScanOptions,
  StorageEngine,
  type StorageEngineOptions,
} from './engine.js';
export {
  isStorageError,
  StorageError,
  StorageErrorCode,
  type StorageErrorDetails,
} from './errors.js';
export { KeySpace } from './keys.js';
export {
  LMDB_KEY_BYTES_MAX,
  REQUEST_ID_BYTES_MAX,
  SHORT_VALUE_BYTES_MAX,
  SNAPSHOT_CHUNK_BYTES,
  USER_KEY_BYTES_MAX,
  VALUE_BYTES_MAX,
} from './limits.js';
export type { LmdbBackendOptions } from './lmdb-backend.js';
export { decodeMemcomparable, encodeMemcomparable } from './memcomparable.js';
export type { MemoryBackendOptions } from './memory-backend.js';
export {
  type Lock,
  LockKind,
  WriteKind,
  type WriteRecord,
} from './mvcc-codec.js';
export type { GcOptions, GcResult } from './mvcc-gc.js';
export {
  type LockInfo,
  lockBlocksRead,
  type MvccGetResult,
  type MvccPair,
  MvccReader,
  type MvccScanOptions,
  type MvccScanResult,
  type WriteVersion,
} from './mvcc-reader.js';
export { MemoryStorageEngine, openLmdbEngine, openMemoryEngine } from './open.js';
export type { ApplyState, TruncatedState } from './raft-codec.js';
export type { LogBounds } from './raft-log-reader.js';
export { RegionRaftStorage, type SnapshotSource } from './region-raft-storage.js';
export { SnapshotExport } from './snapshot-export.js';
export type { SnapshotHeader } from './snapshot-format.js';
export { type RecordingBatch, recordingBatch, replayRedo } from './wal/batch-redo.js';
export {
  decodeLoggedBatch,
  encodeLoggedBatch,
  type LoggedBatch,
  recoverFromWal,
  type WalRecovery,
} from './wal/wal-recovery.js';
export {
  WAL_RECORD_BYTES_MAX,
  WAL_SEGMENT_BYTES_DEFAULT,
  type WalFile,
  type WalFiles,
  type WalOptions,
  type WalPosition,
  type WalRecord,
  WriteAheadLog,
} from './wal/write-ahead-log.js';
export { type BatchSink, type CommitResult, WriteBatch } from './write-batch.js';
