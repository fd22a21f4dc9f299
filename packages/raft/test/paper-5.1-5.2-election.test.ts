/**
 * Raft paper §5.1 (terms) and §5.2 (leader election), with the thesis' randomised timeouts.
 * Pre-vote is off here unless a test says otherwise, so that the paper's plain protocol is
 * what is checked; thesis-pre-vote-check-quorum.test.ts covers the extensions.
 */

import { describe, expect, it } from 'vitest';
import { MessageType, NONE, Role, SeededRandom } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { drain, msg, newPeer } from './helpers.js';

const plain = { preVote: false, checkQuorum: false };

describe('§5.1 terms', () => {
  it('a peer that sees a higher term adopts it and becomes a follower', () => {
    for (const role of [Role.Follower, Role.Candidate, Role.Leader]) {
      const { node, storage } = newPeer(1, [1, 2, 3], { config: plain });
      if (role !== Role.Follower) {
        node.campaign();
        drain(node, storage);
      }
      if (role === Role.Leader) {
        node.step(msg({ type: MessageType.VoteResponse, from: 2, to: 1, term: 1 }));
        drain(node, storage);
      }
      expect(node.raft.role).toBe(role);
      node.step(msg({ type: MessageType.Append, from: 2, to: 1, term: 5 }));
      expect(node.raft.term).toBe(5);
      expect(node.raft.role).toBe(Role.Follower);
      expect(node.raft.leaderId).toBe(2);
    }
  });

  it('a message from an older term is not acted on, only answered with the current term', () => {
    const { node, storage } = newPeer(1, [1, 2, 3], { config: plain });
    node.step(msg({ type: MessageType.Heartbeat, from: 2, to: 1, term: 3 }));
    drain(node, storage);
    node.step(
      msg({ type: MessageType.Append, from: 3, to: 1, term: 2, index: 0, logTerm: 0, entries: [] }),
    );
    expect(node.raft.term).toBe(3);
    expect(node.raft.leaderId).toBe(2);
    const answers = drain(node, storage);
    expect(answers.map((m) => [m.type, m.to, m.term, m.reject])).toEqual([
      [MessageType.AppendResponse, 3, 3, false],
    ]);
    expect(node.raft.log.lastIndex()).toBe(0);
  });

  it('a stale leader learns the newer term from an append response and steps down', () => {
    const c = new TestCluster({ voters: [1, 2, 3], config: plain });
    c.elect(1);
    c.isolate(1);
    c.elect(2);
    expect(c.node(2).raft.term).toBe(2);
    c.clearFilters();
    // Old leader 1 still thinks it leads term 1; its heartbeat is answered at term 2.
    c.node(1).tick();
    c.stabilize();
    expect(c.node(1).raft.role).toBe(Role.Follower);
    expect(c.node(1).raft.term).toBe(2);
  });
});

