/**
 * A group-commit batch: everything one store loop iteration produces — log appends and hard
 * states of many regions, the data written by applied entries with each region's new applied
 * index, region metadata — committed as ONE backend transaction.
 *
 * Durability is decided per batch (README "fsync policy"): a batch that carries anything the
 * Raft protocol promises to others (log entries, hard state, snapshot position, region
 * metadata, destroyed logs) resolves only once it is on disk. A batch of applied data and
 * apply states alone resolves once it is visible: after a power failure it can be replayed
 * from the log, because transactions are recovered as a prefix and the log it was applied
 * from was durable before it was applied.
 *
 * Operations are validated when added (typed errors for oversized keys and values,
 * assertions for bad ids), then run in order inside the transaction. Not here: reads, caches.
 */

import { assert, type Entry, type HardState, type SnapshotMetadata } from '@atoll/raft';
import { type Durability, Table, type TxnOp, type WriteTxn } from './backend.js';
import {
  ALL_KEY_SPACES,
  KeySpace,
  lockKey,
  logKey,
  logKeyEnd,
  logKeyIndex,
  rawKey,
  requestGroupKey,
  requestKey,
  StateKind,
  spaceRange,
  stageKey,
  stateKey,
  versionKey,
} from './keys.js';
import { encodeLock, encodeWrite, type Lock, type WriteRecord } from './mvcc-codec.js';
import {
  type ApplyState,
  decodeTruncatedState,
  encodeApplyState,
  encodeConfState,
  encodeEntryValue,
  encodeHardState,
  encodeSnapshotMeta,
  encodeTruncatedState,
  encodeWalMark,
  entryValueTerm,
  type TruncatedState,
} from './raft-codec.js';
import { decodeStagedPair } from './snapshot-format.js';
import {
  checkIndex,
  checkRegionId,
  checkRequestId,
  checkTs,
  checkUserKey,
  checkValue,
} from './validate.js';

const EMPTY = new Uint8Array(0);

/** What a commit reached before its promise resolved. */
export interface CommitResult {
  readonly durability: Durability;
  /** Operations in the transaction. */
  readonly operations: number;
}

/** Where a batch goes when committed (the engine). */
export interface BatchSink {
  commitBatch(batch: WriteBatch): Promise<CommitResult>;
}

/**
 * Pairs moved from the stage table per read while installing a snapshot: bounds what is held
 * in memory at once, whatever the region's size.
 */
const STAGE_MOVE_PAIRS = 4096;

/** Reads a region's truncated state inside a transaction. */
export function readTruncated(txn: WriteTxn, regionId: number): TruncatedState {
  const v = txn.get(Table.State, stateKey(regionId, StateKind.Truncated));
  return v ? decodeTruncatedState(v) : { index: 0, term: 0 };
}

/** A group-commit batch. Build it, then `commit()` once. */
export class WriteBatch {
  private readonly txnOps: TxnOp[] = [];
  private bytes = 0;
  private sync = false;
  private logged = false;
  private committed = false;
  /**
   * Regions whose log or truncated state this batch changes in ways other than appending
   * (their cached bounds are reloaded).
   */
  readonly touchedLogRegions = new Set<number>();
  /** Regions this batch appends to, with the index of the last entry it writes. */
  readonly appendedLogTails = new Map<number, number>();

  constructor(private readonly sink: BatchSink) {}

  /** The operations, in order (for the engine). */
  get ops(): readonly TxnOp[] {
    return this.txnOps;
  }

  /** Key + value bytes this batch puts (for size caps). */
  get putBytes(): number {
    return this.bytes;
  }

  /** Whether commit() waits for the disk (see the header). */
  get mustSync(): boolean {
    return this.sync && !this.logged;
  }

  /**
   * The batch's redo record is durable in a write-ahead log (wal/wal-recovery.ts): commit()
   * resolves once the batch is visible, without waiting for the disk.
   */
  durableInWal(): this {
    this.logged = true;
    return this;
  }

  /** Number of operations added. */
  get size(): number {
    return this.txnOps.length;
  }

  /** Forces commit() to wait for the disk even if nothing here requires it. */
  requireSync(): this {
    this.sync = true;
    return this;
  }

