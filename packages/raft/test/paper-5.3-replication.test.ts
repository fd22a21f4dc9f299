/**
 * Raft paper §5.3 (log replication): appends, the log-matching check, conflict repair with
 * fast back-off, commitment by majority, and the engineering around it: pipelining within a
 * window, byte caps per message, batching, the uncommitted-growth guard, forwarding.
 */

import { describe, expect, it } from 'vitest';
import {
  EntryType,
  isRaftError,
  MessageType,
  ProgressState,
  RaftErrorCode,
  Role,
} from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { clusterWithLogs, drain, logTerms, msg, newPeer, presetStorage } from './helpers.js';

const enc = new TextEncoder();
const entry = (index: number, term: number, data = '') => ({
  index,
  term,
  type: EntryType.Normal,
  data: enc.encode(data),
});

describe('§5.3 log replication', () => {
  it('the leader appends a proposal to its log and sends it with the preceding index and term', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    const before = c.trace.length;
    c.propose(1, 'a');
    c.stabilize();
    const appends = c.trace
      .slice(before)
      .filter((m) => m.type === MessageType.Append && m.entries.length > 0);
    expect(appends.map((m) => [m.to, m.index, m.logTerm, m.entries.map((e) => e.index)])).toEqual([
      [2, 1, 1, [2]],
      [3, 1, 1, [2]],
    ]);
  });

  it('an entry is committed once a majority stores it; followers learn it from the next message', () => {
    const c = new TestCluster({ voters: [1, 2, 3, 4, 5] });
    c.elect(1);
    c.partition([1, 2, 3], [4, 5]);
    c.propose(1, 'a');
    c.stabilize();
    expect(c.committed(1)).toBe(2);
    expect(c.appliedData(1)).toEqual(['a']);
    expect(c.appliedData(2)).toEqual(['a']);
    expect(c.appliedData(4)).toEqual([]);
  });

  it("the leader's own copy counts toward the quorum only once durable", () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    c.peer(1).holdPersistence = true;
    c.propose(1, 'a');
    c.stabilize();
    // Follower 2 has it durable, but 2 of 3 requires the leader's own durable copy too.
    expect(c.node(2).raft.log.lastIndex()).toBe(2);
    expect(c.committed(1)).toBe(1);
    c.releasePersistence(1);
    c.stabilize();
    expect(c.committed(1)).toBe(2);
    expect(c.appliedData(1)).toEqual(['a']);
  });

  it('proposals made between two Readys go to each follower in one append', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    const before = c.trace.length;
    for (const d of ['a', 'b', 'c']) c.propose(1, d);
    c.stabilize();
    const appends = c.trace
      .slice(before)
      .filter((m) => m.type === MessageType.Append && m.entries.length > 0);
    expect(appends.map((m) => [m.to, m.index, m.entries.map((e) => e.index)])).toEqual([
      [2, 1, [2, 3, 4]],
      [3, 1, [2, 3, 4]],
    ]);
    for (const id of [1, 2, 3]) expect(c.appliedData(id)).toEqual(['a', 'b', 'c']);
  });

  it('the leader sends appends before its own write is durable', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.peer(1).holdPersistence = true;
    c.propose(1, 'a');
    c.processReadys();
    const appends = c.queue.filter((m) => m.type === MessageType.Append && m.entries.length > 0);
    expect(appends.map((m) => m.to)).toEqual([2, 3]);
  });

  it('a follower rejects an append whose preceding entry does not match (log matching)', () => {
    const storage = presetStorage([1, 2, 3], [1, 2], { term: 2, commit: 1 });
    const { node } = newPeer(1, [1, 2, 3], { storage });
    const cases: [number, number, boolean, number][] = [
      // [prev index, prev term, rejected, response index]
      [0, 0, false, 0],
      [1, 1, false, 1],
      [2, 2, false, 2],
      [2, 1, true, 2],
      [3, 2, true, 3],
    ];
    for (const [index, logTerm, reject, respIndex] of cases) {
      node.step(
        msg({ type: MessageType.Append, from: 2, to: 1, term: 2, index, logTerm, commit: 1 }),
      );
      const [resp] = drain(node, storage).filter((m) => m.type === MessageType.AppendResponse);
      expect([resp!.reject, resp!.index], `prev (${index}, ${logTerm})`).toEqual([
        reject,
        Math.max(respIndex, 1),
      ]);
    }
  });

  it('a follower deletes a conflicting suffix and appends what the leader sent', () => {
    const cases: { index: number; logTerm: number; entries: [number, number][]; want: number[] }[] =
      [
        { index: 2, logTerm: 2, entries: [[3, 3]], want: [1, 2, 3] },
        {
          index: 1,
          logTerm: 1,
          entries: [
            [2, 3],
            [3, 4],
          ],
          want: [1, 3, 4],
        },
        { index: 0, logTerm: 0, entries: [[1, 1]], want: [1, 2] },
        { index: 0, logTerm: 0, entries: [[1, 3]], want: [3] },
      ];
    for (const tc of cases) {
      const storage = presetStorage([1, 2, 3], [1, 2], { term: 2 });
      const { node } = newPeer(1, [1, 2, 3], { storage });
      node.step(
        msg({
          type: MessageType.Append,
          from: 2,
          to: 1,
          term: 4,
          index: tc.index,
          logTerm: tc.logTerm,
          entries: tc.entries.map(([i, t]) => entry(i, t)),
        }),
      );
      drain(node, storage);
      expect(node.raft.log.allEntries().map((e) => e.term)).toEqual(tc.want);
    }
  });

  // The follower logs of the paper's Figure 7; the leader's log is the first line.
  const figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const figure7: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  it.each(Object.entries(figure7))(
    'Figure 7 (%s): the new leader brings the follower in line',
    (_, follower) => {
      const c = clusterWithLogs({
        1: { terms: figure7Leader, term: 7 },
        2: { terms: follower, term: 7 },
        3: { terms: [], term: 7 },
      });
      c.elect(1);
      expect(c.node(1).raft.role).toBe(Role.Leader);
      expect(c.node(1).raft.term).toBe(8);
      c.stabilize();
      expect(logTerms(c, 2)).toEqual([...figure7Leader, 8]);
      expect(logTerms(c, 3)).toEqual([...figure7Leader, 8]);
    },
  );

  it('fast back-off: a long conflicting suffix costs one rejection per term, not per entry', () => {
    const c = clusterWithLogs({
      1: { terms: [1, ...Array(100).fill(2)], term: 3 },
      2: { terms: [1, ...Array(100).fill(3)], term: 3 },
      3: { terms: [1], term: 3 },
    });
    c.elect(1);
    c.stabilize();
    const rejections = c.trace.filter(
      (m) => m.type === MessageType.AppendResponse && m.reject && m.from === 2,
    );
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(logTerms(c, 2)).toEqual(logTerms(c, 1));
  });

  it('pipelining: in replicate state appends stream without waiting, until the window is full', () => {
    const c = new TestCluster({ voters: [1, 2], config: { maxInflightMessages: 3 } });
    c.elect(1);
    expect(c.node(1).status().progress?.get(2)?.state).toBe(ProgressState.Replicate);
    c.addFilter((m) => m.type === MessageType.AppendResponse);
    for (let i = 0; i < 5; i++) {
      c.propose(1, `p${i}`);
      c.processReadys();
    }
    const appends = c.queue.filter((m) => m.type === MessageType.Append && m.to === 2);
    // Three in flight, then paused: the other two wait for acknowledgements.
    expect(appends.map((m) => m.entries.map((e) => e.index))).toEqual([[2], [3], [4]]);
    c.clearFilters();
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('batching: proposals made between two Readys travel in one append', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    const before = c.trace.length;
    c.node(1).proposeMany(['a', 'b', 'c'].map((s) => enc.encode(s)));
    c.stabilize();
    const appends = c.trace
      .slice(before)
      .filter((m) => m.type === MessageType.Append && m.to === 2);
    expect(appends[0]!.entries.length).toBe(3);
  });

  it('appends are capped in bytes per message but always carry at least one entry', () => {
    const c = new TestCluster({
      voters: [1, 2],
      config: { maxMessageBytes: 300, maxInflightBytes: 0 },
    });
    c.elect(1);
    c.isolate(2);
    for (let i = 0; i < 6; i++) c.propose(1, 'x'.repeat(100));
    c.propose(1, 'y'.repeat(1000));
    c.stabilize();
    c.clearFilters();
    const before = c.trace.length;
    c.node(1).tick();
    c.stabilize();
    const appends = c.trace
      .slice(before)
      .filter((m) => m.type === MessageType.Append && m.entries.length > 0);
    for (const m of appends) {
      const bytes = m.entries.reduce((n, e) => n + e.data.length + 24, 0);
      expect(bytes <= 300 || m.entries.length === 1).toBe(true);
    }
    expect(appends.some((m) => m.entries.length > 1)).toBe(true);
    expect(c.appliedData(2).length).toBe(7);
  });

  it('the leader refuses proposals past the uncommitted-bytes limit, and accepts again once committed', () => {
    const c = new TestCluster({ voters: [1, 2, 3], config: { maxUncommittedEntriesBytes: 1000 } });
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    c.propose(1, 'x'.repeat(600));
    c.stabilize();
    let err: unknown;
    try {
      c.propose(1, 'x'.repeat(600));
    } catch (e) {
      err = e;
    }
    expect(isRaftError(err, RaftErrorCode.ProposalDropped)).toBe(true);
    expect((err as { details: { reason: string } }).details.reason).toBe('uncommitted-limit');
    c.clearFilters();
    c.tickAll();
    expect(c.appliedData(1).length).toBe(1);
    c.propose(1, 'x'.repeat(600));
    c.stabilize();
    expect(c.appliedData(3).length).toBe(2);
  });

  it('a follower forwards proposals to the leader, or names the leader when forwarding is off', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.propose(2, 'forwarded');
    c.stabilize();
    expect(c.appliedData(3)).toEqual(['forwarded']);

    const d = new TestCluster({ voters: [1, 2, 3], config: { disableProposalForwarding: true } });
    d.elect(1);
    let err: unknown;
    try {
      d.propose(2, 'refused');
    } catch (e) {
      err = e;
    }
    expect(isRaftError(err, RaftErrorCode.ProposalDropped)).toBe(true);
    expect((err as { details: object }).details).toEqual({ reason: 'not-leader', leaderId: 1 });

    const e = new TestCluster({ voters: [1, 2, 3] });
    expect(() => e.propose(2, 'no leader')).toThrow(/not-leader/);
  });
});
