/** Raft thesis §3.10: leadership transfer, to up-to-date and to lagging followers. */

import { describe, expect, it } from 'vitest';
import { isRaftError, MessageType, RaftErrorCode, Role } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';

describe('§3.10 leadership transfer', () => {
  it('to an up-to-date follower: TimeoutNow at once, and it wins the next term', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.node(1).transferLeader(2);
    c.stabilize();
    expect(c.messagesOfType(MessageType.TimeoutNow).map((m) => [m.from, m.to])).toEqual([[1, 2]]);
    expect(c.leaders()).toEqual([2]);
    expect(c.node(2).raft.term).toBe(2);
    expect(c.node(1).raft.role).toBe(Role.Follower);
    c.propose(2, 'after');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['after']);
  });

  it('to a lagging follower: it is caught up first, then told to campaign', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.propose(1, `w${i}`);
    c.stabilize();
    c.clearFilters();
    c.node(1).transferLeader(3);
    c.stabilize();
    const timeoutNow = c.messagesOfType(MessageType.TimeoutNow);
    expect(timeoutNow.length).toBe(1);
    // By the time it was told to campaign, peer 3 had every entry.
    expect(c.appliedData(3)).toEqual(['w0', 'w1', 'w2', 'w3', 'w4']);
    expect(c.leaders()).toEqual([3]);
  });

  it('proposals during a transfer are refused with a typed error naming the transferee', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    c.node(1).transferLeader(3);
    let err: unknown;
    try {
      c.propose(1, 'x');
    } catch (e) {
      err = e;
    }
    expect(isRaftError(err, RaftErrorCode.ProposalDropped)).toBe(true);
    expect((err as { details: object }).details).toEqual({
      reason: 'leadership-transfer',
      leaderId: 3,
    });
  });

  it('a transfer to an unreachable peer is abandoned after an election timeout', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(3);
    c.node(1).transferLeader(3);
    c.stabilize();
    for (let i = 0; i < 10; i++) {
      c.node(1).tick();
      c.node(2).tick();
      c.stabilize();
    }
    expect(c.node(1).raft.leadTransferee).toBe(0);
    expect(c.leaders()).toEqual([1]);
    c.propose(1, 'ok');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['ok']);
  });

  it('a transfer to a learner, or to the leader itself, does nothing', () => {
    const c = new TestCluster({ voters: [1, 2], learners: [3] });
    c.elect(1);
    c.node(1).transferLeader(3);
    c.node(1).transferLeader(1);
    c.stabilize();
    expect(c.messagesOfType(MessageType.TimeoutNow)).toEqual([]);
    expect(c.leaders()).toEqual([1]);
  });

  it('the transferee campaigns past the leader lease of the other followers', () => {
    const c = new TestCluster({ voters: [1, 2, 3, 4, 5] });
    c.elect(1);
    c.node(1).transferLeader(5);
    c.stabilize();
    expect(c.leaders()).toEqual([5]);
  });
});
