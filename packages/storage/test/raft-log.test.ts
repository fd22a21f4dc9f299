/**
 * The Raft log engine's semantics on both engines: appends and reads, byte limits, conflicting
 * suffixes, many regions in one batch, compaction, snapshot positions, state records, which
 * batches wait for the disk, pipelined commits, and range edge cases.
 */

import { type Entry, EntryType, isRaftError, RaftErrorCode } from '@atoll/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, ENGINES } from './engines.js';

afterEach(closeAll);

function ents(from: number, to: number, term: number, tag = ''): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) {
    out.push({
      index: i,
      term,
      type: EntryType.Normal,
      data: new TextEncoder().encode(`${tag}${i}`),
    });
  }
  return out;
}

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isRaftError(e) ? e.code : String(e);
  }
}

describe.each(ENGINES)('raft log engine ($name)', (factory) => {
  it('starts empty: first 1, last 0, term(0) = 0, no entries', () => {
    const st = factory.open().raftStorage(1);
    expect(st.firstIndex()).toBe(1);
    expect(st.lastIndex()).toBe(0);
    expect(st.term(0)).toBe(0);
    expect(code(() => st.term(1))).toBe(RaftErrorCode.Unavailable);
    expect(code(() => st.entries(1, 1, 100))).toBe(RaftErrorCode.Unavailable);
    expect(st.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
  });

  it('appends, reads entries and terms back, and is invisible until committed', async () => {
    const e = factory.open();
    const st = e.raftStorage(7);
    const batch = e.batch().appendEntries(7, ents(1, 5, 2));
    expect(batch.mustSync).toBe(true);
    const pending = batch.commit();
    expect(st.lastIndex()).toBe(0);
    expect((await pending).durability).toBe('durable');
    expect(st.firstIndex()).toBe(1);
    expect(st.lastIndex()).toBe(5);
    expect(st.term(5)).toBe(2);
    expect(st.term(3)).toBe(2);
    expect(st.entries(2, 5, Number.POSITIVE_INFINITY).map((x) => x.index)).toEqual([2, 3, 4]);
    const got = st.entries(1, 6, Number.POSITIVE_INFINITY);
    expect(got).toEqual(ents(1, 5, 2));
  });

  it('limits entries by bytes but always returns at least one', async () => {
    const e = factory.open();
    await e
      .batch()
      .appendEntries(1, ents(1, 10, 1))
      .commit();
    const st = e.raftStorage(1);
    // Each entry is 1-2 data bytes + 24 bytes of overhead (sizes.ts).
    expect(st.entries(1, 11, 0)).toHaveLength(1);
    expect(st.entries(1, 11, 50)).toHaveLength(2);
    expect(st.entries(1, 11, 1_000)).toHaveLength(10);
  });

  it('overwrites a conflicting suffix and drops everything after it', async () => {
    const e = factory.open();
    const st = e.raftStorage(3);
    await e
      .batch()
      .appendEntries(3, ents(1, 10, 1))
      .commit();
    await e
      .batch()
      .appendEntries(3, ents(6, 7, 2, 'b'))
      .commit();
    expect(st.lastIndex()).toBe(7);
    expect(st.term(7)).toBe(2);
    expect(st.term(5)).toBe(1);
    expect(code(() => st.term(8))).toBe(RaftErrorCode.Unavailable);
    expect(st.entries(5, 8, 1e9).map((x) => x.term)).toEqual([1, 2, 2]);
  });

  it('keeps regions apart in one batch, in any order', async () => {
    const e = factory.open();
    const batch = e.batch();
    for (const r of [5, 1, 300, 2]) batch.appendEntries(r, ents(1, (r % 7) + 1, r));
    await batch.commit();
    for (const r of [5, 1, 300, 2]) {
      const st = e.raftStorage(r);
      expect(st.lastIndex()).toBe((r % 7) + 1);
      expect(st.term(1)).toBe(r);
    }
    expect(e.raftStorage(4).lastIndex()).toBe(0);
  });

  it('compacts: first index moves, term(first - 1) is kept, reads below throw Compacted', async () => {
    const e = factory.open();
    const st = e.raftStorage(1);
    await e
      .batch()
      .appendEntries(1, ents(1, 4, 1))
      .appendEntries(1, ents(5, 9, 3))
      .commit();
    const batch = e.batch().compactLog(1, 5);
    expect(batch.mustSync).toBe(false);
    await batch.commit();
    expect(st.firstIndex()).toBe(6);
    expect(st.lastIndex()).toBe(9);
    expect(st.term(5)).toBe(3);
    expect(code(() => st.term(4))).toBe(RaftErrorCode.Compacted);
    expect(code(() => st.entries(5, 7, 1e9))).toBe(RaftErrorCode.Compacted);
    expect(st.entries(6, 10, 1e9).map((x) => x.index)).toEqual([6, 7, 8, 9]);
    expect(e.truncatedState(1)).toEqual({ index: 5, term: 3 });
    // Compacting the whole log leaves it empty but positioned.
    await e.batch().compactLog(1, 9).commit();
    expect(st.firstIndex()).toBe(10);
    expect(st.lastIndex()).toBe(9);
    expect(st.term(9)).toBe(3);
    // A stale compaction is a no-op.
    await e.batch().compactLog(1, 3).commit();
    expect(st.firstIndex()).toBe(10);
    await e
      .batch()
      .appendEntries(1, ents(10, 11, 4))
      .commit();
    expect(st.entries(10, 12, 1e9).map((x) => x.term)).toEqual([4, 4]);
  });

  it('a snapshot position replaces the log', async () => {
    const e = factory.open();
    const st = e.raftStorage(2);
    await e
      .batch()
      .appendEntries(2, ents(1, 5, 1))
      .commit();
    await e
      .batch()
      .applySnapshotPosition(2, 20, 4)
      .setSnapshotMeta(2, {
        index: 20,
        term: 4,
        confState: {
          voters: [1, 2, 3],
          votersOutgoing: [],
          learners: [4],
          learnersNext: [],
          autoLeave: false,
        },
      })
      .setHardState(2, { term: 4, vote: 0, commit: 20 })
      .commit();
    expect(st.firstIndex()).toBe(21);
    expect(st.lastIndex()).toBe(20);
    expect(st.term(20)).toBe(4);
    expect(code(() => st.term(5))).toBe(RaftErrorCode.Compacted);
    expect(st.snapshot().metadata.index).toBe(20);
    expect(st.initialState()).toEqual({
      hardState: { term: 4, vote: 0, commit: 20 },
      confState: {
        voters: [1, 2, 3],
        votersOutgoing: [],
        learners: [4],
        learnersNext: [],
        autoLeave: false,
      },
    });
  });

  it('refuses an append that would leave a hole, writing nothing of the batch', async () => {
    const e = factory.open();
    await e
      .batch()
      .appendEntries(1, ents(1, 3, 1))
      .commit();
    const bad = e
      .batch()
      .put(new Uint8Array([1]), new Uint8Array([1]))
      .appendEntries(1, ents(5, 6, 1));
    await expect(bad.commit()).rejects.toThrow(/does not continue the log/);
    expect(e.raftStorage(1).lastIndex()).toBe(3);
    expect(e.get(new Uint8Array([1]))).toBeUndefined();
  });

  it('stores hard state, apply state, region meta and lists regions', async () => {
    const e = factory.open();
    const confState = {
      voters: [1],
      votersOutgoing: [],
      learners: [],
      learnersNext: [],
      autoLeave: false,
    };
    await e
      .batch()
      .setHardState(9, { term: 3, vote: 2, commit: 7 })
      .setApplyState(9, { appliedIndex: 6, confState })
      .setRegionMeta(4, new Uint8Array([1, 2, 3]))
      .setApplyState(12, { appliedIndex: 1 })
      .commit();
    expect(e.hardState(9)).toEqual({ term: 3, vote: 2, commit: 7 });
    expect(e.applyState(9)).toEqual({ appliedIndex: 6, confState });
    expect(e.applyState(12)).toEqual({ appliedIndex: 1 });
    expect(e.regionMeta(4)).toEqual(new Uint8Array([1, 2, 3]));
    expect(e.regionIds()).toEqual([4, 9, 12]);
    expect(e.raftStorage(9).initialState().confState).toEqual(confState);
    await e.batch().destroyRegionLog(9).commit();
    expect(e.regionIds()).toEqual([4, 12]);
    expect(e.hardState(9)).toBeUndefined();
  });

  it('a batch of applied data and apply state alone does not wait for the disk', async () => {
    const e = factory.open();
    const batch = e
      .batch()
      .put(new Uint8Array([1]), new Uint8Array([2]))
      .setApplyState(1, { appliedIndex: 1 });
    expect(batch.mustSync).toBe(false);
    expect((await batch.commit()).durability).toBe('visible');
    // A hard state whose term and vote did not change (Ready.mustSync false) need not wait.
    const commitOnly = e.batch().setHardState(1, { term: 1, vote: 0, commit: 1 }, false);
    expect(commitOnly.mustSync).toBe(false);
    await commitOnly.commit();
    expect(e.hardState(1)?.commit).toBe(1);
    const forced = e
      .batch()
      .put(new Uint8Array([1]), new Uint8Array([3]))
      .requireSync();
    expect((await forced.commit()).durability).toBe('durable');
  });

  it('a failing batch among pipelined ones rolls back alone', async () => {
    const e = factory.open();
    const k = (x: number) => Uint8Array.of(x);
    const first = e
      .batch()
      .put(k(1), k(1))
      .appendEntries(1, ents(1, 2, 1))
      .commit();
    const bad = e
      .batch()
      .put(k(2), k(2))
      .appendEntries(1, ents(9, 9, 1))
      .commit();
    const third = e
      .batch()
      .put(k(3), k(3))
      .appendEntries(1, ents(3, 3, 1))
      .commit();
    await first;
    await expect(bad).rejects.toThrow(/does not continue the log/);
    await third;
    expect([e.get(k(1)), e.get(k(2)), e.get(k(3))]).toEqual([k(1), undefined, k(3)]);
    expect(e.raftStorage(1).lastIndex()).toBe(3);
  });

  it('cached log bounds follow pipelined appends, a rewrite and a compaction', async () => {
    const e = factory.open();
    const st = e.raftStorage(3);
    await e
      .batch()
      .appendEntries(3, ents(1, 10, 1))
      .commit();
    expect(st.lastIndex()).toBe(10); // cached now
    const extend = e
      .batch()
      .appendEntries(3, ents(11, 12, 1))
      .commit();
    // A new leader's entries replace the suffix from 6 (both batches in flight at once).
    const rewrite = e
      .batch()
      .appendEntries(3, ents(6, 7, 2))
      .commit();
    await extend;
    // The cache shows the log as of the last batch resolved, or a later one already visible.
    expect([7, 12]).toContain(st.lastIndex());
    await rewrite;
    expect(st.firstIndex()).toBe(1);
    expect(st.lastIndex()).toBe(7);
    expect(st.term(7)).toBe(2);
    expect(code(() => st.term(8))).toBe(RaftErrorCode.Unavailable);
    await e
      .batch()
      .compactLog(3, 4)
      .appendEntries(3, ents(8, 9, 2))
      .commit();
    expect([st.firstIndex(), st.lastIndex(), st.term(9)]).toEqual([5, 9, 2]);
  });

  it('pipelined batches commit in call order', async () => {
    const e = factory.open();
    const commits: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      commits.push(
        e
          .batch()
          .appendEntries(1, ents(i, i, 1))
          .setHardState(1, { term: 1, vote: 0, commit: i })
          .commit(),
      );
    }
    await Promise.all(commits);
    expect(e.raftStorage(1).lastIndex()).toBe(20);
    expect(e.hardState(1)?.commit).toBe(20);
  });
});

