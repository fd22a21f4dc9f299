/**
 * The storage engine of one store: the Raft logs and states of every region hosted, and the
 * data (raw and transactional key spaces), in one environment. It hands out group-commit
 * batches, per-region RaftStorage views, raw and MVCC reads, and range snapshot streams.
 *
 * The same class runs on LMDB and in memory (backend.ts); the factories are in open.ts. Not
 * here: the byte layouts (keys.ts, *-codec.ts) or the read algorithms (raft-log-reader.ts,
 * mvcc-reader.ts).
 */

import type { HardState, SnapshotMetadata } from '@atoll/raft';
import { type Backend, Durability, Table } from './backend.js';
import { EMPTY_BYTES } from './bytes.js';
import { closedError } from './errors.js';
import {
  KeySpace,
  keyRegionId,
  rawKey,
  requestGroupKey,
  requestGroupKeySeq,
  requestKey,
  StateKind,
  spaceRange,
  stateKey,
} from './keys.js';
import { collectGarbage, type GcOptions, type GcResult } from './mvcc-gc.js';
import { MvccReader } from './mvcc-reader.js';
import { type ApplyState, decodeWalMark, type TruncatedState } from './raft-codec.js';
import { RaftLogReader } from './raft-log-reader.js';
import { RaftStateReader, RegionRaftStorage } from './region-raft-storage.js';
import { SnapshotExport } from './snapshot-export.js';
import type { SnapshotHeader } from './snapshot-format.js';
import { dropStage, stageSnapshotStream } from './snapshot-ingest.js';
import { checkRegionId, checkUserKey } from './validate.js';
import { type BatchSink, type CommitResult, WriteBatch } from './write-batch.js';

/** A raw pair as the engine returns it (user key, without the key-space prefix). */
export interface RawPair {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A raw scan over user keys in [start, end) (empty end = unbounded). */
export interface RawScanOptions {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  /** At most this many pairs (undefined = all). */
  readonly limit?: number;
  readonly reverse?: boolean;
  /** Values come back empty. */
  readonly keyOnly?: boolean;
}

/** Engine options common to both backends. */
export interface StorageEngineOptions {
  /** Target body bytes of a snapshot chunk; defaults to SNAPSHOT_CHUNK_BYTES. */
  readonly snapshotChunkBytes?: number;
}

/** The storage engine of one store. */
export class StorageEngine implements BatchSink {
  private readonly log: RaftLogReader;
  private readonly state: RaftStateReader;
  /** MVCC reads (Percolator columns). */
  readonly mvcc: MvccReader;
  /** One view per region asked for; bounded by the regions the store hosts. */
  private readonly views = new Map<number, RegionRaftStorage>();
  private closed = false;

  constructor(
    protected readonly backend: Backend,
    private readonly options: StorageEngineOptions = {},
  ) {
    this.log = new RaftLogReader(backend);
    this.state = new RaftStateReader(backend);
    this.mvcc = new MvccReader(backend);
  }

  /** 'lmdb' or 'memory'. */
  get kind(): string {
    return this.backend.kind;
  }

  private open(): void {
    if (this.closed) throw closedError('closed');
  }

  // ---- Writes ----

  /** A new group-commit batch. */
  batch(): WriteBatch {
    this.open();
    return new WriteBatch(this);
  }

  /** Commits a batch (WriteBatch.commit() calls this). */
  async commitBatch(batch: WriteBatch): Promise<CommitResult> {
    this.open();
    const durability = batch.mustSync ? Durability.Durable : Durability.Visible;
    try {
      await this.backend.commit(batch.ops, durability, batch.putBytes);
    } catch (e) {
      this.log.invalidate(batch.appendedLogTails.keys());
      throw e;
    } finally {
      this.log.invalidate(batch.touchedLogRegions);
    }
    // After the invalidations: a region both appended to and compacted is reloaded anyway.
    for (const [regionId, last] of batch.appendedLogTails) this.log.appended(regionId, last);
    return { durability, operations: batch.size };
  }

  /**
   * Backend transactions committed so far, where counted (see Backend.transactions). Fewer
   * than batches when pipelined batches share an LMDB transaction.
   */
  transactions(): number | undefined {
    return this.backend.transactions();
  }

  /** Resolves once every commit so far is on disk. */
  flushed(): Promise<void> {
    return this.backend.flushed();
  }

  // ---- Raft ----

  /** The RaftStorage view of a region (the same object on every call). */
  raftStorage(regionId: number): RegionRaftStorage {
    this.open();
    checkRegionId(regionId);
    let v = this.views.get(regionId);
    if (!v) {
      v = new RegionRaftStorage(regionId, this.log, this.state);
      this.views.set(regionId, v);
    }
    return v;
  }

  /** Drops every cached log bound (after the backend's state changed underneath). */
  protected forgetCaches(): void {
    this.log.invalidateAll();
  }

  /** Forgets a region's view (after its log was destroyed). */
  forgetRegion(regionId: number): void {
    this.views.delete(regionId);
    this.log.invalidate([regionId]);
  }

  hardState(regionId: number): HardState | undefined {
    this.open();
    return this.state.hardState(regionId);
  }

  applyState(regionId: number): ApplyState | undefined {
    this.open();
    return this.state.applyState(regionId);
  }

