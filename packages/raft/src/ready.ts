/**
 * A Ready is everything one peer asks of its host at one point: what to persist, what to
 * send (now, or only after persisting), what to apply. Readys are numbered; the host
 * reports them durable in order with RawNode.persisted(number).
 */

import type { Entry, HardState, Message, ReadState, Snapshot, SoftState } from './types.js';

export interface Ready {
  /** Increases by one per Ready. */
  readonly number: number;
  /** Set when leader or role changed since the last Ready. Never persisted. */
  readonly softState?: SoftState;
  /** Set when term, vote or commit changed: persist it. */
  readonly hardState?: HardState;
  /** Append to the log (overwriting any conflicting suffix), then persist. */
  readonly entries: readonly Entry[];
  /** Install in the state machine and the log, then persist. */
  readonly snapshot?: Snapshot;
  /** Safe to send now, even before this Ready is durable (e.g. a leader's appends). */
  readonly messages: readonly Message[];
  /** Send only after this Ready (and every earlier one) is durable: votes, append acks. */
  readonly messagesAfterPersist: readonly Message[];
  /**
   * Committed entries to apply, in order. They are already durable locally. Apply, then
   * report with RawNode.applied(index).
   */
  readonly committedEntries: readonly Entry[];
  /** Linearizable read points (answers to readIndex()). */
  readonly readStates: readonly ReadState[];
  /** Whether persisting needs an fsync (false when only the commit index moved). */
  readonly mustSync: boolean;
}
