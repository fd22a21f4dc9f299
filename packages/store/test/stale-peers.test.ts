/**
 * A peer removed from its region while its store was down never applies its removal. When the
 * store comes back, that stale peer must go (data, log, tombstone), not campaign forever, and
 * must not stop the region from placing a new replica on the same store.
 */

import { ConfChangeTransition, ConfChangeType } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import { regionOn, StoreCluster } from '../src/testing/index.js';

/** 4 stores, region 1 on stores 1-3 with data; the store of a follower crashes. */
async function withCrashedFollower(seed: number) {
  const c = await StoreCluster.create({ stores: 4, regions: [regionOn(1, [1, 2, 3])], seed });
  await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
  for (let i = 0; i < 5; i++) await c.put(`k${i}`, `${i}`);
  const victim = [1, 2, 3].find((s) => s !== c.leaderStore(1)!.id)!;
  await c.crash(victim);
  const change = async (type: ConfChangeType, peerId: number, storeId: number) => {
    const leader = c.leaderStore(1)!;
    const out = await leader.store.proposeConfChange(
      { regionId: 1, epoch: c.leaderOf(1)!.region.epoch },
      { transition: ConfChangeTransition.Auto, changes: [{ type, peerId }] },
      type === ConfChangeType.RemovePeer
        ? []
        : [{ id: peerId, storeId, isLearner: type === ConfChangeType.AddLearner }],
    );
    expect(out.ok).toBe(true);
  };
  return { c, victim, change };
}

describe('store: stale peers', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: a peer removed while its store was down is destroyed when it returns`, async () => {
      const { c, victim, change } = await withCrashedFollower(seed);
      // Repair without it: a replica on store 4, then the lost one removed.
      await change(ConfChangeType.AddLearner, 104, 4);
      await c.tickUntil(() => c.dataOf(4).length === 5, 400, 'the learner to catch up');
      await change(ConfChangeType.AddVoter, 104, 4);
      await change(ConfChangeType.RemovePeer, 100 + victim, victim);

      await c.restart(victim);
      const back = c.node(victim).store;
      expect(back.peers.get(1)?.peerId).toBe(100 + victim); // stale, from its own storage
      await c.tickUntil(() => !back.peers.has(1), 400, 'the stale peer to be destroyed');
      expect(back.tombstones.get(1)?.peerId).toBe(100 + victim);
      expect(c.dataOf(victim)).toEqual([]);
      expect(back.active.size).toBe(0);

      // The region keeps working, and can place a replica on that store again.
      await c.put('after', 'x');
      await change(ConfChangeType.AddLearner, 7, victim);
      await c.tickUntil(() => c.dataOf(victim).length === 6, 400, 'the new replica to catch up');
      expect(back.peers.get(1)?.peerId).toBe(7);
    });
  }

  it('a stale peer gives way when the region addresses a newer peer on its store', async () => {
    const { c, victim, change } = await withCrashedFollower(4);
    await change(ConfChangeType.AddLearner, 104, 4);
    await c.tickUntil(() => c.dataOf(4).length === 5, 400, 'the learner to catch up');
    await change(ConfChangeType.AddVoter, 104, 4);
    await change(ConfChangeType.RemovePeer, 100 + victim, victim);
    // A new learner on the crashed store, with a smaller id than the stale peer's.
    await change(ConfChangeType.AddLearner, 9, victim);
    await c.put('after', 'x');

    await c.restart(victim);
    const back = c.node(victim).store;
    await c.tickUntil(
      () => back.peers.get(1)?.peerId === 9 && c.dataOf(victim).length === 6,
      400,
      'the new peer to replace the stale one and catch up',
    );
  });

  it('a delayed message from an old membership does not destroy a live peer', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [regionOn(1, [1, 2, 3])], seed: 5 });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    const follower = [1, 2, 3].find((s) => s !== c.leaderStore(1)!.id)!;
    const store = c.node(follower).store;
    const peer = store.peers.get(1)!;
    // A tombstone at the peer's own membership version, and one addressed to another peer
    // id: neither comes from a newer membership.
    store.onEnvelopes(1, [
      {
        regionId: 1,
        fromPeer: { id: 101, storeId: 1 },
        toPeer: { id: peer.peerId, storeId: follower },
        epoch: peer.region.epoch,
        isTombstone: true,
      },
      {
        regionId: 1,
        fromPeer: { id: 101, storeId: 1 },
        toPeer: { id: 999, storeId: follower },
        epoch: peer.region.epoch,
      },
    ]);
    await c.tick(5);
    expect(store.peers.get(1)).toBe(peer);
    expect(peer.stale).toBe(false);
    await c.put('still', 'here');
    await c.tick(3);
    expect(c.dataOf(follower)).toEqual(['still=here']);
  });
});
