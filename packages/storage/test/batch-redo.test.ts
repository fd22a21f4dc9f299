/**
 * Batch redo records: a batch's recorded calls, replayed on the state it was first committed
 * to, give the same state, table by table; batches doing what cannot be recorded have no
 * record; a damaged record is refused, not half applied. WAL recovery: after a power loss
 * the engine gets back every logged batch it lost, stops at a batch only it could have made
 * durable, and never replays past that gap later. In memory.
 */

import { EntryType } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import { ALL_TABLES, type Backend } from '../src/backend.js';
import {
  encodeLoggedBatch,
  type MemoryStorageEngine,
  openMemoryEngine,
  recordingBatch,
  recoverFromWal,
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
      // The WAL mark (store-wide, region 0) is the log's bookkeeping, not the batches' state.
      if (!hex(kv.key).startsWith('0000000000000000'))
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
  batch.putRequestGroup(1, round + 1, b(`group${round}`));
  batch.deleteRequestGroup(1, round);
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

  it('the direct put and delete record exactly what the batch methods record', async () => {
    const engines = [openMemoryEngine(), openMemoryEngine()];
    const records: Uint8Array[] = [];
    for (const [i, engine] of engines.entries()) {
      const rec = recordingBatch(engine.batch());
      const put = i === 0 ? (k: string, v: string) => rec.batch.put(b(k), b(v)) : undefined;
      rec.batch.appendEntries(1, entries(1, 3, 1));
      if (put) put('a', '1');
      else rec.put(b('a'), b('1'));
      rec.batch.deleteRange(b('a'), b('b'));
      if (put) put('a', '2');
      else rec.put(b('a'), b('2'));
      if (put) rec.batch.delete(b('c'));
      else rec.delete(b('c'));
      await rec.batch.commit();
      records.push(rec.redo()!);
    }
    expect(records[1]).toEqual(records[0]);
    expect(dump(engines[1]!)).toEqual(dump(engines[0]!));
    const copy = openMemoryEngine();
    const replay = copy.batch();
    replayRedo(records[1]!, replay);
    await replay.commit();
    expect(dump(copy)).toEqual(dump(engines[1]!));
    expect(copy.get(b('a'))).toEqual(b('2'));
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

  it('recovery after a power loss replays every logged batch the engine lost', async () => {
    const reference = openMemoryEngine();
    const engine = openMemoryEngine();
    const wal: { payload: Uint8Array }[] = [];
    for (const e of [reference, engine]) {
      await e
        .batch()
        .applySnapshotPosition(1, 5, 5)
        .setHardState(1, { term: 5, vote: 0, commit: 5 })
        .commit();
    }
    for (let round = 0; round < 6; round++) {
      const seq = round + 1;
      const plain = reference.batch();
      storeLike(plain, round);
      await plain.commit();
      const rec = recordingBatch(engine.batch());
      storeLike(rec.batch, round);
      rec.batch.setWalMark(seq);
      // Round 2 is made durable by the engine; the others only by the log.
      if (round !== 2) rec.batch.durableInWal();
      await rec.batch.commit();
      wal.push({ payload: encodeLoggedBatch({ seq, redo: rec.redo()! }) });
    }
    expect(dump(engine)).toEqual(dump(reference));
    expect(await engine.simulatePowerLoss()).toBeGreaterThan(0);
    expect(engine.walMark()).toBe(3);
    expect(dump(engine)).not.toEqual(dump(reference));

    const recovered = await recoverFromWal(engine, wal);
    expect(recovered).toEqual({ replayed: 3, discarded: 0, mark: 6 });
    expect(dump(engine)).toEqual(dump(reference));
    // The replay itself is durable.
    await engine.simulatePowerLoss();
    expect(dump(engine)).toEqual(dump(reference));
    expect(await recoverFromWal(engine, wal)).toEqual({ replayed: 0, discarded: 0, mark: 6 });
  });

  it('recovery stops at a batch only the engine could make durable, and never replays past it later', async () => {
    const engine = openMemoryEngine();
    const logged = async (seq: number, key: string) => {
      const rec = recordingBatch(engine.batch());
      rec.batch.put(b(key), b('v')).setWalMark(seq);
      await rec.batch.requireSync().commit();
      return { payload: encodeLoggedBatch({ seq, redo: rec.redo()! }) };
    };
    const wal = [await logged(1, 'one')];
    // Seq 2 ingested a snapshot (no redo record) and was lost with the engine's state; seq 3
    // was logged after it and was never reported durable.
    wal.push({ payload: encodeLoggedBatch({ seq: 2 }) });
    wal.push({ payload: encodeLoggedBatch({ seq: 3, redo: recordedPut('three') }) });
    expect(await recoverFromWal(engine, wal)).toEqual({ replayed: 0, discarded: 2, mark: 3 });
    expect(engine.get(b('three'))).toBeUndefined();
    // The store goes on at seq 4; a crash before the engine flushes it replays only seq 4.
    wal.push({ payload: encodeLoggedBatch({ seq: 4, redo: recordedPut('four') }) });
    expect(await recoverFromWal(engine, wal)).toEqual({ replayed: 1, discarded: 0, mark: 4 });
    expect(engine.get(b('four'))).toBeDefined();
    expect(engine.get(b('three'))).toBeUndefined();
  });

  it('a missing record in the middle of the log is corruption, not something to skip', async () => {
    const engine = openMemoryEngine();
    const wal = [1, 3].map((seq) => ({
      payload: encodeLoggedBatch({ seq, redo: recordedPut(`k${seq}`) }),
    }));
    await expect(recoverFromWal(engine, wal)).rejects.toThrow(/WAL record 3 where 2 was expected/);
    expect(engine.walMark()).toBe(0);
  });
});

/** The redo record of a batch that puts one key. */
function recordedPut(key: string): Uint8Array {
  const rec = recordingBatch(openMemoryEngine().batch());
  rec.batch.put(b(key), b('v'));
  return rec.redo()!;
}
