/**
 * A peer's whole log: the durable part behind RaftStorage and the unstable tail, with the
 * committed, applying and applied indexes. Invariant: applied <= applying <= committed <=
 * lastIndex, and committed never decreases.
 */

import { assert } from './assert.js';
import { isRaftError, RaftError, RaftErrorCode } from './errors.js';
import { UnstableLog } from './log-unstable.js';
import type { RaftStorage } from './raft-storage.js';
import { entriesBytes, limitSize } from './sizes.js';
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  readonly unstable: UnstableLog;
  committed: number;
  /** Highest index handed to the host for applying. */
  applying: number;
  /** Highest index the host reported applied. */
  applied: number;
  /**
   * With `storedSeparately`: the last index the host reported durable (persisted), whether
   * or not its storage shows it yet. Otherwise unused: durable means stored.
   */
  private durableLast: number;

  constructor(
    readonly storage: RaftStorage,
    /** Cap on the committed entries handed out in one Ready. */
    readonly maxApplyingBytes: number,
    /** The host reports entries durable (persisted) and readable from storage (stored) apart. */
    readonly storedSeparately = false,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
    this.durableLast = last;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The last index the storage shows (everything before the unstable tail). */
  stableLastIndex(): number {
    return this.unstable.offset - 1;
  }

  /** The last index known durable: counted in our own match index, and applicable. */
  durableLastIndex(): number {
    if (!this.storedSeparately) return this.stableLastIndex();
    return Math.min(this.durableLast, this.lastIndex());
  }

  /** The host made entries up to (index, term) durable; a stale report (overwritten) is ignored. */
  markDurable(index: number, term: number): void {
    if (index > this.durableLast && this.termOrZero(index) === term) this.durableLast = index;
  }

  /** Throws Compacted or Unavailable when `index` is out of the log. */
  term(index: number): number {
    const t = this.unstable.maybeTerm(index);
    if (t !== undefined) return t;
    if (index + 1 < this.firstIndex()) {
      throw new RaftError(RaftErrorCode.Compacted, `index ${index} is compacted`, { index });
    }
    if (index > this.lastIndex()) {
      throw new RaftError(RaftErrorCode.Unavailable, `index ${index} is unavailable`, { index });
    }
    return this.storage.term(index);
  }

  /** The term at `index`, or 0 where the log does not reach (for hints and comparisons). */
  termOrZero(index: number): number {
    // Out of range is the common case on followers (every new entry): answer it without
    // building an Error and its stack, which cost a fifth of a follower's CPU.
    if (index > this.lastIndex() || index + 1 < this.firstIndex()) return 0;
    try {
      return this.term(index);
    } catch (e) {
      if (isRaftError(e, RaftErrorCode.Compacted) || isRaftError(e, RaftErrorCode.Unavailable)) {
        return 0;
      }
      throw e;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(index: number, term: number): boolean {
    // As termOrZero: no exception for the common out-of-range case.
    if (index > this.lastIndex() || index + 1 < this.firstIndex()) return false;
    try {
      return this.term(index) === term;
    } catch (e) {
      if (isRaftError(e)) return false;
      throw e;
    }
  }

  /**
   * Raft §5.3: append `entries` after (index, logTerm) if the log matches there. Returns the
   * index of the last new entry, or undefined when the log does not match.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(
        conflict > this.committed,
        () => `entry ${conflict} conflicts with committed ${this.committed}`,
      );
      this.append(entries.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    assert(
      after >= this.committed,
      () => `append after ${after} is below committed ${this.committed}`,
    );
    // Entries from here on are replaced: what was durable of them no longer counts.
    this.durableLast = Math.min(this.durableLast, after);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** The first entry whose term differs from ours (or that we lack), or 0 if none. */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The last index <= `index` whose term is <= `term`, and that term. Used on both sides of
   * a rejected append to skip a whole conflicting term at once (fast back-off, Raft §5.3).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      let t: number;
      try {
        t = this.term(i);
      } catch (e) {
        if (isRaftError(e)) return { index: i, term: 0 };
        throw e;
      }
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  commitTo(index: number): void {
    if (this.committed >= index) return;
    assert(
      index <= this.lastIndex(),
      () => `commit ${index} is past the last index ${this.lastIndex()}`,
    );
    this.committed = index;
  }

  /** Raft §5.4.2: only an entry of the current term is committed by counting replicas. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.termOrZero(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    assert(
      index <= this.committed && index >= this.applied,
      () => `applied ${index} outside [${this.applied}, ${this.committed}]`,
    );
    this.applied = index;
    this.applying = Math.max(this.applying, index);
  }

  acceptApplying(index: number): void {
    assert(index <= this.committed, 'applying past committed');
    this.applying = index;
  }

  /** Highest committed index that may be handed out: only durable entries are applied. */
  private maxApplicableIndex(): number {
    return Math.min(this.committed, this.durableLastIndex());
  }

  hasNextCommittedEntries(): boolean {
    if (this.hasNextOrInProgressSnapshot()) return false;
    return this.applying < this.maxApplicableIndex();
  }

  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    return this.slice(this.applying + 1, this.maxApplicableIndex() + 1, this.maxApplyingBytes);
  }

  hasNextUnstableEntries(): boolean {
    return this.unstable.offsetInProgress < this.unstable.offset + this.unstable.entries.length;
  }

  nextUnstableEntries(): Entry[] {
    return this.unstable.nextEntries();
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /** The snapshot to send a lagging follower. May throw SnapshotTemporarilyUnavailable. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    // Durable again once the host reports the snapshot persisted (markSnapshotDurable).
    this.durableLast = Math.min(this.durableLast, snapshot.metadata.index);
    this.unstable.restore(snapshot);
  }

  /** The host made a snapshot durable (and, by the host contract, stored). */
  markSnapshotDurable(index: number): void {
    if (index > this.durableLast && this.firstIndex() - 1 <= index && index <= this.lastIndex())
      this.durableLast = index;
  }

  /** Entries from `index` on, at most `maxBytes` (but at least one). */
  entries(index: number, maxBytes: number): Entry[] {
    if (index > this.lastIndex()) return [];
    return this.slice(index, this.lastIndex() + 1, maxBytes);
  }

  /** Entries in [lo, hi) limited to `maxBytes`; throws Compacted below the first index. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo === hi) return [];
    if (lo < this.firstIndex()) {
      throw new RaftError(RaftErrorCode.Compacted, `index ${lo} is compacted`, { index: lo });
    }
    assert(lo < hi && hi <= this.lastIndex() + 1, () => `slice [${lo},${hi}) out of bounds`);
    const offset = this.unstable.offset;
    let result: Entry[] = [];
    if (lo < offset) {
      result = this.storage.entries(lo, Math.min(hi, offset), maxBytes);
      // Storage returned less than asked: the byte cap was hit, stop here.
      if (result.length < Math.min(hi, offset) - lo) return result;
    }
    if (hi > offset) {
      const tail = this.unstable.slice(Math.max(lo, offset), hi);
      result = result.length > 0 ? result.concat(tail) : tail;
    }
    return limitSize(result, maxBytes);
  }

  /** Every entry in the log; for tests and checkers. */
  allEntries(): Entry[] {
    const first = this.firstIndex();
    const last = this.lastIndex();
    return first > last ? [] : this.slice(first, last + 1, Number.POSITIVE_INFINITY);
  }

  describe(): string {
    return (
      `committed=${this.committed} applied=${this.applied} applying=${this.applying} ` +
      `unstable.offset=${this.unstable.offset} len=${this.unstable.entries.length} ` +
      `bytes=${entriesBytes(this.unstable.entries)}`
    );
  }
}
