/**
 * What the leader knows of one follower's log (Raft §5.3 nextIndex/matchIndex) and how it
 * replicates to it:
 * - probe: one append at a time until the follower's log position is found;
 * - replicate: optimistic, many appends in flight within the window (pipelining);
 * - snapshot: a snapshot is on its way; appends wait for it.
 */

import { assert } from '../assert.js';
import { Inflights } from './inflights.js';

export enum ProgressState {
  Probe = 'probe',
  Replicate = 'replicate',
  Snapshot = 'snapshot',
}

export class Progress {
  /** Highest index known replicated on the follower. Invariant: match < next. */
  matchIndex = 0;
  /** Next index to send. */
  nextIndex: number;
  state: ProgressState = ProgressState.Probe;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Set on any message from the follower; check-quorum reads and clears it. */
  recentActive = false;
  /** In probe state: an append is out and unanswered, so send no more until it is. */
  paused = false;
  inflights: Inflights;
  isLearner: boolean;

  constructor(
    nextIndex: number,
    inflightMessagesMax: number,
    inflightBytesMax: number,
    isLearner: boolean,
  ) {
    this.nextIndex = nextIndex;
    this.inflights = new Inflights(inflightMessagesMax, inflightBytesMax);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.paused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // The snapshot may or may not have landed: probe from after it, never before match.
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.nextIndex = Math.max(this.matchIndex + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.nextIndex = this.matchIndex + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.nextIndex = this.matchIndex + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** The follower acknowledged `index`. Returns whether match advanced. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.matchIndex < index) {
      this.matchIndex = index;
      updated = true;
      this.paused = false;
    }
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    return updated;
  }

  /** Bookkeeping after sending an append of `entries` entries and `bytes` bytes. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.nextIndex += entries;
        this.inflights.add(this.nextIndex - 1, bytes);
      }
    } else if (this.state === ProgressState.Probe) {
      this.paused = true;
    } else {
      assert(false, `sending entries in state ${this.state}`);
    }
  }

  /**
   * The follower rejected an append at `rejected`; `matchHint` is where its log may match.
   * Returns false if the rejection is stale (already superseded).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.matchIndex) return false;
      // Pipelined appends went out past the mismatch: rewind to just after match.
      this.nextIndex = this.matchIndex + 1;
      return true;
    }
    // Probe: only the rejection of the append we sent counts.
    if (this.nextIndex - 1 !== rejected) return false;
    this.nextIndex = Math.max(Math.min(rejected, matchHint + 1), this.matchIndex + 1);
    this.paused = false;
    return true;
  }

  /** Whether sending appends to this follower must wait. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.paused;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  describe(): string {
    let s = `${this.state} match=${this.matchIndex} next=${this.nextIndex}`;
    if (this.isLearner) s += ' learner';
    if (this.paused) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.count > 0) s += ` inflight=${this.inflights.count}`;
    return s;
  }

  /**
   * A copy for a configuration change. The copy takes over the in-flight window: the old
   * Progress is discarded with the old configuration.
   */
  clone(): Progress {
    const p = new Progress(this.nextIndex, 1, 0, this.isLearner);
    p.inflights = this.inflights;
    p.matchIndex = this.matchIndex;
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.recentActive = this.recentActive;
    p.paused = this.paused;
    return p;
  }
}
