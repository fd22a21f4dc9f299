/**
 * Batch redo records: a batch's recorded calls, replayed on the state it was first committed
 * to, give the same state, table by table; batches doing what cannot be recorded have no
 * record; a damaged record is refused, not half applied. In memory, seeded.
 */

import { EntryType } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import { ALL_TABLES, type Backend } from '../src/backend.js';
import {
  type MemoryStorageEngine,
  openMemoryEngine,
  recordingBatch,
  replayRedo,
  type WriteBatch,
} from '../src/index.js';

const b = (s: string) => new TextEncoder().encode(s);

/** Every pair of every table, as text, to compare two engines. */
function dump(engine: MemoryStorageEngine): string[] {
  // The backend is internal to the engine; tests may look.
  const backend = (engine as unknown as { backend: Backend }).backend;
  const everything = { start: new Uint8Array(), end: new Uint8Array(9).fill(0xff) };
  const out: string[] = [];
  for (const table of ALL_TABLES) {
    for (const kv of backend.scan(table, everything)) {
      const hex = (x: Uint8Array) => Buffer.from(x).toString('hex');
      out.push(`${table} ${hex(kv.key)}=${hex(kv.value)}`);
    }
  }
  return out;
}

const entries = (from: number, n: number, term: number) =>
  Array.from({ length: n }, (_, i) => ({
    index: from + i,
    term,
    type: i % 5 === 4 ? EntryType.ConfChange : EntryType.Normal,
    data: b(`e${from + i}`),
  }));

/** What a store's loop iteration writes, in varied shapes. */
function storeLike(batch: WriteBatch, round: number): void {
  batch.appendEntries(1, entries(6 + round * 10, 10, 6 + round));
  batch.setHardState(1, { term: 6 + round, vote: 3, commit: 5 + round * 10 }, round % 2 === 0);
  batch.put(b(`k${round}`), b(`v${round}`));
  batch.put(b(`k${round}x`), b(`w${round}`));
  batch.delete(b(`k${round - 1}`));
  batch.deleteRange(b('k0x'), b('k1'));
  batch.setApplyState(1, { appliedIndex: 5 + round * 10 });
  batch.setApplyState(2, {
    appliedIndex: 9,
    confState: {
      voters: [1, 2],
      votersOutgoing: [],
      learners: [3],
      learnersNext: [],
      autoLeave: false,
    },
  });
  batch.setRegionMeta(2, b(`meta${round}`));
  batch.putRequestRecord(1, b(`req${round}`), b('outcome'));
  batch.deleteRequestRecord(1, b(`req${round - 1}`));
  if (round === 2) {
    batch.compactLog(1, 12);
    batch.applySnapshotPosition(3, 20, 4);
    batch.clearRequestRecords(2);
    batch.clearRange(b('k1'), b('k2'));
  }
  if (round === 3) batch.destroyRegionLog(3);
}

describe('batch redo records', () => {
  it('replaying the records of several batches gives the same tables', async () => {
    const original = openMemoryEngine();
    const copy = openMemoryEngine();
    // The same starting state on both.
    for (const e of [original, copy]) {
      await e
        .batch()
        .applySnapshotPosition(1, 5, 5)
        .setHardState(1, { term: 5, vote: 0, commit: 5 })
        .commit();
    }
    for (let round = 0; round < 4; round++) {
      const rec = recordingBatch(original.batch());
      storeLike(rec.batch, round);
      await rec.batch.commit();
      const record = rec.redo();
      expect(record).toBeDefined();
      const replay = copy.batch();
      replayRedo(record!, replay);
      await replay.commit();
      expect(dump(copy)).toEqual(dump(original));
    }
    expect(dump(original).length).toBeGreaterThan(20);
  });

  it('a batch that does what a record cannot carry has none', () => {
    const engine = openMemoryEngine();
    const rec = recordingBatch(engine.batch());
    rec.batch.put(b('a'), b('1'));
    expect(rec.redo()).toBeDefined();
    rec.batch.installStagedSnapshot(1, b(''), b(''));
    expect(rec.redo()).toBeUndefined();
  });

  it('a damaged record is refused before anything reaches the batch', () => {
    const engine = openMemoryEngine();
    const rec = recordingBatch(engine.batch());
    rec.batch.put(b('key'), b('value')).appendEntries(1, entries(1, 3, 1));
    const record = rec.redo()!;
    for (const cut of [3, 5, record.length - 1]) {
      const target = engine.batch();
      expect(() => replayRedo(record.subarray(0, cut), target)).toThrow(/corrupt|redo/i);
      expect(target.size).toBe(0);
    }
    const unknown = Uint8Array.from([1, 99]);
    expect(() => replayRedo(unknown, engine.batch())).toThrow(/unknown operation/);
  });
});
