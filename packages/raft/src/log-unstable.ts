/**
 * The tail of the log that the host has not yet made durable: entries and possibly a
 * snapshot. Some of it may be "in progress" (handed out in a Ready, not yet reported
 * persisted); the rest is new.
 */

import { assert } from './assert.js';
import type { Entry, Snapshot } from './types.js';

export class UnstableLog {
  /** A snapshot being installed; it precedes `entries`. */
  snapshot: Snapshot | undefined = undefined;
  snapshotInProgress = false;
  entries: Entry[] = [];
  /** Invariant: entries[i].index === offset + i. */
  offset: number;
  /** Entries below this index have been handed to the host. Invariant: offset <= it <= last+1. */
  offsetInProgress: number;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index, if a snapshot is pending (else the stable log knows). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      return this.snapshot?.metadata.index === index ? this.snapshot.metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    if (this.entries.length === 0) return this.snapshot?.metadata.term;
    return this.entries[index - this.offset]?.term;
  }

  /** Entries not yet handed to the host. */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    return inProgress >= this.entries.length ? [] : this.entries.slice(inProgress);
  }

  nextSnapshot(): Snapshot | undefined {
    return this.snapshot && !this.snapshotInProgress ? this.snapshot : undefined;
  }

  /** Marks everything currently unstable as handed to the host. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot) this.snapshotInProgress = true;
  }

  /**
   * The host made entries up to (index, term) durable. If the entry at `index` has been
   * replaced meanwhile (another term), the report is stale and ignored.
   */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || t !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot?.metadata.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
  }

  truncateAndAppend(entries: readonly Entry[]): void {
    const from = entries[0]!.index;
    if (from === this.offset + this.entries.length) {
      this.entries = this.entries.concat(entries);
    } else if (from <= this.offset) {
      // Replaces everything unstable; nothing of it can be in progress any more.
      this.offset = from;
      this.offsetInProgress = from;
      this.entries = entries.slice();
    } else {
      this.entries = this.entries.slice(0, from - this.offset).concat(entries);
      this.offsetInProgress = Math.min(this.offsetInProgress, from);
    }
  }

  /** Entries in [lo, hi); the caller checks the bounds against the whole log. */
  slice(lo: number, hi: number): Entry[] {
    assert(
      lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi,
      () =>
        `unstable slice [${lo},${hi}) out of [${this.offset},${this.offset + this.entries.length})`,
    );
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