describe('§5.2 leader election', () => {
  it('a follower that hears from no leader starts an election within [T, 2T) ticks', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { node, storage } = newPeer(1, [1, 2, 3], { config: plain, seed });
      let ticks = 0;
      while (node.raft.role === Role.Follower) {
        node.tick();
        ticks++;
        expect(ticks).toBeLessThan(20);
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(node.raft.role).toBe(Role.Candidate);
      expect(node.raft.term).toBe(1);
      const sent = drain(node, storage).filter((m) => m.type === MessageType.Vote);
      expect(sent.map((m) => m.to).sort()).toEqual([2, 3]);
      expect(sent.every((m) => m.term === 1)).toBe(true);
    }
  });

  it('randomised timeouts differ between peers (the injected generator decides them)', () => {
    const timeouts = new Set<number>();
    const rng = new SeededRandom(7);
    for (let i = 0; i < 50; i++) {
      const { node } = newPeer(1, [1, 2, 3], { config: plain, seed: rng.nextUint32() });
      timeouts.add(node.raft.randomizedElectionTimeout);
    }
    expect(Math.min(...timeouts)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...timeouts)).toBeLessThan(20);
    expect(timeouts.size).toBeGreaterThan(5);
  });

  it.each([
    // [group size, granted votes (besides its own), rejected votes, expected role]
    [1, 0, 0, Role.Leader],
    [3, 1, 0, Role.Leader],
    [3, 0, 2, Role.Follower],
    [3, 0, 1, Role.Candidate],
    [5, 2, 0, Role.Leader],
    [5, 1, 2, Role.Candidate],
    [5, 1, 3, Role.Follower],
    [5, 3, 1, Role.Leader],
  ])(
    'a candidate in a group of %i with %i granted and %i rejected votes ends as %s',
    (size, granted, rejected, role) => {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const { node, storage } = newPeer(1, ids, { config: plain });
      node.campaign();
      drain(node, storage);
      let from = 2;
      for (let i = 0; i < granted; i++)
        node.step(msg({ type: MessageType.VoteResponse, from: from++, to: 1, term: 1 }));
      for (let i = 0; i < rejected; i++) {
        node.step(
          msg({ type: MessageType.VoteResponse, from: from++, to: 1, term: 1, reject: true }),
        );
      }
      drain(node, storage);
      expect(node.raft.role).toBe(role);
    },
  );

  it("a candidate's own vote counts only once it is durable", () => {
    const { node } = newPeer(1, [1], { config: plain });
    node.campaign();
    const rd = node.ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 1 });
    expect(node.raft.role).toBe(Role.Candidate);
    node.persisted(rd.number);
    expect(node.raft.role).toBe(Role.Leader);
  });

  it('each peer votes for at most one candidate per term, first come first served', () => {
    const { node, storage } = newPeer(1, [1, 2, 3], { config: plain });
    node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1, index: 0, logTerm: 0 }));
    node.step(msg({ type: MessageType.Vote, from: 3, to: 1, term: 1, index: 0, logTerm: 0 }));
    node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1, index: 0, logTerm: 0 }));
    const answers = drain(node, storage).map((m) => [m.to, m.reject]);
    expect(answers).toEqual([
      [2, false],
      [3, true],
      [2, false],
    ]);
    expect(node.raft.vote).toBe(2);
  });

  it('a vote is sent only after the vote is durable', () => {
    const { node } = newPeer(1, [1, 2, 3], { config: plain });
    node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1, index: 0, logTerm: 0 }));
    const rd = node.ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 2 });
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.VoteResponse]);
  });

  it('a candidate that hears from a leader of its term becomes its follower', () => {
    const { node, storage } = newPeer(1, [1, 2, 3], { config: plain });
    node.campaign();
    drain(node, storage);
    node.step(msg({ type: MessageType.Append, from: 2, to: 1, term: 1, index: 0, logTerm: 0 }));
    expect(node.raft.role).toBe(Role.Follower);
    expect(node.raft.leaderId).toBe(2);
  });

  it('a leader sends heartbeats every heartbeat interval', () => {
    const c = new TestCluster({ voters: [1, 2, 3], config: plain });
    c.elect(1);
    const before = c.messagesOfType(MessageType.Heartbeat).length;
    c.node(1).tick();
    c.stabilize();
    const beats = c.messagesOfType(MessageType.Heartbeat).slice(before);
    expect(beats.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('split votes resolve: peers that all time out together still elect exactly one leader', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = new TestCluster({ voters: [1, 2, 3, 4, 5], seed, config: plain });
      for (const id of [1, 2, 3, 4, 5]) c.node(id).campaign();
      c.stabilize();
      for (let t = 0; t < 200 && c.leaders().length === 0; t++) c.tickAll();
      const leaders = c.leaders();
      expect(leaders.length, `seed ${seed}`).toBe(1);
      const term = c.node(leaders[0]!).raft.term;
      for (const id of [1, 2, 3, 4, 5]) expect(c.node(id).raft.leaderId).toBe(leaders[0]);
      expect(term).toBeGreaterThanOrEqual(1);
    }
  });

  it('a peer that restarts keeps its term and vote', () => {
    const c = new TestCluster({ voters: [1, 2, 3], config: plain });
    c.elect(2);
    c.restart(1);
    expect(c.node(1).raft.term).toBe(1);
    expect(c.node(1).raft.vote).toBe(2);
    expect(c.node(1).raft.leaderId).toBe(NONE);
  });
});
