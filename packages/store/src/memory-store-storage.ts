/**
 * StoreStorage in memory, for in-process tests and the simulator. It keeps the same
 * promises as the LMDB engine where they matter to the store: a batch is all-or-nothing
 * and visible only once committed; a crash (dropping the object) loses exactly what was not
 * committed.
 */

import {
  EMPTY_HARD_STATE,
  type Entry,
  type HardState,
  limitSize,
  RaftError,
  RaftErrorCode,
  type Snapshot,
} from '@atoll/raft';
import { compareBytes } from './region.js';
import type {
  KeyValue,
  RegionLog,
  RegionState,
  ScanOptions,
  StoreBatch,
  StoreStorage,
} from './storage-port.js';

const SNAPSHOT_CHUNK_PAIRS = 1024;

/** One region's log; exposed to the Raft core through wrapLog(). */
class MemoryRegionLog {
  hardState: HardState = EMPTY_HARD_STATE;
  /** Index and term of the entry before entries[0] (a snapshot or compaction point). */
  offsetIndex = 0;
  offsetTerm = 0;
  log: Entry[] = [];
  private source: (() => Snapshot) | undefined;

  constructor(
    private readonly states: Map<number, RegionState>,
    private readonly regionId: number,
  ) {}

  setSnapshotSource(source: () => Snapshot): void {
    this.source = source;
  }

  initialState() {
    const st = this.states.get(this.regionId);
    return {
      hardState: this.hardState,
      confState: st?.confState ?? {
        voters: [],
        votersOutgoing: [],
        learners: [],
        learnersNext: [],
        autoLeave: false,
      },
    };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offsetIndex)
      throw new RaftError(RaftErrorCode.Compacted, `index ${lo} is compacted`, { index: lo });
    if (hi > this.lastIndex() + 1)
      throw new RaftError(RaftErrorCode.Unavailable, `index ${hi - 1} is unavailable`);
    return limitSize(
      this.log.slice(lo - this.offsetIndex - 1, hi - this.offsetIndex - 1),
      maxBytes,
    );
  }

  term(index: number): number {
    if (index === this.offsetIndex) return this.offsetTerm;
    if (index < this.offsetIndex)
      throw new RaftError(RaftErrorCode.Compacted, `index ${index} is compacted`, { index });
    const e = this.log[index - this.offsetIndex - 1];
    if (!e)
      throw new RaftError(RaftErrorCode.Unavailable, `index ${index} is unavailable`, { index });
    return e.term;
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.log.length;
  }

  snapshot(): Snapshot {
    if (!this.source) {
      throw new RaftError(
        RaftErrorCode.SnapshotTemporarilyUnavailable,
        'no snapshot source yet',
        {},
        true,
      );
    }
    return this.source();
  }
}

type Op =
  | { kind: 'append'; regionId: number; entries: readonly Entry[] }
  | { kind: 'hardState'; regionId: number; hs: HardState }
  | { kind: 'snapshotPosition'; regionId: number; index: number; term: number }
  | { kind: 'compact'; regionId: number; index: number }
  | { kind: 'put'; key: Uint8Array; value: Uint8Array }
  | { kind: 'delete'; key: Uint8Array }
  | { kind: 'deleteRange'; start: Uint8Array; end: Uint8Array }
  | { kind: 'regionState'; state: RegionState }
  | { kind: 'destroy'; regionId: number }
  | { kind: 'installStaged'; regionId: number; start: Uint8Array; end: Uint8Array };

export class MemoryStoreStorage implements StoreStorage {
  /** Sorted by key. */
  private data: KeyValue[] = [];
  private readonly states = new Map<number, RegionState>();
  private readonly logs = new Map<number, MemoryRegionLog>();
  private readonly staged = new Map<number, Uint8Array[]>();
  /** Batches committed so far; tests use it to count fsyncs. */
  commits = 0;

  loadRegionStates(): RegionState[] {
    return [...this.states.values()];
  }

  regionLog(regionId: number): RegionLog {
    let log = this.logs.get(regionId);
    if (!log) {
      log = new MemoryRegionLog(this.states, regionId);
      this.logs.set(regionId, log);
    }
    return wrapLog(log);
  }

  private rawLog(regionId: number): MemoryRegionLog {
    this.regionLog(regionId);
    return this.logs.get(regionId)!;
  }

  newBatch(): StoreBatch {
    const ops: Op[] = [];
    return {
      appendEntries: (regionId, entries) => ops.push({ kind: 'append', regionId, entries }),
      setHardState: (regionId, hs) => ops.push({ kind: 'hardState', regionId, hs }),
      applySnapshotPosition: (regionId, index, term) =>
        ops.push({ kind: 'snapshotPosition', regionId, index, term }),
      compactLog: (regionId, index) => ops.push({ kind: 'compact', regionId, index }),
      put: (key, value) => ops.push({ kind: 'put', key, value }),
      delete: (key) => ops.push({ kind: 'delete', key }),
      deleteRange: (start, end) => ops.push({ kind: 'deleteRange', start, end }),
      setRegionState: (state) => ops.push({ kind: 'regionState', state }),
      destroyRegionLog: (regionId) => ops.push({ kind: 'destroy', regionId }),
      installStagedSnapshot: (regionId, start, end) =>
        ops.push({ kind: 'installStaged', regionId, start, end }),
      commit: async () => {
        // Durability is instant here; resolving asynchronously keeps callers honest.
        await Promise.resolve();
        for (const op of ops) this.apply(op);
        this.commits++;
      },
    };
  }

