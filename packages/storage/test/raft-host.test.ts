/**
 * The engine under the real Raft core: three peers, each on its own engine, persisting every
 * Ready through one group-commit batch (hard state, entries, applied data and applied index)
 * and acknowledging only after the commit resolves, as a store will. Checks that the
 * RaftStorage views serve the core correctly, including across a restart and a compaction.
 */

import { type Message, type PeerId, RawNode, Role, SeededRandom } from '@atoll/raft';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageEngine } from '../src/index.js';
import { b, closeAll, ENGINES, s } from './engines.js';

afterEach(closeAll);

const REGION = 1;
const BOOT_INDEX = 5;
const VOTERS = [1, 2, 3];

interface Peer {
  readonly id: PeerId;
  readonly engine: StorageEngine;
  node: RawNode;
}

function newNode(id: PeerId, engine: StorageEngine): RawNode {
  return new RawNode({
    id,
    storage: engine.raftStorage(REGION),
    random: new SeededRandom(id),
    applied: engine.applyState(REGION)?.appliedIndex ?? 0,
  });
}

/** Bootstraps a region the way a store will: a snapshot position at BOOT_INDEX. */
async function bootstrap(engine: StorageEngine): Promise<void> {
  const confState = {
    voters: VOTERS,
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
    autoLeave: false,
  };
  await engine
    .batch()
    .applySnapshotPosition(REGION, BOOT_INDEX, BOOT_INDEX)
    .setSnapshotMeta(REGION, { index: BOOT_INDEX, term: BOOT_INDEX, confState })
    .setHardState(REGION, { term: BOOT_INDEX, vote: 0, commit: BOOT_INDEX })
    .setApplyState(REGION, { appliedIndex: BOOT_INDEX, confState })
    .commit();
}

class Host {
  readonly peers = new Map<PeerId, Peer>();
  queue: Message[] = [];

  async handleReadys(p: Peer): Promise<boolean> {
    let any = false;
    while (p.node.hasReady()) {
      any = true;
      const rd = p.node.ready();
      this.queue.push(...rd.messages);
      const batch = p.engine.batch();
      if (rd.hardState) batch.setHardState(REGION, rd.hardState);
      batch.appendEntries(REGION, rd.entries);
      for (const e of rd.committedEntries) {
        if (e.data.byteLength > 0) batch.put(b(`key-${s(e.data)}`), e.data);
      }
      const last = rd.committedEntries.at(-1);
      if (last) batch.setApplyState(REGION, { appliedIndex: last.index });
      await batch.commit();
      p.node.persisted(rd.number);
      this.queue.push(...rd.messagesAfterPersist);
      if (last) p.node.applied(last.index);
    }
    return any;
  }

  async stabilize(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      let any = false;
      for (const p of this.peers.values()) any = (await this.handleReadys(p)) || any;
      const msgs = this.queue;
      this.queue = [];
      for (const m of msgs) this.peers.get(m.to)?.node.step(m);
      if (!any && msgs.length === 0) return;
    }
    throw new Error('did not stabilize');
  }
}

describe.each(ENGINES)('the Raft core on the engine ($name)', (factory) => {
  it('elects, replicates, applies, survives a restart and a compaction', async () => {
    const host = new Host();
    for (const id of VOTERS) {
      const engine = factory.open();
      await bootstrap(engine);
      host.peers.set(id, { id, engine, node: newNode(id, engine) });
    }
    const leader = host.peers.get(1)!;
    leader.node.campaign();
    await host.stabilize();
    expect(leader.node.raft.role).toBe(Role.Leader);

    for (let i = 0; i < 30; i++) leader.node.propose(b(`v${i}`));
    await host.stabilize();
    for (const p of host.peers.values()) {
      expect(s(p.engine.get(b('key-v29')))).toBe('v29');
      expect(p.engine.applyState(REGION)?.appliedIndex).toBe(
        p.engine.raftStorage(REGION).lastIndex(),
      );
    }

    // Peer 2 restarts from its engine alone and keeps up.
    const p2 = host.peers.get(2)!;
    p2.node = newNode(2, p2.engine);
    const lastBefore = p2.engine.raftStorage(REGION).lastIndex();
    expect(p2.node.raft.log.lastIndex()).toBe(lastBefore);

    // The leader compacts its log to what it applied, then keeps replicating.
    const applied = leader.engine.applyState(REGION)!.appliedIndex;
    await leader.engine
      .batch()
      .compactLog(REGION, applied - 1)
      .commit();
    for (let i = 30; i < 40; i++) leader.node.propose(b(`v${i}`));
    await host.stabilize();
    for (const p of host.peers.values()) {
      const st = p.engine.raftStorage(REGION);
      expect(s(p.engine.get(b('key-v39')))).toBe('v39');
      expect(p.engine.hardState(REGION)?.commit).toBe(st.lastIndex());
    }
    const logs = [...host.peers.values()].map((p) => {
      const st = p.engine.raftStorage(REGION);
      return st
        .entries(applied, st.lastIndex() + 1, Number.POSITIVE_INFINITY)
        .map((e) => `${e.index}/${e.term}/${s(e.data)}`);
    });
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
  });
});
