/**
 * Core bugs the simulator found: for each, a seed that reaches it (replayed through the
 * whole simulator; each fails with the fix reverted, checked when the seed was chosen) and
 * a small direct test of the fix. A seed exercises the simulator as it is: when the
 * simulator's random choices change, a seed may stop reaching its bug, which is why each
 * bug also has a direct test. Re-pick seeds by reverting a fix and running `pnpm sim`.
 */

import { describe, expect, it } from 'vitest';
import {
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChange,
  EntryType,
  isLeaveJoint,
  MemoryStorage,
  MessageType,
  message,
  RawNode,
  SeededRandom,
} from '../../src/index.js';
import { TestCluster } from '../../src/testing/index.js';
import { replayCommand, runSimulation } from './simulator.js';

function expectSeedPasses(seed: number, peers: number): void {
  const r = runSimulation({ seed, peers });
  expect(r.failure, `${replayCommand(r)}\n${r.events.slice(-40).join('\n')}`).toBeUndefined();
  expect(r.ok).toBe(true);
}

const enc = new TextEncoder();

describe('restart with an applied index past the durable commit index', () => {
  // The host applied entry 3 (durable, committed) and crashed before the Ready carrying
  // commit=3 was durable. The core asserted applied <= commit and the peer could never
  // restart. An applied entry is committed, so the commit index is raised to it.
  it('restarts, treats the applied entries as committed and hands none out again', () => {
    const storage = MemoryStorage.withVoters([1, 2, 3]);
    storage.append(
      [1, 2, 3].map((index) => ({
        term: 1,
        index,
        type: EntryType.Normal,
        data: enc.encode(`e${index}`),
      })),
    );
    storage.setHardState({ term: 1, vote: 1, commit: 2 });
    const node = new RawNode({ id: 1, storage, random: new SeededRandom(1), applied: 3 });
    expect(node.status().hardState.commit).toBe(3);
    expect(node.status().applied).toBe(3);
    expect(node.hasReady() ? node.ready().committedEntries : []).toEqual([]);
  });

  it('seed 3 (3 peers)', () => expectSeedPasses(3, 3));
});

describe('a forwarded request reaching a peer that knows no leader', () => {
  // A follower forwarded a ReadIndex (or a TransferLeader) to the peer it believed led; by
  // the time it arrived that peer had lost track of the leader and refused it by throwing
  // ProposalDropped out of RawNode.step(), into the host's network loop. Only forwarded
  // proposals were swallowed; reads and transfers must be too (etcd drops them silently).
  for (const type of [MessageType.ReadIndex, MessageType.TransferLeader]) {
    it(`drops a forwarded ${MessageType[type]} instead of throwing`, () => {
      const node = new RawNode({
        id: 1,
        storage: MemoryStorage.withVoters([1, 2, 3]),
        random: new SeededRandom(1),
      });
      const entries = [{ term: 0, index: 0, type: EntryType.Normal, data: enc.encode('r:1') }];
      expect(() => node.step(message({ type, from: 2, to: 1, entries }))).not.toThrow();
      expect(node.hasReady() ? node.ready().readStates : []).toEqual([]);
    });
  }

  it('seed 4 (3 peers)', () => expectSeedPasses(4, 3));
});

describe('§5.3 a follower whose whole inflight window was lost', () => {
  // With every append of its window lost (or its acknowledgements), nothing ever freed the
  // window of a follower in replicate state: heartbeat responses tried sendAppend, which a
  // full window refuses, and replication to it stalled until the next election (while
  // proposals piled up until the uncommitted limit refused them).
  it('catches up: a heartbeat response probes the full window with an empty append', () => {
    const c = new TestCluster({ voters: [1, 2, 3], config: { maxInflightMessages: 1 } });
    c.elect(1);
    let dropped = 0;
    c.addFilter((m) => m.type === MessageType.Append && m.to === 2 && dropped++ === 0);
    c.propose(1, 'a');
    c.stabilize();
    c.propose(1, 'b');
    c.stabilize();
    expect(dropped).toBeGreaterThan(0);
    expect(c.appliedData(2)).toEqual([]);
    c.tickAll(3);
    expect(c.appliedData(2)).toEqual(['a', 'b']);
  });

  it('seed 6 (3 peers)', () => expectSeedPasses(6, 3));
});

describe('thesis §4.3 leaving a joint config under the uncommitted-bytes limit', () => {
  // The leader appends the leave of an auto-leave joint config by itself when it applies
  // the joint config. With proposals outstanding, the uncommitted-bytes limit refused that
  // append and an assertion ("leaving a joint config cannot be refused") stopped the peer.
  it('appends the leave even when proposals fill the uncommitted budget', () => {
    const storage = MemoryStorage.withVoters([1]);
    const node = new RawNode({
      id: 1,
      storage,
      random: new SeededRandom(1),
      maxUncommittedEntriesBytes: 4,
    });
    const persist = () => {
      const rd = node.ready();
      storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      node.persisted(rd.number);
      return rd;
    };
    node.campaign();
    while (node.hasReady()) node.advance(persist());
    node.proposeConfChange({
      transition: ConfChangeTransition.JointImplicit,
      changes: [{ type: ConfChangeType.AddLearner, peerId: 2 }],
    });
    let committed = persist().committedEntries;
    while (committed.length === 0) committed = persist().committedEntries;
    const cc = committed.find((e) => e.type === EntryType.ConfChange)!;
    // A proposal arrives while the joint config is committed but not yet applied.
    node.propose(enc.encode('xyz'));
    node.applyConfChange(decodeConfChange(cc.data));
    expect(() => node.applied(cc.index)).not.toThrow();
    const leave = node.ready().entries.filter((e) => e.type === EntryType.ConfChange);
    expect(leave.map((e) => isLeaveJoint(decodeConfChange(e.data)))).toEqual([true]);
  });

  it('seed 1419 (5 peers)', () => expectSeedPasses(1419, 5));
});

describe('restart with a snapshot past the durable commit index', () => {
  // The sibling of the applied-index case: the host applied entries 2..3, snapshotted its
  // state machine at 3 and compacted the log, all before the Ready carrying commit=3 was
  // durable, then crashed. The core asserted hard state commit >= the snapshot's index.
  it('restarts with the snapshot index as its commit index', () => {
    const storage = MemoryStorage.withVoters([1, 2, 3]);
    storage.append(
      [1, 2, 3, 4].map((index) => ({
        term: 1,
        index,
        type: EntryType.Normal,
        data: enc.encode(`e${index}`),
      })),
    );
    storage.createSnapshot(3, storage.snapshot().metadata.confState, new Uint8Array());
    storage.compact(3);
    storage.setHardState({ term: 1, vote: 1, commit: 1 });
    const node = new RawNode({ id: 1, storage, random: new SeededRandom(1), applied: 3 });
    expect(node.status().hardState.commit).toBe(3);
    expect(node.status().lastIndex).toBe(4);
  });

  it('seed 113 (5 peers)', () => expectSeedPasses(113, 5));
  it('seed 144 (5 peers)', () => expectSeedPasses(144, 5));
});
