/**
 * Stores run Raft with lazyCommitNotice: a follower learns that a write is committed from
 * the leader's next append or heartbeat, not from an empty append of its own. A split or a
 * membership change is the exception: followers must apply those without waiting.
 */

import { describe, expect, it } from 'vitest';
import { regionOn, StoreCluster } from '../src/testing/index.js';

const enc = new TextEncoder();

describe('store: commit notice', () => {
  it('followers apply a write with the next heartbeat, a split at once', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [regionOn(1, [1, 2, 3])] });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 400, 'a leader');
    const leader = c.leaderStore(1)!;
    const followers = [1, 2, 3].filter((id) => id !== leader.store.storeId);
    const applied = (id: number) => c.node(id).store.peers.get(1)!.appliedIndex;

    const put = c.request(enc.encode('a'), (context) => ({
      put: { context, key: enc.encode('a'), value: enc.encode('1') },
    }));
    await c.settle();
    // No tick yet: the leader answered, the followers hold the entry but not its commit.
    expect((await put).error).toBeFalsy();
    const written = applied(leader.store.storeId);
    for (const id of followers) expect(applied(id)).toBeLessThan(written);
    await c.tickUntil(() => followers.every((id) => applied(id) >= written), 4, 'a heartbeat');

    const split = leader.store.proposeSplit(
      { regionId: 1, epoch: { confVer: 1, version: 1 } },
      enc.encode('m'),
      2,
      [201, 202, 203],
    );
    await c.settle();
    expect((await split).ok).toBe(true);
    await c.settle();
    // Every replica split without a tick: the leader sent the commit index on its own.
    for (const id of [1, 2, 3]) expect(c.node(id).store.peers.get(1)?.region.epoch.version).toBe(2);
  });
});
