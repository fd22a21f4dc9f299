/**
 * The store's storage port on packages/storage's engine (LMDB in production, the in-memory
 * engine in tests). Region state is kept as the engine's opaque region meta (region,
 * peer id, tombstone) plus its apply state (applied index and membership), written together.
 */

import { atoll } from '@atoll/proto';
import { recordingBatch, type StorageEngine } from '@atoll/storage';
import { fromProtoRegion, toProtoRegion } from './region.js';
import type {
  RegionLog,
  RegionState,
  SnapshotChunks,
  StoreBatch,
  StoredRequestRecords,
  StoreStorage,
} from './storage-port.js';
import type { BatchCommit, StoreWal } from './store-wal.js';

const EMPTY_CONF = {
  voters: [],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
};

/** Region meta layout: a u8 format byte, a u8 flags byte (1 = tombstone), the u64 peer id, the region. */
const META_FORMAT = 1;

function encodeMeta(st: RegionState): Uint8Array {
  const region = atoll.meta.Region.encode(toProtoRegion(st.region)).finish();
  const out = new Uint8Array(10 + region.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, META_FORMAT);
  view.setUint8(1, st.tombstone ? 1 : 0);
  view.setBigUint64(2, BigInt(st.peerId));
  out.set(region, 10);
  return out;
}

function decodeMeta(bytes: Uint8Array): {
  region: RegionState['region'];
  peerId: number;
  tombstone: boolean;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== META_FORMAT) throw new Error('unknown region meta format');
  return {
    tombstone: view.getUint8(1) === 1,
    peerId: Number(view.getBigUint64(2)),
    region: fromProtoRegion(atoll.meta.Region.decode(bytes.subarray(10))),
  };
}

export class EngineStoreStorage implements StoreStorage {
  constructor(
    readonly engine: StorageEngine,
    /** With a write-ahead log, batches are durable once logged (see store-wal.ts). */
    private readonly wal?: StoreWal,
  ) {}

  get logged(): boolean {
    return this.wal !== undefined;
  }

  loadRegionStates(): RegionState[] {
    const out: RegionState[] = [];
    for (const id of this.engine.regionIds()) {
      const meta = this.engine.regionMeta(id);
      if (!meta) continue; // a log without a region (e.g. destroyed while stopping): skip
      const m = decodeMeta(meta);
      const apply = this.engine.applyState(id);
      out.push({
        ...m,
        appliedIndex: apply?.appliedIndex ?? 0,
        confState: apply?.confState ?? this.engine.snapshotMeta(id)?.confState ?? EMPTY_CONF,
      });
    }
    return out;
  }

  regionLog(regionId: number): RegionLog {
    return this.engine.raftStorage(regionId);
  }

  newBatch(): StoreBatch {
    const wal = this.wal;
    const rec = wal ? recordingBatch(this.engine.batch()) : undefined;
    const b = rec?.batch ?? this.engine.batch();
    const commitParts = (): BatchCommit => {
      if (rec && wal) return wal.commit(rec);
      const done = b.commit().then(() => {});
      return { durable: done, visible: done, engineDurable: true };
    };
    return {
      appendEntries: (id, entries) => void b.appendEntries(id, entries),
      setHardState: (id, hs, durable = true) => void b.setHardState(id, hs, durable),
      applySnapshotPosition: (id, index, term) => void b.applySnapshotPosition(id, index, term),
      compactLog: (id, index) => void b.compactLog(id, index),
      put: rec ? (key, value) => rec.put(key, value) : (key, value) => void b.put(key, value),
      delete: rec ? (key) => rec.delete(key) : (key) => void b.delete(key),
      deleteRange: (start, end) => void b.deleteRange(start, end),
      clearRange: (start, end) => void b.clearRange(start, end),
      setRegionState: (st) => {
        b.setRegionMeta(st.region.id, encodeMeta(st));
        b.setApplyState(st.region.id, { appliedIndex: st.appliedIndex, confState: st.confState });
      },
      setApplied: (id, appliedIndex, confState) =>
        void b.setApplyState(id, confState ? { appliedIndex, confState } : { appliedIndex }),
      putRequestRecord: (id, requestId, value) => void b.putRequestRecord(id, requestId, value),
      deleteRequestRecord: (id, requestId) => void b.deleteRequestRecord(id, requestId),
      putRequestGroup: (id, seq, value) => void b.putRequestGroup(id, seq, value),
      deleteRequestGroup: (id, seq) => void b.deleteRequestGroup(id, seq),
      clearRequestRecords: (id) => void b.clearRequestRecords(id),
      destroyRegionLog: (id) => void b.destroyRegionLog(id),
      installStagedSnapshot: (id, start, end) => void b.installStagedSnapshot(id, start, end),
      commitParts,
      commit: async () => {
        const parts = commitParts();
        // The caller waits to see it: no holding back for company (store-wal.ts).
        this.wal?.commitHeld();
        await Promise.all([parts.durable, parts.visible]);
      },
    };
  }

  commitHeld(): void {
    this.wal?.commitHeld();
  }

  loadRequestRecords(regionId: number): StoredRequestRecords {
    return {
      records: this.engine.requestRecords(regionId),
      groups: this.engine.requestGroups(regionId),
    };
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.engine.get(key);
  }

  scan(o: {
    start: Uint8Array;
    end: Uint8Array;
    limit: number;
    reverse: boolean;
    keyOnly: boolean;
  }) {
    return this.engine.scan(o);
  }

  exportRange(start: Uint8Array, end: Uint8Array): SnapshotChunks {
    return this.engine.exportRange(start, end);
  }

  async stageSnapshot(regionId: number, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    await this.engine.stageSnapshot(regionId, chunks);
  }

  dropStagedSnapshot(regionId: number): void {
    void this.engine.dropStagedSnapshot(regionId);
  }

  async close(): Promise<void> {
    await this.wal?.close();
    await this.engine.close();
  }
}
