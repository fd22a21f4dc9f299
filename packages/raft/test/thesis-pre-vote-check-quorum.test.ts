/**
 * Raft thesis §9.6 (pre-vote) and §6.2 (check-quorum, leader leases), and fault tolerance:
 * what a group can and cannot do with peers down or partitioned away.
 */

import { describe, expect, it } from 'vitest';
import { MessageType, Role } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { tickUntil } from './helpers.js';

describe('§6.2 check-quorum', () => {
  it('a leader cut off in a minority steps down within an election timeout and commits nothing', () => {
    const c = new TestCluster({ voters: [1, 2, 3, 4, 5] });
    c.elect(1);
    c.propose(1, 'before');
    c.stabilize();
    c.partition([1, 2], [3, 4, 5]);
    c.propose(1, 'lost');
    c.stabilize();
    const committedBefore = c.committed(1);
    // Ticks of the minority only: it must give up on its own.
    tickUntil(c, [1, 2], () => c.node(1).raft.role !== Role.Leader, 25);
    expect(c.committed(1)).toBe(committedBefore);
    expect(c.appliedData(1)).toEqual(['before']);
    // The majority elects a leader and carries on; the lost proposal is discarded on heal.
    tickUntil(c, [3, 4, 5], () => c.leaders().some((id) => id >= 3));
    const leader = c.leaders().find((id) => id >= 3)!;
    c.propose(leader, 'after');
    c.stabilize();
    c.clearFilters();
    tickUntil(c, [1, 2, 3, 4, 5], () =>
      [1, 2, 3, 4, 5].every((id) => c.appliedData(id).length === 2),
    );
    for (const id of [1, 2, 3, 4, 5]) expect(c.appliedData(id)).toEqual(['before', 'after']);
  });

  it('a leader that hears a quorum keeps leading through many election timeouts', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.tickAll(100);
    expect(c.leaders()).toEqual([1]);
    expect(c.node(1).raft.term).toBe(1);
  });

  it('a follower that hears from its leader ignores vote requests (leader lease)', () => {
    const c = new TestCluster({ voters: [1, 2, 3], config: { preVote: false } });
    c.elect(1);
    // Peer 3 is cut off from the leader only, and campaigns (without pre-vote).
    c.addFilter((m) => (m.from === 1 && m.to === 3) || (m.from === 3 && m.to === 1));
    c.node(3).campaign();
    c.stabilize();
    expect(c.node(2).raft.term).toBe(1);
    expect(c.node(2).raft.leaderId).toBe(1);
    expect(c.leaders()).toEqual([1]);
  });
});

describe('§9.6 pre-vote', () => {
  it('a partitioned peer does not inflate its term while cut off', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    c.tickAll(100);
    expect(c.node(3).raft.term).toBe(1);
    expect(c.node(3).raft.role).toBe(Role.PreCandidate);
  });

  it('a rejoining partitioned peer does not disrupt a healthy leader', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    c.tickAll(50);
    c.clearFilters();
    c.tickAll(50);
    expect(c.leaders()).toEqual([1]);
    expect(c.node(1).raft.term).toBe(1);
    expect(c.node(3).raft.leaderId).toBe(1);
  });

  it('without pre-vote the same peer disrupts the leader (the problem pre-vote solves)', () => {
    const c = new TestCluster({
      voters: [1, 2, 3],
      config: { preVote: false, checkQuorum: false },
    });
    c.elect(1);
    c.isolate(3);
    c.tickAll(50);
    expect(c.node(3).raft.term).toBeGreaterThan(1);
    c.clearFilters();
    c.tick(3, 20);
    c.stabilize();
    expect(c.node(1).raft.term).toBeGreaterThan(1);
  });

  it('a pre-vote never changes the term or vote of the peers asked', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.addFilter((m) => m.type === MessageType.Heartbeat || m.type === MessageType.Append);
    c.tickAll(30);
    // Pre-elections have happened (no heartbeats), but only the winner's real vote moved terms.
    const preVotes = c.messagesOfType(MessageType.PreVote);
    expect(preVotes.length).toBeGreaterThan(0);
    const terms = [1, 2, 3].map((id) => c.node(id).raft.term);
    expect(Math.max(...terms)).toBeLessThanOrEqual(1 + c.messagesOfType(MessageType.Vote).length);
  });
});

describe('fault tolerance', () => {
  it('a 5-peer group keeps committing with 2 peers down', () => {
    const c = new TestCluster({ voters: [1, 2, 3, 4, 5] });
    c.elect(1);
    c.isolate(4);
    c.isolate(5);
    for (let i = 0; i < 10; i++) c.propose(1, `w${i}`);
    c.stabilize();
    expect(c.appliedData(1).length).toBe(10);
    expect(c.appliedData(3).length).toBe(10);
  });

  it('a 5-peer group stops committing with 3 peers down, and resumes when one returns', () => {
    const c = new TestCluster({ voters: [1, 2, 3, 4, 5] });
    c.elect(1);
    for (const id of [3, 4, 5]) c.isolate(id);
    c.propose(1, 'w');
    c.stabilize();
    expect(c.appliedData(1)).toEqual([]);
    c.clearFilters();
    c.isolate(4);
    c.isolate(5);
    // Whoever leads 1-2-3 now holds 'w': 3 lacks it, so 3 cannot win votes from 1 or 2.
    tickUntil(c, [1, 2, 3], () => c.leaders().length === 1 && c.appliedData(3).includes('w'));
    const leader = c.leaders()[0]!;
    c.propose(leader, 'x');
    c.stabilize();
    expect(c.appliedData(3).at(-1)).toBe('x');
  });

  it('a 3-peer group keeps committing with 1 down and a single peer commits alone', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(2);
    c.isolate(1);
    c.propose(2, 'a');
    c.stabilize();
    expect(c.appliedData(3)).toEqual(['a']);
    const solo = new TestCluster({ voters: [7] });
    solo.elect(7);
    solo.propose(7, 'b');
    solo.stabilize();
    expect(solo.appliedData(7)).toEqual(['b']);
  });
});
