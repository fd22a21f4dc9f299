/**
 * A store's write-ahead log over its storage engine (docs/write-path-plan.md): what one loop
 * iteration appends, and recovery.
 *
 * Each iteration's batch gets a sequence number. Its WAL record carries the sequence and the
 * batch's redo record (batch-redo.ts), or only the sequence when the batch could not be
 * recorded and the engine made it durable itself (a snapshot ingest). Every engine batch
 * writes its sequence as the WAL mark, so the engine's state says which records it includes.
 *
 * Recovery replays, in one durable engine batch, the records after the engine's mark, in
 * order, and stops at a record the engine itself should have made durable but lacks:
 * nothing after it was reported durable (the store reports batches durable in order), so
 * the rest is discarded. The new mark covers every record seen, so no later recovery
 * replays past such a gap.
 */

import { ByteReader, ByteWriter } from '../byte-codec.js';
import type { StorageEngine } from '../engine.js';
import { corruptError } from '../errors.js';
import { replayRedo } from './batch-redo.js';

const FORMAT_V1 = 1;

/** One loop iteration's batch as the WAL holds it. */
export interface LoggedBatch {
  readonly seq: number;
  /** The batch's redo record; absent when the engine made the batch durable itself. */
  readonly redo?: Uint8Array;
}

export function encodeLoggedBatch(b: LoggedBatch): Uint8Array {
  const w = new ByteWriter((b.redo?.length ?? 0) + 16).u8(FORMAT_V1).u64(b.seq);
  if (b.redo) w.u8(1).raw(b.redo);
  else w.u8(0);
  return w.finish();
}

export function decodeLoggedBatch(payload: Uint8Array): LoggedBatch {
  const r = new ByteReader(payload, 'WAL batch record');
  if (r.u8() !== FORMAT_V1) throw corruptError('WAL batch record format');
  const seq = r.u64();
  if (r.u8() === 0) {
    r.end();
    return { seq };
  }
  return { seq, redo: r.raw(r.remaining) };
}

export interface WalRecovery {
  /** Records replayed into the engine. */
  readonly replayed: number;
  /** Records after a gap the engine could not fill (never reported durable). */
  readonly discarded: number;
  /** The engine's WAL mark now; the store numbers its next batch mark + 1. */
  readonly mark: number;
}

/** Replays into `engine` the WAL records it lacks (call before anything reads the engine). */
export async function recoverFromWal(
  engine: StorageEngine,
  records: Iterable<{ readonly payload: Uint8Array }>,
): Promise<WalRecovery> {
  const start = engine.walMark();
  const batch = engine.batch().requireSync();
  let highest = start;
  let next = start + 1;
  let replayed = 0;
  let discarded = 0;
  let gap = false;
  for (const record of records) {
    const logged = decodeLoggedBatch(record.payload);
    highest = Math.max(highest, logged.seq);
    if (logged.seq <= start) continue;
    if (gap) {
      discarded++;
      continue;
    }
    if (logged.seq !== next) {
      throw corruptError(`WAL record ${logged.seq} where ${next} was expected`);
    }
    next++;
    if (!logged.redo) {
      gap = true;
      discarded++;
      continue;
    }
    replayRedo(logged.redo, batch);
    replayed++;
  }
  if (highest > start) {
    batch.setWalMark(highest);
    await batch.commit();
  }
  return { replayed, discarded, mark: highest };
}
