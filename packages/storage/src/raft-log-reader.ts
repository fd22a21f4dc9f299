/**
 * Synchronous reads of every region's Raft log, with a small per-region cache of the log's
 * bounds (first and last index, last term, truncation point) so that the Raft core's hot
 * calls (lastIndex, firstIndex, term of the last entry) cost no lookup.
 *
 * The cache holds committed state only. When a batch that appended to a region's log commits,
 * the engine moves the cached last index with two point reads (appended()); any other change
 * to the log (compaction, snapshot, removal) drops the entry, reloaded (two cursor seeks) on
 * next use. Entries the host
 * appended but has not committed yet are not here: the Raft core holds them in its unstable
 * log until persisted() (raft-log.ts), and it reads storage only below that.
 *
 * Errors are the Raft core's: Compacted below the log, Unavailable above it. A hole inside
 * the log is STORAGE_ERR_CORRUPT. Not here: writes (write-batch.ts).
 */

import { type Entry, entryBytes, RaftError, RaftErrorCode } from '@atoll/raft';
import { type ReadView, Table } from './backend.js';
import { corruptError } from './errors.js';
import { logKey, logKeyEnd, logKeyIndex, StateKind, stateKey } from './keys.js';
import {
  decodeEntryValue,
  decodeTruncatedState,
  entryValueTerm,
  type TruncatedState,
} from './raft-codec.js';

/** The bounds of one region's log. Invariant: first = truncated.index + 1 <= last + 1. */
export interface LogBounds {
  readonly first: number;
  readonly last: number;
  /** Term of entry `last` (the truncated term when the log is empty). */
  readonly lastTerm: number;
  readonly truncated: TruncatedState;
}

function compacted(index: number): RaftError {
  return new RaftError(RaftErrorCode.Compacted, `index ${index} is compacted`, { index });
}

function unavailable(index: number): RaftError {
  return new RaftError(RaftErrorCode.Unavailable, `index ${index} is unavailable`, { index });
}

/** Log reads for every region of one engine. */
export class RaftLogReader {
  /** One small record per region hosted; dropped when the region's log changes. */
  private readonly bounds = new Map<number, LogBounds>();

  constructor(private readonly view: ReadView) {}

  /** Forgets cached bounds (after a commit touched these regions' logs). */
  invalidate(regionIds: Iterable<number>): void {
    for (const r of regionIds) this.bounds.delete(r);
  }

  /**
   * A committed batch appended entries up to `last`. Appends move neither the first index nor
   * the truncation point, so only the tail is checked against storage: `last` is still the
   * last entry unless a later batch, visible already, rewrote or extended the log (then the
   * entry is reloaded on next use).
   */
  appended(regionId: number, last: number): void {
    const b = this.bounds.get(regionId);
    if (b === undefined) return;
    const v = last >= b.first ? this.view.get(Table.Log, logKey(regionId, last)) : undefined;
    if (v === undefined || this.view.get(Table.Log, logKey(regionId, last + 1)) !== undefined) {
      this.bounds.delete(regionId);
      return;
    }
    this.bounds.set(regionId, { ...b, last, lastTerm: entryValueTerm(v) });
  }

  /** Forgets every cached bound. */
  invalidateAll(): void {
    this.bounds.clear();
  }

  /** The region's log bounds (cached). */
  logBounds(regionId: number): LogBounds {
    let b = this.bounds.get(regionId);
    if (b === undefined) {
      b = this.load(regionId);
      this.bounds.set(regionId, b);
    }
    return b;
  }

  private load(regionId: number): LogBounds {
    const tv = this.view.get(Table.State, stateKey(regionId, StateKind.Truncated));
    const truncated = tv ? decodeTruncatedState(tv) : { index: 0, term: 0 };
    const range = { start: logKey(regionId, 0), end: logKeyEnd(regionId), limit: 1 };
    let firstKey: Uint8Array | undefined;
    for (const { key } of this.view.scan(Table.Log, { ...range, keysOnly: true })) firstKey = key;
    if (firstKey === undefined) {
      return {
        first: truncated.index + 1,
        last: truncated.index,
        lastTerm: truncated.term,
        truncated,
      };
    }
    const first = logKeyIndex(firstKey);
    if (first !== truncated.index + 1) {
      throw corruptError(
        `region ${regionId}: log starts at ${first}, truncated at ${truncated.index}`,
        { regionId },
      );
    }
    let last = first;
    let lastTerm = 0;
    for (const { key, value } of this.view.scan(Table.Log, { ...range, reverse: true })) {
      last = logKeyIndex(key);
      lastTerm = entryValueTerm(value);
    }
    return { first, last, lastTerm, truncated };
  }

  firstIndex(regionId: number): number {
    return this.logBounds(regionId).first;
  }

  lastIndex(regionId: number): number {
    return this.logBounds(regionId).last;
  }

  /** Term of entry `index`; valid from firstIndex - 1 to lastIndex. */
  term(regionId: number, index: number): number {
    const b = this.logBounds(regionId);
    if (index === b.truncated.index) return b.truncated.term;
    if (index < b.truncated.index) throw compacted(index);
    if (index > b.last) throw unavailable(index);
    if (index === b.last) return b.lastTerm;
    const v = this.view.get(Table.Log, logKey(regionId, index));
    if (v === undefined)
      throw corruptError(`region ${regionId}: entry ${index} missing`, { regionId });
    return entryValueTerm(v);
  }

  /** Entries in [lo, hi), at most `maxBytes` in total but never fewer than one. */
  entries(regionId: number, lo: number, hi: number, maxBytes: number): Entry[] {
    const b = this.logBounds(regionId);
    if (lo < b.first) throw compacted(lo);
    if (b.first > b.last || hi > b.last + 1) throw unavailable(Math.min(hi, b.last + 1));
    const out: Entry[] = [];
    let size = 0;
    for (const { key, value } of this.view.scan(Table.Log, {
      start: logKey(regionId, lo),
      end: logKey(regionId, hi),
    })) {
      const index = logKeyIndex(key);
      if (index !== lo + out.length) {
        throw corruptError(`region ${regionId}: entry ${lo + out.length} missing`, { regionId });
      }
      const e = decodeEntryValue(index, value);
      size += entryBytes(e);
      if (out.length > 0 && size > maxBytes) return out;
      out.push(e);
    }
    if (out.length !== hi - lo) {
      throw corruptError(`region ${regionId}: entry ${lo + out.length} missing`, { regionId });
    }
    return out;
  }
}
