/**
 * Raft paper §6 and thesis §4 (cluster membership changes): one voter at a time, joint
 * consensus for anything more, learners, and removing the leader.
 */

import { describe, expect, it } from 'vitest';
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  isRaftError,
  LEAVE_JOINT,
  MemoryStorage,
  MessageType,
  RaftErrorCode,
  Role,
} from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { drain, msg, newPeer, tickUntil } from './helpers.js';

const add = (peerId: number) => ({ type: ConfChangeType.AddVoter, peerId });
const learner = (peerId: number) => ({ type: ConfChangeType.AddLearner, peerId });
const remove = (peerId: number) => ({ type: ConfChangeType.RemovePeer, peerId });
const change = (
  transition: ConfChangeTransition,
  ...changes: ConfChange['changes']
): ConfChange => ({
  transition,
  changes,
});

// Groups bootstrap at index 5 (as hosts do): peers added later start empty and receive the
// bootstrap snapshot, which carries the membership, before any log entry.

/** Proposes a change at `leader` and runs until every live peer applied it. */
function reconfigure(c: TestCluster, leader: number, cc: ConfChange): void {
  c.proposeConfChange(leader, cc);
  c.stabilize();
  c.tickAll(2);
}

describe('§6 membership changes', () => {
  it('adds a voter with a simple change; the new peer starts empty and catches up', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    c.propose(1, 'before');
    c.stabilize();
    c.addPeer(4, new MemoryStorage());
    reconfigure(c, 1, change(ConfChangeTransition.Auto, add(4)));
    expect(c.node(1).status().confState.voters).toEqual([1, 2, 3, 4]);
    expect(c.appliedData(4)).toEqual(['before']);
    // 4 voters need 3 for a quorum: with 2 and 3 down, nothing commits.
    c.isolate(2);
    c.isolate(3);
    c.propose(1, 'needs-three');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['before']);
  });

  it('removes a follower; the group commits without it and ignores it', () => {
    const c = new TestCluster({ voters: [1, 2, 3, 4], bootstrapIndex: 5 });
    c.elect(1);
    reconfigure(c, 1, change(ConfChangeTransition.Auto, remove(4)));
    expect(c.node(1).status().confState.voters).toEqual([1, 2, 3]);
    c.isolate(3);
    c.propose(1, 'two-of-three');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['two-of-three']);
  });

  it('an empty peer is initialized by a snapshot, never by replaying the log from its start', () => {
    // Bootstrapped at index 0: the log from index 1 exists, yet replaying it would leave the
    // new peer believing it is alone (the bootstrap membership is not in the log).
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.addPeer(4, new MemoryStorage());
    c.proposeConfChange(1, change(ConfChangeTransition.Auto, add(4)));
    c.stabilize();
    c.tickAll(2);
    expect(c.messagesOfType(MessageType.Snapshot).map((m) => m.to)).toEqual([4]);
    expect(c.node(4).status().confState.voters).toEqual([1, 2, 3, 4]);
  });

  it('an uninitialized peer refuses appends', () => {
    const { node, storage } = newPeer(4, [], { storage: new MemoryStorage() });
    node.step(
      msg({ type: MessageType.Append, from: 1, to: 4, term: 1, index: 0, logTerm: 0, entries: [] }),
    );
    const [resp] = drain(node, storage);
    expect(resp).toMatchObject({ type: MessageType.AppendResponse, reject: true, index: 0 });
    expect(node.raft.log.lastIndex()).toBe(0);
  });

  it('allows only one change at a time: a second one waits until the first is applied', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    c.proposeConfChange(1, change(ConfChangeTransition.Auto, learner(4)));
    let err: unknown;
    try {
      c.proposeConfChange(1, change(ConfChangeTransition.Auto, learner(5)));
    } catch (e) {
      err = e;
    }
    expect(isRaftError(err, RaftErrorCode.ProposalDropped)).toBe(true);
    expect(String(err)).toMatch(/not applied yet/);
  });

  it('refuses an invalid change at proposal time (removing every voter)', () => {
    const c = new TestCluster({ voters: [1], bootstrapIndex: 5 });
    c.elect(1);
    expect(() => c.proposeConfChange(1, change(ConfChangeTransition.Auto, remove(1)))).toThrow(
      /removed all voters/,
    );
  });

  it('replaces two voters at once through a joint config that needs both majorities', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    c.addPeer(4, new MemoryStorage());
    c.addPeer(5, new MemoryStorage());
    // Explicit: we leave the joint config ourselves, so it can be inspected.
    reconfigure(
      c,
      1,
      change(ConfChangeTransition.JointExplicit, add(4), add(5), remove(2), remove(3)),
    );
    const cs = c.node(1).status().confState;
    expect(cs.voters).toEqual([1, 4, 5]);
    expect(cs.votersOutgoing).toEqual([1, 2, 3]);
    // New majority (1, 4, 5) alone is not enough while joint: the old one must agree too.
    c.isolate(2);
    c.isolate(3);
    c.propose(1, 'joint');
    c.stabilize();
    expect(c.appliedData(1)).toEqual([]);
    c.clearFilters();
    c.tickAll(2);
    expect(c.appliedData(1)).toEqual(['joint']);
    reconfigure(c, 1, LEAVE_JOINT);
    expect(c.node(1).status().confState).toMatchObject({ voters: [1, 4, 5], votersOutgoing: [] });
    // Now the new majority suffices.
    c.isolate(2);
    c.isolate(3);
    c.isolate(5);
    c.propose(1, 'new-config');
    c.stabilize();
    expect(c.appliedData(4)).toEqual(['joint', 'new-config']);
  });

  it('leaves an automatic joint config by itself', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    c.addPeer(4, new MemoryStorage());
    c.addPeer(5, new MemoryStorage());
    reconfigure(c, 1, change(ConfChangeTransition.Auto, add(4), add(5)));
    for (const id of [1, 2, 3, 4, 5]) {
      expect(c.node(id).status().confState, `peer ${id}`).toMatchObject({
        voters: [1, 2, 3, 4, 5],
        votersOutgoing: [],
        autoLeave: false,
      });
    }
  });

  it('removes the leader through joint consensus; the rest elect a new one and go on', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    c.propose(1, 'before');
    c.stabilize();
    c.addPeer(4, new MemoryStorage());
    reconfigure(c, 1, change(ConfChangeTransition.JointImplicit, remove(1), add(4)));
    // The leader led the joint phase and stepped down once the config without it applied.
    expect(c.node(1).raft.role).toBe(Role.Follower);
    expect(c.node(2).status().confState).toMatchObject({ voters: [2, 3, 4], votersOutgoing: [] });
    tickUntil(c, [2, 3, 4], () => c.leaders().some((id) => id !== 1));
    const leader = c.leaders().find((id) => id !== 1)!;
    c.isolate(1);
    c.propose(leader, 'after');
    c.stabilize();
    for (const id of [2, 3, 4]) expect(c.appliedData(id)).toEqual(['before', 'after']);
    // The removed peer never campaigns: it is not in the configuration.
    c.tick(1, 100);
    expect(c.node(1).raft.role).toBe(Role.Follower);
  });

  it('learners receive the log but neither vote nor campaign, and can be promoted', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    c.addPeer(4, new MemoryStorage());
    reconfigure(c, 1, change(ConfChangeTransition.Auto, learner(4)));
    c.propose(1, 'to-learner');
    c.stabilize();
    expect(c.appliedData(4)).toEqual(['to-learner']);
    // A learner's acknowledgement does not count: with 2 and 3 down nothing commits.
    c.isolate(2);
    c.isolate(3);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['to-learner']);
    c.clearFilters();
    c.tickAll(2);
    // A learner never campaigns, however long it waits.
    c.isolate(1);
    c.tick(4, 100);
    expect(c.node(4).raft.role).toBe(Role.Follower);
    c.clearFilters();
    c.tickAll(2);
    reconfigure(c, c.leaders()[0]!, change(ConfChangeTransition.Auto, add(4)));
    expect(c.node(4).status().confState.voters).toEqual([1, 2, 3, 4]);
    expect(c.node(4).raft.promotable()).toBe(true);
  });

  it('demotes a voter to learner through a joint config (learnersNext)', () => {
    const c = new TestCluster({ voters: [1, 2, 3], bootstrapIndex: 5 });
    c.elect(1);
    reconfigure(c, 1, change(ConfChangeTransition.JointExplicit, learner(3)));
    expect(c.node(1).status().confState).toMatchObject({
      votersOutgoing: [1, 2, 3],
      learnersNext: [3],
    });
    reconfigure(c, 1, LEAVE_JOINT);
    expect(c.node(1).status().confState).toMatchObject({
      voters: [1, 2],
      learners: [3],
      learnersNext: [],
    });
  });
});
