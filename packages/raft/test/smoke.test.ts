import { describe, expect, it } from 'vitest';
import { Role } from '../src/index.js';
import { TestCluster } from '../src/testing/index.js';

describe('smoke', () => {
  it('elects a leader and replicates in a 3-peer group', () => {
    const c = new TestCluster({ voters: [1, 2, 3] });
    c.elect(1);
    expect(c.node(1).raft.role).toBe(Role.Leader);
    c.propose(1, 'a');
    c.stabilize();
    for (const id of [1, 2, 3]) expect(c.appliedData(id)).toEqual(['a']);
  });

  it('a single peer elects itself and commits', () => {
    const c = new TestCluster({ voters: [1] });
    c.elect(1);
    expect(c.node(1).raft.role).toBe(Role.Leader);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['x']);
  });
});