  private add(op: TxnOp, putBytes = 0): this {
    assert(!this.committed, 'batch already committed');
    this.txnOps.push(op);
    this.bytes += putBytes;
    return this;
  }

  private tablePut(table: Table, key: Uint8Array, value: Uint8Array): this {
    return this.add((t) => t.put(table, key, value), key.byteLength + value.byteLength);
  }

  private tableDel(table: Table, key: Uint8Array): this {
    return this.add((t) => t.del(table, key));
  }

  // ---- Raft log and state ----

  /**
   * Appends entries to a region's log, overwriting any conflicting suffix (every entry after
   * the last one given is dropped). Entries must be contiguous and must continue the log.
   */
  appendEntries(regionId: number, entries: readonly Entry[]): this {
    checkRegionId(regionId);
    if (entries.length === 0) return this;
    const first = entries[0]!.index;
    const last = first + entries.length - 1;
    assert(first >= 1, 'log indexes start at 1');
    const pairs: [Uint8Array, Uint8Array][] = [];
    let bytes = 0;
    entries.forEach((e, i) => {
      assert(e.index === first + i, () => `entries not contiguous at ${e.index}`);
      checkIndex(e.term, 'term');
      const key = logKey(regionId, e.index);
      const value = encodeEntryValue(e);
      bytes += key.byteLength + value.byteLength;
      pairs.push([key, value]);
    });
    this.sync = true;
    this.appendedLogTails.set(regionId, last);
    return this.add((txn) => {
      // Point lookups only: the log is contiguous (this check keeps it so), so entry
      // first - 1 existing (or being the truncation point) means no hole, and entry last + 1
      // missing means no suffix to drop.
      const prev = first - 1;
      assert(
        txn.get(Table.Log, logKey(regionId, prev)) !== undefined ||
          readTruncated(txn, regionId).index === prev,
        () => `region ${regionId}: append at ${first} does not continue the log`,
      );
      for (const [k, v] of pairs) txn.put(Table.Log, k, v);
      if (txn.get(Table.Log, logKey(regionId, last + 1)) !== undefined) {
        txn.deleteRange(Table.Log, logKey(regionId, last + 1), logKeyEnd(regionId));
      }
    }, bytes);
  }

  /**
   * Records that this batch includes write-ahead log record `seq` (and every one before):
   * recovery replays only later records (wal/wal-recovery.ts).
   */
  setWalMark(seq: number): this {
    checkIndex(seq, 'WAL sequence');
    return this.tablePut(Table.State, stateKey(0, StateKind.WalMark), encodeWalMark(seq));
  }

  /**
   * Persists a region's hard state. Pass `durable = false` when only the commit index moved
   * (Ready.mustSync false): a lost commit index is learned again from the leader.
   */
  setHardState(regionId: number, hs: HardState, durable = true): this {
    checkRegionId(regionId);
    if (durable) this.sync = true;
    return this.tablePut(Table.State, stateKey(regionId, StateKind.HardState), encodeHardState(hs));
  }

  /**
   * Records the applied index, and the membership when it changed; commit it in the same
   * batch as the data it covers, so a restart neither re-applies nor loses an entry.
   */
  setApplyState(regionId: number, state: ApplyState): this {
    checkRegionId(regionId);
    checkIndex(state.appliedIndex, 'applied index');
    if (state.confState) {
      this.tablePut(
        Table.State,
        stateKey(regionId, StateKind.ConfState),
        encodeConfState(state.confState),
      );
    }
    return this.tablePut(
      Table.State,
      stateKey(regionId, StateKind.ApplyState),
      encodeApplyState(state),
    );
  }

  /** Region metadata, opaque to this layer (the store encodes it). */
  setRegionMeta(regionId: number, meta: Uint8Array): this {
    checkRegionId(regionId);
    this.sync = true;
    return this.tablePut(Table.State, stateKey(regionId, StateKind.RegionMeta), meta.slice());
  }

  /** The metadata of the region's newest snapshot (what RaftStorage.snapshot() reports). */
  setSnapshotMeta(regionId: number, meta: SnapshotMetadata): this {
    checkRegionId(regionId);
    this.sync = true;
    return this.tablePut(
      Table.State,
      stateKey(regionId, StateKind.SnapshotMeta),
      encodeSnapshotMeta(meta),
    );
  }

