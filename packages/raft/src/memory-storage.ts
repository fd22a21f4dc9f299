/**
 * An in-memory RaftStorage for tests and the simulator. It mirrors what a durable log must
 * do; "persisting" to it is simply calling its mutators.
 */

import { assert } from './assert.js';
import { RaftError, RaftErrorCode } from './errors.js';
import type { InitialState, RaftStorage } from './raft-storage.js';
import { limitSize } from './sizes.js';
import {
  type ConfState,
  EMPTY_HARD_STATE,
  type Entry,
  EntryType,
  type HardState,
  type Snapshot,
} from './types.js';

export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
});

export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE }, data: new Uint8Array() };
}

export class MemoryStorage implements RaftStorage {
  hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = emptySnapshot();
  /**
   * Invariant: entries[0] is a placeholder for the last compacted entry (or the snapshot):
   * its index and term are real, its data is not. So entries[i].index === offset + i.
   */
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array() }];

  /**
   * A storage bootstrapped with membership `voters` (+ `learners`) as a snapshot at
   * `index`. With index 0 the log starts at 1, as in the Raft paper. Real hosts bootstrap
   * at an index >= 1: then a peer added later, whose log is empty, can never be fed the
   * log from its start (where it would lack the initial membership) and gets the snapshot.
   */
  static withVoters(voters: number[], learners: number[] = [], index = 0): MemoryStorage {
    const s = new MemoryStorage();
    const confState = { ...EMPTY_CONF_STATE, voters, learners };
    s.snap = { metadata: { index, term: index, confState }, data: new Uint8Array() };
    s.ents = [{ term: index, index, type: EntryType.Normal, data: new Uint8Array() }];
    if (index > 0) s.hardState = { term: index, vote: 0, commit: index };
    return s;
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): number {
    return this.ents[0]!.index;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offset) throw compacted(lo);
    assert(hi <= this.lastIndex() + 1, () => `entries hi ${hi} past last ${this.lastIndex()}`);
    if (this.ents.length === 1) throw unavailable(lo);
    return limitSize(this.ents.slice(lo - this.offset, hi - this.offset), maxBytes);
  }

  term(index: number): number {
    if (index < this.offset) throw compacted(index);
    const e = this.ents[index - this.offset];
    if (e === undefined) throw unavailable(index);
    return e.term;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  /**
   * Called when the core asks for a snapshot to send, so that the host can make a fresh
   * one first (a stale snapshot may predate a peer's membership and be refused by it).
   */
  onSnapshotRequest: (() => void) | undefined = undefined;

  snapshot(): Snapshot {
    this.onSnapshotRequest?.();
    return this.snap;
  }

  /** The newest snapshot held, without asking the host for a fresher one. */
  latestSnapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing one). */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) {
      throw new RaftError(RaftErrorCode.SnapshotOutOfDate, 'snapshot is out of date');
    }
    this.snap = snap;
    this.ents = [
      {
        term: snap.metadata.term,
        index: snap.metadata.index,
        type: EntryType.Normal,
        data: new Uint8Array(),
      },
    ];
  }

  /** Records a snapshot of the state machine at `index` (which must be applied already). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) {
      throw new RaftError(RaftErrorCode.SnapshotOutOfDate, 'snapshot is out of date');
    }
    assert(index <= this.lastIndex(), 'snapshot past the last index');
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Drops every entry up to and including `index`; it must be covered by a snapshot. */
  compact(index: number): void {
    if (index <= this.offset) throw compacted(index);
    assert(index <= this.lastIndex(), 'compact past the last index');
    const at = index - this.offset;
    const head = this.ents[at]!;
    this.ents = [
      { term: head.term, index: head.index, type: EntryType.Normal, data: new Uint8Array() },
      ...this.ents.slice(at + 1),
    ];
  }

  /** Appends entries, overwriting any conflicting suffix. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    const fresh = first > entries[0]!.index ? entries.slice(first - entries[0]!.index) : entries;
    const at = fresh[0]!.index - this.offset;
    assert(
      at <= this.ents.length,
      () => `missing log entry: last ${this.lastIndex()}, append at ${fresh[0]!.index}`,
    );
    // Appending at the end is the common case: push rather than copy the whole log.
    if (at < this.ents.length) this.ents.length = at;
    for (const e of fresh) this.ents.push(e);
  }
}

function compacted(index: number): RaftError {
  return new RaftError(RaftErrorCode.Compacted, `index ${index} is compacted`, { index });
}

function unavailable(index: number): RaftError {
  return new RaftError(RaftErrorCode.Unavailable, `index ${index} is unavailable`, { index });
}
