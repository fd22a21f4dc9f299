/** Raft paper §7 (log compaction): snapshots, and followers that catch up through them. */

import { describe, expect, it } from 'vitest';
import { MessageType, ProgressState, SnapshotStatus } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';

describe('§7 log compaction', () => {
  it('a follower behind the compacted log catches up through a snapshot, then by appends', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    for (let i = 0; i < 10; i++) c.propose(1, `w${i}`);
    c.stabilize();
    c.compact(1);
    expect(c.peer(1).storage.firstIndex()).toBe(12);
    c.clearFilters();
    c.tickAll(3);
    expect(c.messagesOfType(MessageType.Snapshot).map((m) => m.to)).toEqual([3]);
    expect(c.appliedData(3)).toEqual(c.appliedData(1));
    c.propose(1, 'after');
    c.stabilize();
    expect(c.appliedData(3).at(-1)).toBe('after');
    expect(c.node(1).status().progress?.get(3)?.state).toBe(ProgressState.Replicate);
  });

  it('a failed snapshot transfer is retried', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    for (let i = 0; i < 3; i++) c.propose(1, `w${i}`);
    c.stabilize();
    c.compact(1);
    c.clearFilters();
    // The first snapshot is lost on the way; the host reports the failure.
    let dropped = false;
    c.addFilter((m) => {
      if (m.type !== MessageType.Snapshot || dropped) return false;
      dropped = true;
      return true;
    });
    c.tickAll(1);
    expect(c.node(1).status().progress?.get(3)?.state).toBe(ProgressState.Snapshot);
    c.node(1).reportSnapshot(3, SnapshotStatus.Failure);
    c.tickAll(3);
    expect(c.messagesOfType(MessageType.Snapshot).length).toBe(2);
    expect(c.appliedData(3)).toEqual(['w0', 'w1', 'w2']);
  });

  it('a restarted peer resumes from its snapshot and log', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    for (let i = 0; i < 4; i++) c.propose(1, `w${i}`);
    c.stabilize();
    c.tickAll(1);
    c.compact(2);
    c.propose(1, 'tail');
    c.stabilize();
    c.restart(2);
    expect(c.node(2).raft.log.firstIndex()).toBe(6);
    expect(c.node(2).raft.log.lastIndex()).toBe(6);
    c.tickAll(2);
    expect(c.appliedData(2)).toEqual(['w0', 'w1', 'w2', 'w3', 'tail']);
  });

  it('a stale snapshot (at or below the commit index) is ignored', () => {
    const c = new TestCluster({ voters: [1, 2] });
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    c.tickAll(1);
    const snap = c
      .peer(1)
      .storage.createSnapshot(2, c.node(1).status().confState, new Uint8Array());
    const before = c.node(2).raft.log.allEntries();
    c.node(2).step({
      type: MessageType.Snapshot,
      from: 1,
      to: 2,
      term: 1,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
      snapshot: snap,
    });
    c.stabilize();
    expect(c.node(2).raft.log.allEntries()).toEqual(before);
  });
});
