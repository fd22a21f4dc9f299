/**
 * RaftConfig.lazyCommitNotice: a leader whose commit index moves sends no empty append for
 * it; followers learn it from the next append that carries entries, from a heartbeat, or at
 * once when the host asks (RawNode.broadcastCommit).
 */

import { describe, expect, it } from 'vitest';
import { MessageType } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';

const lazy = (voters = [1, 2, 3]) =>
  new TestCluster({ voters, config: { lazyCommitNotice: true, heartbeatTicks: 1 } });

/** Appends without entries sent since trace position `from`. */
const emptyAppends = (c: TestCluster, from: number) =>
  c.trace.slice(from).filter((m) => m.type === MessageType.Append && m.entries.length === 0);

describe('lazy commit notice', () => {
  it('commits on the leader without telling the followers by an empty append', () => {
    const c = lazy();
    c.elect(1);
    const before = c.trace.length;
    c.propose(1, 'a');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['a']);
    // The followers have the entry but not yet the news that it is committed.
    expect(c.node(2).raft.log.lastIndex()).toBe(c.node(1).raft.log.lastIndex());
    expect(c.appliedData(2)).toEqual([]);
    expect(c.appliedData(3)).toEqual([]);
    expect(emptyAppends(c, before)).toEqual([]);
  });

  it('the eager default tells them at once, with an empty append each', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    const before = c.trace.length;
    c.propose(1, 'a');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['a']);
    expect(emptyAppends(c, before).map((m) => m.to)).toEqual([2, 3]);
  });

  it('the next append carries the commit index of the entries before it', () => {
    const c = lazy();
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    c.propose(1, 'b');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['a', 'b']);
    expect(c.appliedData(2)).toEqual(['a']);
    expect(c.appliedData(3)).toEqual(['a']);
  });

  it('a heartbeat carries it when no append follows', () => {
    const c = lazy();
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    c.tick(1);
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['a']);
    expect(c.appliedData(3)).toEqual(['a']);
  });

  it('broadcastCommit tells every follower at once; on a follower it does nothing', () => {
    const c = lazy();
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    c.node(2).broadcastCommit();
    c.stabilize();
    expect(c.appliedData(3)).toEqual([]);
    const before = c.trace.length;
    c.node(1).broadcastCommit();
    c.stabilize();
    expect(emptyAppends(c, before).map((m) => m.to)).toEqual([2, 3]);
    expect(c.appliedData(2)).toEqual(['a']);
    expect(c.appliedData(3)).toEqual(['a']);
  });

  it('a follower that falls behind still gets the entries it lacks when commit moves', () => {
    const c = lazy([1, 2, 3]);
    c.elect(1);
    c.isolate(3);
    c.propose(1, 'a');
    c.stabilize();
    c.clearFilters();
    // Follower 2's ack moves nothing (already committed); heartbeats bring 3 back to probing
    // and the entries it lacks follow with the commit index.
    c.tickAll(3);
    expect(c.appliedData(3)).toEqual(['a']);
    expect(c.committed(3)).toBe(c.committed(1));
  });
});
