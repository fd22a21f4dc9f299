/**
 * One region's view of the engine as the Raft core reads it (RaftStorage): the log through
 * the engine's RaftLogReader, the hard state and membership from the state table. All reads
 * are synchronous and see committed state. Not here: any write; the host persists a Ready
 * through a WriteBatch.
 */

import {
  type ConfState,
  EMPTY_HARD_STATE,
  type Entry,
  type HardState,
  type InitialState,
  type RaftStorage,
  type Snapshot,
  type SnapshotMetadata,
} from '@atoll/raft';
import { type ReadView, Table } from './backend.js';
import { StateKind, stateKey } from './keys.js';
import {
  type ApplyState,
  decodeAppliedIndex,
  decodeConfState,
  decodeHardState,
  decodeSnapshotMeta,
  NO_CONF_STATE,
} from './raft-codec.js';
import type { RaftLogReader } from './raft-log-reader.js';

/** Reads of a region's persisted Raft state (shared by the view and the engine). */
export class RaftStateReader {
  constructor(private readonly view: ReadView) {}

  hardState(regionId: number): HardState | undefined {
    const v = this.view.get(Table.State, stateKey(regionId, StateKind.HardState));
    return v ? decodeHardState(v) : undefined;
  }

  applyState(regionId: number): ApplyState | undefined {
    const v = this.view.get(Table.State, stateKey(regionId, StateKind.ApplyState));
    if (!v) return undefined;
    const confState = this.confState(regionId);
    const appliedIndex = decodeAppliedIndex(v);
    return confState ? { appliedIndex, confState } : { appliedIndex };
  }

  /** The membership last recorded with an apply state, if any. */
  confState(regionId: number): ConfState | undefined {
    const v = this.view.get(Table.State, stateKey(regionId, StateKind.ConfState));
    return v ? decodeConfState(v) : undefined;
  }

  snapshotMeta(regionId: number): SnapshotMetadata | undefined {
    const v = this.view.get(Table.State, stateKey(regionId, StateKind.SnapshotMeta));
    return v ? decodeSnapshotMeta(v) : undefined;
  }

  regionMeta(regionId: number): Uint8Array | undefined {
    return this.view.get(Table.State, stateKey(regionId, StateKind.RegionMeta));
  }
}

/** Makes the snapshot the core asks for (the store builds it from the data engine). */
export type SnapshotSource = () => Snapshot;

/** RaftStorage for one region. */
export class RegionRaftStorage implements RaftStorage {
  private source: SnapshotSource | undefined;

  constructor(
    readonly regionId: number,
    private readonly log: RaftLogReader,
    private readonly state: RaftStateReader,
  ) {}

  /** Lets the store produce snapshots on demand (see snapshot()). */
  setSnapshotSource(source: SnapshotSource): void {
    this.source = source;
  }

  /**
   * Hard state, and the membership as of the applied index: from the apply state when an
   * applied entry changed it, else from the newest snapshot, else empty.
   */
  initialState(): InitialState {
    const confState =
      this.state.confState(this.regionId) ??
      this.state.snapshotMeta(this.regionId)?.confState ??
      NO_CONF_STATE;
    return { hardState: this.state.hardState(this.regionId) ?? EMPTY_HARD_STATE, confState };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.log.entries(this.regionId, lo, hi, maxBytes);
  }

  term(index: number): number {
    return this.log.term(this.regionId, index);
  }

  firstIndex(): number {
    return this.log.firstIndex(this.regionId);
  }

  lastIndex(): number {
    return this.log.lastIndex(this.regionId);
  }

  /**
   * The snapshot source's snapshot if one is set; otherwise the stored snapshot metadata (or
   * the truncation point) with empty data: the data travels as a range snapshot stream.
   */
  snapshot(): Snapshot {
    if (this.source) return this.source();
    const meta = this.state.snapshotMeta(this.regionId);
    if (meta) return { metadata: meta, data: new Uint8Array() };
    const t = this.log.logBounds(this.regionId).truncated;
    return {
      metadata: { index: t.index, term: t.term, confState: this.initialState().confState },
      data: new Uint8Array(),
    };
  }
}
