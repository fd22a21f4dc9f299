/**
 * A store creates each region's peer once. A second peer of the same region would replace the
 * first in the peer map but keep ticking: an orphan that no message reaches, campaigning for
 * ever and waking its sleeping region each time (seen on a 10,000-region store).
 */

import { ConfChangeTransition, ConfChangeType, MessageType, message } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import type { RaftEnvelope } from '../src/env/transport.js';
import { StoreErrorCode } from '../src/errors.js';
import { messageToProto } from '../src/raft-codec.js';
import type { Store } from '../src/store.js';
import { regionOn, StoreCluster } from '../src/testing/index.js';

/** Every ticking peer is the one the store routes messages to. */
function expectNoOrphans(store: Store): void {
  for (const peer of store.active) expect(store.peers.get(peer.region.id)).toBe(peer);
}

function heartbeat(regionId: number, fromStore: number, toStore: number): RaftEnvelope {
  const from = regionId * 100 + fromStore;
  const to = regionId * 100 + toStore;
  return {
    regionId,
    fromPeer: { id: from, storeId: fromStore },
    toPeer: { id: to, storeId: toStore, role: 0 },
    epoch: { confVer: 1, version: 1 },
    message: messageToProto(message({ type: MessageType.Heartbeat, from, to, term: 6 })),
    startKey: new Uint8Array(),
    endKey: new Uint8Array(),
  };
}

describe('store: region creation', () => {
  it('a message arriving while a region is bootstrapped here does not create a second peer', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [] });
    const region = regionOn(1, [1, 2, 3]);
    const store = c.node(2).store;
    const bootstrapping = store.bootstrapRegion(region);
    // The bootstrap's batch is not durable yet: the region must not be created from a message.
    store.onEnvelopes(1, [heartbeat(1, 1, 2)]);
    await bootstrapping;
    await c.settle();
    expect(store.peers.get(1)?.region.peers.length).toBe(3);
    expect(store.active.size).toBe(1);
    expectNoOrphans(store);
  });

  it('concurrent bootstraps of one region create one peer', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [] });
    const region = regionOn(1, [1, 2, 3]);
    const store = c.node(1).store;
    await Promise.all([store.bootstrapRegion(region), store.bootstrapRegion(region)]);
    await c.settle();
    expect(store.peers.size).toBe(1);
    expect(store.active.size).toBe(1);
    expectNoOrphans(store);
  });

  it('the region then elects a leader and every peer can hibernate', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [] });
    const region = regionOn(1, [1, 2, 3]);
    for (const id of [1, 3]) await c.node(id).store.bootstrapRegion(region);
    const late = c.node(2).store;
    const bootstrapping = late.bootstrapRegion(region);
    late.onEnvelopes(1, [heartbeat(1, 1, 2)]);
    await bootstrapping;
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 400, 'a leader');
    await c.tickUntil(
      () => [1, 2, 3].every((id) => c.node(id).store.active.size === 0),
      400,
      'every peer asleep',
    );
    for (const id of [1, 2, 3]) expectNoOrphans(c.node(id).store);
  });

  it('a split applies alike on every replica, even where the new region already exists', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [regionOn(1, [1, 2, 3])] });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 400, 'a leader');
    const leader = c.leaderStore(1)!.store;
    // A follower's store already has a region 2 (the guards make it impossible; forced here).
    const other = [1, 2, 3].find((id) => id !== leader.storeId)!;
    await c.node(other).store.bootstrapRegion(regionOn(2, [other], 'x', ''));
    // A leader refuses to propose a split into a region id its store knows.
    await c.tickUntil(() => c.leaderOf(2) !== undefined, 400, 'a leader of region 2');
    const refused = await c
      .node(other)
      .store.proposeSplit(
        { regionId: 2, epoch: { confVer: 1, version: 1 } },
        new TextEncoder().encode('y'),
        2,
        [202],
      );
    expect(!refused.ok && 'error' in refused && refused.error.code).toBe(
      StoreErrorCode.InvalidAdmin,
    );
    const split = leader.proposeSplit(
      { regionId: 1, epoch: { confVer: 1, version: 1 } },
      new TextEncoder().encode('m'),
      2,
      [201, 202, 203],
    );
    await c.tickUntil(
      () => [1, 2, 3].every((id) => c.node(id).store.peers.get(1)?.region.epoch.version === 2),
      400,
      'the split applied everywhere',
    );
    expect((await split).ok).toBe(true);
    for (const id of [1, 2, 3]) {
      const left = c.node(id).store.peers.get(1)!.region;
      expect(new TextDecoder().decode(left.endKey)).toBe('m');
    }
    // Only the region that was already there: the split did not shadow it.
    expect(c.node(other).store.peers.get(2)?.region.peers.length).toBe(1);
    expectNoOrphans(c.node(other).store);
  });

  it('a peer added back to a store it was removed from is created, even with a smaller id', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [regionOn(1, [1, 2, 3])], seed: 7 });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    await c.put('a', '1');
    const leaderStore = () => c.leaderStore(1)!;
    const victim = [1, 2, 3].find((s) => s !== leaderStore().id)!;
    const change = (type: ConfChangeType, peerId: number, isLearner: boolean) =>
      leaderStore().store.proposeConfChange(
        { regionId: 1, epoch: c.leaderOf(1)!.region.epoch },
        { transition: ConfChangeTransition.Auto, changes: [{ type, peerId }] },
        type === ConfChangeType.RemovePeer ? [] : [{ id: peerId, storeId: victim, isLearner }],
      );
    expect((await change(ConfChangeType.RemovePeer, 100 + victim, false)).ok).toBe(true);
    await c.tickUntil(() => c.node(victim).store.tombstones.has(1), 300, 'the peer removed');
    expect(c.dataOf(victim)).toEqual([]);

    // PD allocates ids from batches: the new peer's id can be below the removed one's.
    expect((await change(ConfChangeType.AddLearner, 50, true)).ok).toBe(true);
    await c.tickUntil(() => c.dataOf(victim).length === 1, 400, 'the new learner to catch up');
    expect(c.node(victim).store.peers.get(1)?.peerId).toBe(50);
    expectNoOrphans(c.node(victim).store);
  });
});