  /**
   * Drops log entries up to and including `index` (they must be covered by applied data or a
   * snapshot). A no-op at or below the current truncation point.
   */
  compactLog(regionId: number, index: number): this {
    checkRegionId(regionId);
    checkIndex(index, 'compact index');
    this.touchedLogRegions.add(regionId);
    return this.add((txn) => {
      if (index <= readTruncated(txn, regionId).index) return;
      const v = txn.get(Table.Log, logKey(regionId, index));
      assert(v !== undefined, () => `region ${regionId}: compact to ${index} past the log`);
      const term = entryValueTerm(v);
      txn.deleteRange(Table.Log, logKey(regionId, 0), logKey(regionId, index + 1));
      txn.put(
        Table.State,
        stateKey(regionId, StateKind.Truncated),
        encodeTruncatedState({ index, term }),
      );
    });
  }

  /**
   * Replaces the region's whole log with a snapshot's position: every entry is dropped and
   * the log continues after (index, term). Used when a snapshot is installed.
   */
  applySnapshotPosition(regionId: number, index: number, term: number): this {
    checkRegionId(regionId);
    checkIndex(index, 'snapshot index');
    checkIndex(term, 'snapshot term');
    this.sync = true;
    this.touchedLogRegions.add(regionId);
    return this.add((txn) => {
      txn.deleteRange(Table.Log, logKey(regionId, 0), logKeyEnd(regionId));
      txn.put(
        Table.State,
        stateKey(regionId, StateKind.Truncated),
        encodeTruncatedState({ index, term }),
      );
    });
  }

  /**
   * Records that a client request was applied to a region (`value` is the store's, opaque
   * here). Rides with the applied data: like it, it is rebuilt from the log after a crash.
   */
  putRequestRecord(regionId: number, requestId: Uint8Array, value: Uint8Array): this {
    checkRegionId(regionId);
    checkRequestId(requestId);
    return this.tablePut(Table.State, requestKey(regionId, requestId), value.slice());
  }

  deleteRequestRecord(regionId: number, requestId: Uint8Array): this {
    checkRegionId(regionId);
    checkRequestId(requestId);
    return this.tableDel(Table.State, requestKey(regionId, requestId));
  }

  /**
   * Records a group of applied client requests under number `seq` (`value` is the store's,
   * opaque here): one key for many requests, where putRequestRecord takes one per request.
   */
  putRequestGroup(regionId: number, seq: number, value: Uint8Array): this {
    checkRegionId(regionId);
    checkIndex(seq, 'request group');
    return this.tablePut(Table.State, requestGroupKey(regionId, seq), value.slice());
  }

  deleteRequestGroup(regionId: number, seq: number): this {
    checkRegionId(regionId);
    checkIndex(seq, 'request group');
    return this.tableDel(Table.State, requestGroupKey(regionId, seq));
  }

  /** Drops every request record and group of a region (a snapshot replaces them). */
  clearRequestRecords(regionId: number): this {
    checkRegionId(regionId);
    return this.add((txn) => {
      txn.deleteRange(
        Table.State,
        requestKey(regionId, EMPTY),
        stateKey(regionId, (StateKind.Request + 1) as StateKind),
      );
      txn.deleteRange(
        Table.State,
        stateKey(regionId, StateKind.RequestGroup),
        stateKey(regionId, (StateKind.RequestGroup + 1) as StateKind),
      );
    });
  }

  /** Removes every trace of a region's log, state and staged snapshot (not its data). */
  destroyRegionLog(regionId: number): this {
    checkRegionId(regionId);
    this.sync = true;
    this.touchedLogRegions.add(regionId);
    return this.add((txn) => {
      txn.deleteRange(Table.Log, logKey(regionId, 0), logKeyEnd(regionId));
      txn.deleteRange(
        Table.State,
        stateKey(regionId, 0 as StateKind),
        stateKey(regionId + 1, 0 as StateKind),
      );
      txn.deleteRange(Table.Stage, stageKey(regionId, 0), stageKey(regionId + 1, 0));
    });
  }

  // ---- Raw key space ----

  /** Puts a raw key. */
  put(key: Uint8Array, value: Uint8Array): this {
    checkUserKey(key);
    checkValue(value);
    return this.tablePut(Table.Data, rawKey(key), value.slice());
  }