  /** The sequence of the last write-ahead log record this state includes (0: none). */
  walMark(): number {
    this.open();
    const v = this.backend.get(Table.State, stateKey(0, StateKind.WalMark));
    return v ? decodeWalMark(v) : 0;
  }

  /** The opaque region metadata the store wrote, if any. */
  regionMeta(regionId: number): Uint8Array | undefined {
    this.open();
    return this.state.regionMeta(regionId);
  }

  snapshotMeta(regionId: number): SnapshotMetadata | undefined {
    this.open();
    return this.state.snapshotMeta(regionId);
  }

  /** The last entry dropped from the region's log (index 0 if none). */
  truncatedState(regionId: number): TruncatedState {
    this.open();
    return this.log.logBounds(regionId).truncated;
  }

  /** A region's records of applied client requests, in request-id order. */
  requestRecords(regionId: number): { requestId: Uint8Array; value: Uint8Array }[] {
    this.open();
    checkRegionId(regionId);
    const out: { requestId: Uint8Array; value: Uint8Array }[] = [];
    const start = requestKey(regionId, new Uint8Array(0));
    const end = stateKey(regionId, (StateKind.Request + 1) as StateKind);
    for (const { key, value } of this.backend.scan(Table.State, { start, end })) {
      out.push({ requestId: key.slice(start.byteLength), value: value.slice() });
    }
    return out;
  }

  /** A region's request groups (putRequestGroup), by number. */
  requestGroups(regionId: number): { seq: number; value: Uint8Array }[] {
    this.open();
    checkRegionId(regionId);
    const out: { seq: number; value: Uint8Array }[] = [];
    const start = requestGroupKey(regionId, 0);
    const end = stateKey(regionId, (StateKind.RequestGroup + 1) as StateKind);
    for (const { key, value } of this.backend.scan(Table.State, { start, end })) {
      out.push({ seq: requestGroupKeySeq(key), value: value.slice() });
    }
    return out;
  }

  /** Every region with any persisted state record, ascending. */
  regionIds(): number[] {
    this.open();
    const out: number[] = [];
    // Region id 0 holds store-wide records (the WAL mark), never a region.
    let from = stateKey(1, 0 as StateKind);
    for (;;) {
      let next: number | undefined;
      for (const { key } of this.backend.scan(Table.State, {
        start: from,
        limit: 1,
        keysOnly: true,
      })) {
        next = keyRegionId(key);
      }
      if (next === undefined) return out;
      out.push(next);
      from = stateKey(next + 1, 0 as StateKind);
    }
  }

  // ---- Raw key space ----

  /** The value of a raw key. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.open();
    checkUserKey(key);
    return this.backend.get(Table.Data, rawKey(key));
  }

  /** Values of raw keys, in order (undefined where absent). */
  batchGet(keys: readonly Uint8Array[]): (Uint8Array | undefined)[] {
    return keys.map((k) => this.get(k));
  }

  /** Raw pairs in a range, in key order (or reverse). */
  scan(o: RawScanOptions): RawPair[] {
    this.open();
    const r = spaceRange(KeySpace.Raw, o.start, o.end);
    const out: RawPair[] = [];
    for (const { key, value } of this.backend.scan(Table.Data, {
      start: r.start,
      end: r.end,
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      reverse: o.reverse === true,
      keysOnly: o.keyOnly === true,
    })) {
      out.push({ key: key.subarray(1), value: o.keyOnly ? EMPTY_BYTES : value });
    }
    return out;
  }

  // ---- MVCC garbage collection ----

  /** One bounded GC pass below `safePoint`, committed as one batch. */
  async gc(o: GcOptions): Promise<GcResult> {
    const batch = this.batch();
    const result = collectGarbage(this.backend, batch, o);
    if (batch.size > 0) await batch.commit();
    return result;
  }

  /** Adds one GC pass to a caller's batch instead of committing it. */
  collectGarbage(batch: WriteBatch, o: GcOptions): GcResult {
    this.open();
    return collectGarbage(this.backend, batch, o);
  }

  // ---- Range snapshots ----

  /**
   * Every key space of user keys in [start, end) as of now, as a chunked, checksummed stream.
   * `meta` travels in the stream's header (e.g. the region, index and term it was taken at).
   */
  exportRange(start: Uint8Array, end: Uint8Array, meta: Uint8Array = EMPTY_BYTES): SnapshotExport {
    this.open();
    return new SnapshotExport(
      this.backend.pin(),
      { start, end, meta },
      this.options.snapshotChunkBytes,
    );
  }

  /** Verifies a stream and stages it for `regionId` (invisible until installed). */
  stageSnapshot(
    regionId: number,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<SnapshotHeader> {
    this.open();
    checkRegionId(regionId);
    return stageSnapshotStream(this.backend, regionId, chunks);
  }

  /** Discards a region's staged snapshot. */
  dropStagedSnapshot(regionId: number): Promise<void> {
    this.open();
    return dropStage(this.backend, regionId);
  }

  /**
   * Stages a stream and installs it at once: the stream's range is replaced by its data in
   * one durable transaction. For hosts that need nothing else in that transaction.
   */
  async ingestSnapshot(
    regionId: number,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<SnapshotHeader> {
    const header = await this.stageSnapshot(regionId, chunks);
    await this.batch().installStagedSnapshot(regionId, header.start, header.end).commit();
    return header;
  }

  /** Closes the engine once pending commits are done; every later call throws CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }
}