  private apply(op: Op): void {
    switch (op.kind) {
      case 'append': {
        if (op.entries.length === 0) return;
        const log = this.rawLog(op.regionId);
        const first = op.entries[0]!.index;
        log.log.length = Math.max(0, first - log.offsetIndex - 1);
        for (const e of op.entries) log.log.push(e);
        return;
      }
      case 'hardState':
        this.rawLog(op.regionId).hardState = op.hs;
        return;
      case 'snapshotPosition': {
        const log = this.rawLog(op.regionId);
        log.offsetIndex = op.index;
        log.offsetTerm = op.term;
        log.log = [];
        return;
      }
      case 'compact': {
        const log = this.rawLog(op.regionId);
        if (op.index <= log.offsetIndex) return;
        log.offsetTerm = log.term(op.index);
        log.log = log.log.slice(op.index - log.offsetIndex);
        log.offsetIndex = op.index;
        return;
      }
      case 'put':
        this.putData(op.key, op.value);
        return;
      case 'delete': {
        const at = this.find(op.key);
        if (at.found) this.data.splice(at.index, 1);
        return;
      }
      case 'deleteRange': {
        const lo = this.find(op.start).index;
        const hi = op.end.length === 0 ? this.data.length : this.find(op.end).index;
        if (hi > lo) this.data.splice(lo, hi - lo);
        return;
      }
      case 'regionState':
        this.states.set(op.state.region.id, op.state);
        return;
      case 'destroy':
        this.logs.delete(op.regionId);
        return;
      case 'installStaged': {
        const staged = this.staged.get(op.regionId) ?? [];
        this.staged.delete(op.regionId);
        this.apply({ kind: 'deleteRange', start: op.start, end: op.end });
        for (const chunk of staged)
          for (const kv of decodePairs(chunk)) this.putData(kv.key, kv.value);
        return;
      }
    }
  }

  private find(key: Uint8Array): { index: number; found: boolean } {
    let lo = 0;
    let hi = this.data.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.data[mid]!.key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    const found = lo < this.data.length && compareBytes(this.data[lo]!.key, key) === 0;
    return { index: lo, found };
  }

  private putData(key: Uint8Array, value: Uint8Array): void {
    const at = this.find(key);
    const kv = { key: key.slice(), value: value.slice() };
    if (at.found) this.data[at.index] = kv;
    else this.data.splice(at.index, 0, kv);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const at = this.find(key);
    return at.found ? this.data[at.index]!.value : undefined;
  }

  scan(o: ScanOptions): KeyValue[] {
    const lo = this.find(o.start).index;
    const hi = o.end.length === 0 ? this.data.length : this.find(o.end).index;
    const out: KeyValue[] = [];
    const take = (kv: KeyValue) =>
      out.push(o.keyOnly ? { key: kv.key, value: new Uint8Array() } : kv);
    if (o.reverse) for (let i = hi - 1; i >= lo && out.length < o.limit; i--) take(this.data[i]!);
    else for (let i = lo; i < hi && out.length < o.limit; i++) take(this.data[i]!);
    return out;
  }

  async *exportRange(start: Uint8Array, end: Uint8Array): AsyncIterable<Uint8Array> {
    const pairs = this.scan({
      start,
      end,
      limit: Number.POSITIVE_INFINITY,
      reverse: false,
      keyOnly: false,
    });
    for (let i = 0; i < pairs.length; i += SNAPSHOT_CHUNK_PAIRS) {
      yield encodePairs(pairs.slice(i, i + SNAPSHOT_CHUNK_PAIRS));
    }
  }

  async stageSnapshot(regionId: number, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const staged: Uint8Array[] = [];
    for await (const chunk of chunks) staged.push(chunk);
    this.staged.set(regionId, staged);
  }

  dropStagedSnapshot(regionId: number): void {
    this.staged.delete(regionId);
  }

  async close(): Promise<void> {}

  /** Every pair, for tests comparing replicas. */
  allData(): KeyValue[] {
    return this.data.slice();
  }
}

function wrapLog(log: MemoryRegionLog): RegionLog {
  return {
    initialState: () => log.initialState(),
    entries: (lo, hi, maxBytes) => log.entries(lo, hi, maxBytes),
    term: (i) => log.term(i),
    firstIndex: () => log.firstIndex(),
    lastIndex: () => log.lastIndex(),
    snapshot: () => log.snapshot(),
    setSnapshotSource: (s) => log.setSnapshotSource(s),
  };
}

/** Chunk format: repeated (u32 key length, key, u32 value length, value). */
export function encodePairs(pairs: readonly KeyValue[]): Uint8Array {
  let size = 0;
  for (const kv of pairs) size += 8 + kv.key.length + kv.value.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const kv of pairs) {
    view.setUint32(at, kv.key.length);
    out.set(kv.key, at + 4);
    at += 4 + kv.key.length;
    view.setUint32(at, kv.value.length);
    out.set(kv.value, at + 4);
    at += 4 + kv.value.length;
  }
  return out;
}

export function decodePairs(chunk: Uint8Array): KeyValue[] {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const out: KeyValue[] = [];
  let at = 0;
  while (at < chunk.length) {
    const kl = view.getUint32(at);
    const key = chunk.slice(at + 4, at + 4 + kl);
    at += 4 + kl;
    const vl = view.getUint32(at);
    const value = chunk.slice(at + 4, at + 4 + vl);
    at += 4 + vl;
    out.push({ key, value });
  }
  return out;
}
