/**
 * What a leader reports to PD as "pending": PD promotes a learner only once it is not. A
 * learner promoted before it exists is a voter that cannot vote: with a replica already lost,
 * the region can no longer reach a quorum (seen in the replica-repair benchmark).
 */

import { ConfChangeTransition, ConfChangeType } from '@atoll/raft';
import { describe, expect, it } from 'vitest';
import { pendingPeers } from '../src/pd-worker.js';
import { regionOn, StoreCluster } from '../src/testing/index.js';

describe('store: pending peers reported to PD', () => {
  it('a new learner is pending until it has caught up, even on a short log', async () => {
    const c = await StoreCluster.create({ stores: 4, regions: [regionOn(1, [1, 2, 3])], seed: 5 });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    for (let i = 0; i < 3; i++) await c.put(`k${i}`, `${i}`);
    const leader = () => c.leaderOf(1)!;
    expect(pendingPeers(leader())).toEqual([]);

    // Store 4 hears nothing yet: the learner cannot have anything.
    c.hub.isolate(4, [1, 2, 3]);
    const added = await c.leaderStore(1)!.store.proposeConfChange(
      { regionId: 1, epoch: leader().region.epoch },
      {
        transition: ConfChangeTransition.Auto,
        changes: [{ type: ConfChangeType.AddLearner, peerId: 104 }],
      },
      [{ id: 104, storeId: 4, isLearner: true }],
    );
    expect(added.ok).toBe(true);
    // The log is far shorter than the lag allowed: only the progress state tells.
    expect(leader().node.raft.log.committed).toBeLessThan(64);
    await c.tick(20);
    expect(pendingPeers(leader()).map((p) => p.id)).toEqual([104]);

    c.hub.heal();
    await c.tickUntil(() => pendingPeers(leader()).length === 0, 400, 'the learner to catch up');
    expect(c.dataOf(4)).toEqual(['k0=0', 'k1=1', 'k2=2']);
  });
});
