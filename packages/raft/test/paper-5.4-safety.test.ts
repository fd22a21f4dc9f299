/**
 * Raft paper §5.4 (safety): the election restriction, commitment of current-term entries
 * only (Figure 8), and the properties they buy: a leader never overwrites its own log, and a
 * new leader holds every committed entry.
 */

import { describe, expect, it } from 'vitest';
import { MessageType, Role } from '../src/index.js';
import {
  clusterWithLogs,
  drain,
  logTerms,
  msg,
  newPeer,
  presetStorage,
  tickUntil,
} from './helpers.js';

describe('§5.4.1 election restriction', () => {
  it.each([
    // [voter log terms, candidate last index, candidate last term, granted]
    [[1, 1], 2, 1, true],
    [[1, 1], 3, 1, true],
    [[1, 1], 1, 1, false],
    [[1, 1], 1, 2, true],
    [[1, 2], 1, 2, false],
    [[1, 2], 2, 2, true],
    [[1, 2], 3, 1, false],
  ])(
    'a voter with log %j and a candidate at (%i, %i): granted=%s',
    (terms, index, logTerm, granted) => {
      const storage = presetStorage([1, 2], terms as number[], { term: 2 });
      const { node } = newPeer(1, [1, 2], { storage, config: { preVote: false } });
      node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 3, index, logTerm }));
      const [resp] = drain(node, storage);
      expect(resp!.type).toBe(MessageType.VoteResponse);
      expect(resp!.reject).toBe(!granted);
    },
  );
});

describe('§5.4.2 committing entries from previous terms (Figure 8)', () => {
  it('a leader does not commit an entry of an earlier term by counting replicas', () => {
    // S1 leads term 4 with [1, 2, (empty 4)]; S2 and S3 also hold index 2 of term 2.
    const { node, storage } = newPeer(1, [1, 2, 3, 4, 5], {
      storage: presetStorage([1, 2, 3, 4, 5], [1, 2], { term: 3, commit: 1 }),
      config: { preVote: false },
    });
    node.campaign();
    drain(node, storage);
    for (const from of [2, 3])
      node.step(msg({ type: MessageType.VoteResponse, from, to: 1, term: 4 }));
    drain(node, storage);
    expect(node.raft.role).toBe(Role.Leader);
    expect(node.raft.log.lastIndex()).toBe(3);

    // A majority (1, 2, 3) now stores index 2, but index 2 is of term 2: no commit.
    for (const from of [2, 3])
      node.step(msg({ type: MessageType.AppendResponse, from, to: 1, term: 4, index: 2 }));
    drain(node, storage);
    expect(node.raft.log.committed).toBe(1);

    // Once the term-4 entry reaches a majority, it and everything before it commit.
    node.step(msg({ type: MessageType.AppendResponse, from: 2, to: 1, term: 4, index: 3 }));
    drain(node, storage);
    expect(node.raft.log.committed).toBe(1);
    node.step(msg({ type: MessageType.AppendResponse, from: 3, to: 1, term: 4, index: 3 }));
    drain(node, storage);
    expect(node.raft.log.committed).toBe(3);
  });

  it('the Figure 8 run: an old-term entry replicated to a majority may still be overwritten, and safely so', () => {
    // (a)-(c) of Figure 8: S1 and S2 hold index 2 from term 2; S5 holds index 2 from term 3.
    const c = clusterWithLogs(
      {
        1: { terms: [1, 2], term: 3, commit: 1 },
        2: { terms: [1, 2], term: 3, commit: 1 },
        3: { terms: [1], term: 3, commit: 1 },
        4: { terms: [1], term: 3, commit: 1 },
        5: { terms: [1, 3], term: 3, commit: 1 },
      },
      // Without check-quorum there is no leader lease, so S5 can campaign at once below.
      { checkQuorum: false },
    );
    // S1 is re-elected in term 4 with votes from S2, S3 and S4 but crashes after replicating
    // only index 2 (its term-4 entry never leaves): strip index 3 from every append. S5 is
    // unreachable meanwhile.
    c.isolate(5);
    c.addRewrite((m) =>
      m.type === MessageType.Append ? { ...m, entries: m.entries.filter((e) => e.index < 3) } : m,
    );
    c.node(1).campaign();
    c.stabilize();
    expect(c.node(1).raft.role).toBe(Role.Leader);
    expect(c.node(1).raft.term).toBe(4);
    c.node(1).tick();
    c.stabilize();
    expect(logTerms(c, 3)).toEqual([1, 2]);
    // Index 2 (term 2) is on S1, S2 and S3, a majority: still it is not committed.
    for (const id of [1, 2, 3, 4, 5]) expect(c.committed(id), `peer ${id}`).toBe(1);
    expect(logTerms(c, 5)).toEqual([1, 3]);

    // (d): S1 crashes; S5, whose last entry is of term 3, can win (S3 could too) and then
    // overwrites index 2. Its first attempt only teaches it the current term.
    c.clearFilters();
    c.isolate(1);
    c.elect(5);
    c.elect(5);
    expect(c.node(5).raft.role).toBe(Role.Leader);
    c.stabilize();
    for (const id of [2, 3, 4, 5]) expect(logTerms(c, id).slice(0, 2)).toEqual([1, 3]);
    // And S1 rejoins and has its uncommitted suffix replaced too.
    c.clearFilters();
    tickUntil(c, [1, 2, 3, 4, 5], () => logTerms(c, 1).join() === logTerms(c, 5).join());
  });
});

describe('§5.4.3 safety argument, as observable properties', () => {
  it('a leader never overwrites or deletes entries in its own log', () => {
    const storage = presetStorage([1, 2, 3], [1, 1], { term: 1 });
    const { node } = newPeer(1, [1, 2, 3], { storage, config: { preVote: false } });
    node.campaign();
    drain(node, storage);
    node.step(msg({ type: MessageType.VoteResponse, from: 2, to: 1, term: 2 }));
    drain(node, storage);
    const before = node.raft.log.allEntries();
    // A stray append of the same term (a bug elsewhere, or a forged message) is ignored.
    node.step(
      msg({ type: MessageType.Append, from: 2, to: 1, term: 2, index: 1, logTerm: 1, entries: [] }),
    );
    drain(node, storage);
    expect(node.raft.role).toBe(Role.Leader);
    expect(node.raft.log.allEntries()).toEqual(before);
  });

  it('a newly elected leader holds every committed entry (leader completeness)', () => {
    const c = clusterWithLogs({
      1: { terms: [1, 1, 2], term: 2, commit: 3 },
      2: { terms: [1, 1, 2], term: 2, commit: 3 },
      3: { terms: [1], term: 2, commit: 1 },
    });
    // Peer 3 lacks committed entries 2-3: it cannot win, whatever its timing.
    c.isolate(1);
    c.node(3).campaign();
    c.stabilize();
    expect(c.node(3).raft.role).not.toBe(Role.Leader);
    tickUntil(c, [2, 3], () => c.leaders().length > 0);
    expect(c.leaders()).toEqual([2]);
  });
});