describe.each(ENGINES)('range edge cases ($name)', (factory) => {
  it('an inverted or empty range is empty in every scan', async () => {
    const e = factory.open();
    const k = (x: number) => Uint8Array.of(x);
    await e.batch().put(k(1), k(1)).put(k(2), k(2)).put(k(3), k(3)).commit();
    for (const reverse of [false, true]) {
      expect(e.scan({ start: k(3), end: k(1), reverse })).toEqual([]);
      expect(e.scan({ start: k(2), end: k(2), reverse })).toEqual([]);
      expect(e.scan({ start: k(1), end: k(3), reverse, limit: 0 })).toEqual([]);
      expect(e.mvcc.scan({ start: k(3), end: k(1), readTs: 5n, reverse })).toEqual({
        kind: 'pairs',
        pairs: [],
      });
    }
    expect(e.scan({ start: k(1), end: k(3), reverse: true }).map((p) => p.key[0])).toEqual([2, 1]);
  });
});

describe.each(ENGINES)('apply state and membership ($name)', (factory) => {
  it('the membership set with an apply state stays until set again', async () => {
    const e = factory.open();
    const cs = (voters: number[]) => ({
      voters,
      votersOutgoing: [],
      learners: [],
      learnersNext: [],
      autoLeave: false,
    });
    await e
      .batch()
      .setSnapshotMeta(1, { index: 5, term: 5, confState: cs([1]) })
      .commit();
    expect(e.raftStorage(1).initialState().confState.voters).toEqual([1]);
    await e
      .batch()
      .setApplyState(1, { appliedIndex: 6, confState: cs([1, 2]) })
      .commit();
    await e.batch().setApplyState(1, { appliedIndex: 7 }).commit();
    expect(e.applyState(1)).toEqual({ appliedIndex: 7, confState: cs([1, 2]) });
    expect(e.raftStorage(1).initialState().confState.voters).toEqual([1, 2]);
  });
});
