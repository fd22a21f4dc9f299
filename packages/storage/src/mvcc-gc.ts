/**
 * Garbage collection of old MVCC versions below a safe point (TiKV's GC rules): no
 * transaction reads below the safe point any more, so for each key only the newest version
 * at or below it matters, and only if it is a Put.
 *
 * For each key, versions newer than the safe point stay. Of the rest, newest first: Lock and
 * Rollback records are removed until the first Put or Delete; a Put is kept, a Delete is
 * removed; everything older is removed. A removed Put without a short value takes its
 * default-column value with it. Locks are never touched (resolving them is the transaction
 * layer's job). The work is bounded per call and resumable. Not here: choosing the safe point.
 */

import { type ReadView, Table } from './backend.js';
import { equalBytes } from './bytes.js';
import { decodeVersionKey, KeySpace, spaceRange } from './keys.js';
import { TIMESTAMP_BYTES } from './limits.js';
import { decodeWrite, WriteKind } from './mvcc-codec.js';
import type { WriteBatch } from './write-batch.js';

/** One bounded GC pass over user keys in [start, end) (empty end = unbounded). */
export interface GcOptions {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly safePoint: bigint;
  /** Stop after this many write-column entries examined (bounds the batch and the time). */
  readonly limit: number;
}

/** What a GC pass did, and where the next one continues. */
export interface GcResult {
  /** Write records removed (each possibly with its default-column value). */
  readonly versionsRemoved: number;
  /** Where to resume (a user key), or undefined when the range is done. */
  readonly next: Uint8Array | undefined;
}

/**
 * Adds the deletions of one GC pass to `batch` (commit it to take effect). A pass stops only
 * at a user-key boundary, so resuming at `next` never sees half a key.
 */
export function collectGarbage(view: ReadView, batch: WriteBatch, o: GcOptions): GcResult {
  const r = spaceRange(KeySpace.Write, o.start, o.end);
  let removed = 0;
  let examined = 0;
  let prefix: Uint8Array | undefined;
  // Per key: 'newer' while above the safe point, then 'seeking' until a Put/Delete, then 'drop'.
  let phase: 'seeking' | 'drop' = 'seeking';
  for (const { key, value } of view.scan(Table.Data, { start: r.start, end: r.end })) {
    const p = key.subarray(0, key.byteLength - TIMESTAMP_BYTES);
    const { userKey, ts } = decodeVersionKey(key);
    if (prefix === undefined || !equalBytes(p, prefix)) {
      if (examined >= o.limit) return { versionsRemoved: removed, next: userKey };
      prefix = p;
      phase = 'seeking';
    }
    examined++;
    if (ts > o.safePoint) continue;
    const record = decodeWrite(value);
    let remove = phase === 'drop';
    if (phase === 'seeking') {
      if (record.kind === WriteKind.Put) phase = 'drop';
      else if (record.kind === WriteKind.Delete) {
        phase = 'drop';
        remove = true;
      } else remove = true;
    }
    if (!remove) continue;
    batch.deleteWrite(userKey, ts);
    if (record.kind === WriteKind.Put && !record.shortValue) {
      batch.deleteDefault(userKey, record.startTs);
    }
    removed++;
  }
  return { versionsRemoved: removed, next: undefined };
}