  /** Deletes a raw key. */
  delete(key: Uint8Array): this {
    checkUserKey(key);
    return this.tableDel(Table.Data, rawKey(key));
  }

  /** Deletes raw keys in [start, end); an empty `end` is unbounded. */
  deleteRange(start: Uint8Array, end: Uint8Array): this {
    const r = spaceRange(KeySpace.Raw, start, end);
    return this.add((txn) => {
      txn.deleteRange(Table.Data, r.start, r.end);
    });
  }

  /** Deletes every key space (raw and transactional) in [start, end): a region's whole data. */
  clearRange(start: Uint8Array, end: Uint8Array): this {
    const ranges = ALL_KEY_SPACES.map((s) => spaceRange(s, start, end));
    return this.add((txn) => {
      for (const r of ranges) txn.deleteRange(Table.Data, r.start, r.end);
    });
  }

  // ---- Transactional key space (Percolator columns) ----

  /** Writes the lock of `key`. */
  putLock(key: Uint8Array, lock: Lock): this {
    checkUserKey(key);
    checkTs(lock.startTs);
    return this.tablePut(Table.Data, lockKey(key), encodeLock(lock));
  }

  /** Removes the lock of `key`. */
  deleteLock(key: Uint8Array): this {
    checkUserKey(key);
    return this.tableDel(Table.Data, lockKey(key));
  }

  /** Writes the commit (or rollback) record of `key` at `commitTs`. */
  putWrite(key: Uint8Array, commitTs: bigint, record: WriteRecord): this {
    checkUserKey(key);
    checkTs(commitTs);
    checkTs(record.startTs);
    return this.tablePut(
      Table.Data,
      versionKey(KeySpace.Write, key, commitTs),
      encodeWrite(record),
    );
  }

  /** Removes the write record of `key` at `commitTs` (GC, rollback cleanup). */
  deleteWrite(key: Uint8Array, commitTs: bigint): this {
    checkUserKey(key);
    checkTs(commitTs);
    return this.tableDel(Table.Data, versionKey(KeySpace.Write, key, commitTs));
  }

  /** Writes the value a transaction started at `startTs` prewrites for `key`. */
  putDefault(key: Uint8Array, startTs: bigint, value: Uint8Array): this {
    checkUserKey(key);
    checkTs(startTs);
    checkValue(value);
    return this.tablePut(Table.Data, versionKey(KeySpace.Default, key, startTs), value.slice());
  }

  /** Removes the value of `key` written by the transaction started at `startTs`. */
  deleteDefault(key: Uint8Array, startTs: bigint): this {
    checkUserKey(key);
    checkTs(startTs);
    return this.tableDel(Table.Data, versionKey(KeySpace.Default, key, startTs));
  }

  // ---- Snapshots ----

  /**
   * Replaces every key space in [start, end) with the region's staged snapshot data
   * (engine.stageSnapshot), and drops the stage. Atomic with the rest of the batch, so the
   * apply state and snapshot position set beside it land together with the data.
   */
  installStagedSnapshot(regionId: number, start: Uint8Array, end: Uint8Array): this {
    checkRegionId(regionId);
    this.clearRange(start, end);
    this.sync = true;
    return this.add((txn) => {
      const stageEnd = stageKey(regionId + 1, 0);
      let from = stageKey(regionId, 0);
      for (;;) {
        const page = [
          ...txn.scan(Table.Stage, { start: from, end: stageEnd, limit: STAGE_MOVE_PAIRS }),
        ];
        for (const { value } of page) {
          const pair = decodeStagedPair(value);
          txn.put(Table.Data, pair.key, pair.value);
        }
        if (page.length < STAGE_MOVE_PAIRS) break;
        const lastKey = page[page.length - 1]!.key;
        from = stageKey(regionId, logKeyIndex(lastKey) + 1);
      }
      txn.deleteRange(Table.Stage, stageKey(regionId, 0), stageEnd);
    });
  }

  /**
   * Commits the batch as one transaction. Resolves once it is durable if it carries anything
   * that must be (see the header), else once it is visible. Rejects with nothing written.
   */
  commit(): Promise<CommitResult> {
    assert(!this.committed, 'batch already committed');
    this.committed = true;
    return this.sink.commitBatch(this);
  }
}
