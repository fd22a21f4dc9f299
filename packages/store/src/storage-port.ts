/**
 * What the store needs from its storage engine. packages/storage provides it on LMDB (one
 * environment per store) and in memory; the store sees only this port.
 *
 * Writes go through a StoreBatch: everything one loop iteration produces (log appends and
 * hard states of many regions, applied data with each region's applied index, region
 * metadata) is committed as one transaction with one fsync.
 */

import type { ConfState, Entry, HardState, RaftStorage, Snapshot } from '@atoll/raft';
import type { RegionMeta } from './region.js';
import type { BatchCommit } from './store-wal.js';

/** A region's durable bookkeeping besides its log. */
export interface RegionState {
  readonly region: RegionMeta;
  /** This store's peer of the region. */
  readonly peerId: number;
  /** Tombstone: the peer was removed; its data is gone and messages to it are ignored. */
  readonly tombstone: boolean;
  /** Last applied log index; the data covers exactly the entries up to it. */
  readonly appliedIndex: number;
  /** The Raft membership as of appliedIndex (may be joint, unlike region.peers). */
  readonly confState: ConfState;
}

/** The Raft log of one region, as the Raft core reads it. */
export interface RegionLog extends RaftStorage {
  /** Snapshots are made by the store (they need the data engine); see setSnapshot. */
  setSnapshotSource(source: () => Snapshot): void;
}

export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface ScanOptions {
  readonly start: Uint8Array;
  /** Exclusive; empty means unbounded. */
  readonly end: Uint8Array;
  readonly limit: number;
  readonly reverse: boolean;
  readonly keyOnly: boolean;
}

export interface StoreBatch {
  appendEntries(regionId: number, entries: readonly Entry[]): void;
  /**
   * `durable` false: the batch need not be fsynced for it (only the commit index moved; it is
   * recovered from the leader after a crash). Term and vote changes are always durable.
   */
  setHardState(regionId: number, hs: HardState, durable?: boolean): void;
  /** Replaces the region's log with a snapshot's position (entries up to it are dropped). */
  applySnapshotPosition(regionId: number, index: number, term: number): void;
  /** Drops log entries up to and including `index` (they are covered by applied data). */
  compactLog(regionId: number, index: number): void;
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Deletes raw keys in [start, end); empty end is unbounded. */
  deleteRange(start: Uint8Array, end: Uint8Array): void;
  /** Deletes every key space (raw and transactional) in [start, end): a region leaving. */
  clearRange(start: Uint8Array, end: Uint8Array): void;
  /** Writes a region's whole state (description, peer, tombstone, applied index, membership). */
  setRegionState(state: RegionState): void;
  /**
   * Writes only the applied index (and the membership if it changed): what every apply
   * batch records. Cheaper than setRegionState and needs no fsync of its own.
   */
  setApplied(regionId: number, appliedIndex: number, confState?: ConfState): void;
  /** Replaces [start, end) with the region's staged snapshot data (see stageSnapshot). */
  installStagedSnapshot(regionId: number, start: Uint8Array, end: Uint8Array): void;
  /** Writes one record of the region's applied-request table (request-table.ts). */
  putRequestRecord(regionId: number, requestId: Uint8Array, value: Uint8Array): void;
  deleteRequestRecord(regionId: number, requestId: Uint8Array): void;
  /** Writes group `seq` of the region's applied-request table: many records, one key. */
  putRequestGroup(regionId: number, seq: number, value: Uint8Array): void;
  deleteRequestGroup(regionId: number, seq: number): void;
  /** Drops the region's whole applied-request table (a snapshot brings another). */
  clearRequestRecords(regionId: number): void;
  /** Removes every trace of a region's log and state (after a tombstone is written, or not). */
  destroyRegionLog(regionId: number): void;
  /** Resolves once everything in the batch is durable and visible. */
  commit(): Promise<void>;
  /**
   * Commits, telling durable and visible apart: with a write-ahead log a batch is durable
   * (logged) before the storage shows it. Without one both are the same moment.
   */
  commitParts(): BatchCommit;
}

/** A region's applied-request table in storage (request-table.ts). */
export interface StoredRequestRecords {
  readonly records: readonly { readonly requestId: Uint8Array; readonly value: Uint8Array }[];
  readonly groups: readonly { readonly seq: number; readonly value: Uint8Array }[];
}

export interface StoreStorage {
  /** Whether batches are logged ahead (durable before visible; see store-wal.ts). */
  readonly logged: boolean;
  /** Every region this store holds (including tombstones), read at startup. */
  loadRegionStates(): RegionState[];
  /** The log of a region (created empty if it has none yet). */
  regionLog(regionId: number): RegionLog;
  newBatch(): StoreBatch;
  /**
   * With a write-ahead log, batches may wait a little for the engine to commit them
   * together; this commits the waiting ones now, for a reader that needs them visible.
   */
  commitHeld(): void;
  /** A region's applied-request table as putRequestRecord and putRequestGroup wrote it. */
  loadRequestRecords(regionId: number): StoredRequestRecords;
  get(key: Uint8Array): Uint8Array | undefined;
  scan(options: ScanOptions): KeyValue[];
  /**
   * The data of [start, end) as of now (the current committed state), in bounded chunks, for
   * a snapshot. The view is fixed when this is called, however late the chunks are read.
   */
  exportRange(start: Uint8Array, end: Uint8Array): SnapshotChunks;
  /**
   * Receives a snapshot's data into a staging area (not yet visible). A later batch's
   * installStagedSnapshot makes it the region's data; dropStagedSnapshot discards it.
   */
  stageSnapshot(regionId: number, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  dropStagedSnapshot(regionId: number): void;
  close(): Promise<void>;
}

/** A snapshot's data stream. It pins a storage view (an LMDB reader slot) until read to the end or released. */
export interface SnapshotChunks extends AsyncIterable<Uint8Array> {
  /** Frees the pinned view of a stream that will not be read (idempotent). */
  release(): void;
}
