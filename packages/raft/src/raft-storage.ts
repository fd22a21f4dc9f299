/**
 * What the core reads from the host's durable log. The core never writes through this
 * interface: writes come back to the host as Ready.entries / Ready.hardState / Ready.snapshot,
 * and the host makes them durable and calls RawNode.persisted().
 *
 * All methods are synchronous (LMDB reads are). Errors are RaftErrors with codes
 * Compacted, Unavailable and SnapshotTemporarilyUnavailable.
 */

import type { ConfState, Entry, HardState, Snapshot } from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface RaftStorage {
  /** The persisted hard state and membership, read once when a peer starts. */
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most `maxBytes` in total but never fewer than one.
   * Throws Compacted if lo < firstIndex(), Unavailable if the log is empty there.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * The term of entry `index`. Valid from firstIndex()-1 (the term of the last compacted
   * entry or snapshot) to lastIndex(). Throws Compacted below, Unavailable above.
   */
  term(index: number): number;
  /** Index of the first entry still available (everything before is in a snapshot). */
  firstIndex(): number;
  lastIndex(): number;
  /** The newest snapshot. Throws SnapshotTemporarilyUnavailable while one is being made. */
  snapshot(): Snapshot;
}
