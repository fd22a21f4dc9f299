/**
 * Raft thesis §6.4 (linearizable reads without log writes): ReadIndex confirms leadership
 * with a heartbeat round; lease-based reads trust check-quorum's lease instead.
 */

import { describe, expect, it } from 'vitest';
import { MessageType, ReadOnlyOption, Role } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';
import { tickUntil } from './helpers.js';

const ctx = (s: string) => new TextEncoder().encode(s);

describe('§6.4 ReadIndex', () => {
  it('a read is answered only after a quorum confirms the leader in its term', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    c.addFilter((m) => m.type === MessageType.HeartbeatResponse);
    c.node(1).readIndex(ctx('r1'));
    c.stabilize();
    expect(c.reads(1)).toEqual([]);
    c.clearFilters();
    c.node(1).tick();
    c.stabilize();
    expect(c.reads(1)).toEqual([[2, 'r1']]);
  });

  it('a new leader defers reads until it has committed an entry of its term', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    // A new leader among 2 and 3 whose empty entry cannot commit (acks are lost).
    c.isolate(1);
    c.addFilter((m) => m.type === MessageType.AppendResponse);
    tickUntil(c, [2, 3], () => c.leaders().some((id) => id !== 1));
    const leader = c.leaders().find((id) => id !== 1)!;
    c.node(leader).readIndex(ctx('early'));
    c.tickAll(3);
    expect(c.reads(leader)).toEqual([]);
    c.clearFilters();
    c.isolate(1);
    c.tickAll(2);
    expect(c.reads(leader)).toEqual([[3, 'early']]);
  });

  it('a leader cut off from the quorum never answers a read', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(1);
    c.node(1).readIndex(ctx('stale'));
    for (let i = 0; i < 30; i++) {
      c.node(1).tick();
      c.stabilize();
    }
    expect(c.reads(1)).toEqual([]);
    expect(c.node(1).raft.role).toBe(Role.Follower);
  });

  it('a follower forwards the read to the leader and gets back the read index', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    c.node(3).readIndex(ctx('f'));
    c.stabilize();
    c.tickAll(1);
    expect(c.reads(3)).toEqual([[2, 'f']]);
  });

  it('lease-based reads are answered without a heartbeat round', () => {
    const c = new TestCluster({
      voters: [1, 2, 3],
      config: { readOnlyOption: ReadOnlyOption.LeaseBased },
    });
    c.elect(1);
    const before = c.messagesOfType(MessageType.Heartbeat).length;
    c.node(1).readIndex(ctx('lease'));
    c.stabilize();
    expect(c.reads(1)).toEqual([[1, 'lease']]);
    expect(c.messagesOfType(MessageType.Heartbeat).length).toBe(before);
  });

  it('lease-based reads are refused by configuration without check-quorum', () => {
    expect(
      () =>
        new TestCluster({
          voters: [1],
          config: { readOnlyOption: ReadOnlyOption.LeaseBased, checkQuorum: false },
        }),
    ).toThrow(/checkQuorum/);
  });

  it('reads without a known leader are refused with a typed error', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    expect(() => c.node(1).readIndex(ctx('x'))).toThrow(/not-leader/);
  });

  it('reads waiting for a new leader to commit are bounded, and released without disturbing it', async () => {
    const { READ_INDEX_QUEUE_MAX } = await import('../src/read-only.js');
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    c.isolate(1);
    c.addFilter((m) => m.type === MessageType.AppendResponse);
    tickUntil(c, [2, 3], () => c.leaders().some((id) => id !== 1));
    const leader = c.leaders().find((id) => id !== 1)!;
    for (let i = 0; i < READ_INDEX_QUEUE_MAX; i++) c.node(leader).readIndex(ctx(`r${i}`));
    expect(() => c.node(leader).readIndex(ctx('one-too-many'))).toThrow(/proposal dropped/);
    c.clearFilters();
    c.isolate(1);
    c.tickAll(3);
    expect(c.reads(leader).length).toBe(READ_INDEX_QUEUE_MAX);
  });
});
