/**
 * What a leader reports to PD as "pending": PD promotes a learner only once it is not. A
 * learner promoted before it exists is a voter that cannot vote: with a replica already lost,
 * the region can no longer reach a quorum (seen in the replica-repair benchmark).
 */

import type { atoll } from '@atoll/proto';
import { describe, expect, it } from 'vitest';
import { PD_WORKER_DEFAULTS, PdWorker, pendingPeers } from '../src/pd-worker.js';
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
    const added = await c.addLearner(1, 104, 4);
    expect(added.ok).toBe(true);
    // The log is far shorter than the lag allowed: only the progress state tells.
    expect(leader().node.raft.log.committed).toBeLessThan(64);
    await c.tick(20);
    expect(pendingPeers(leader()).map((p) => p.id)).toEqual([104]);

    c.hub.heal();
    await c.tickUntil(() => pendingPeers(leader()).length === 0, 400, 'the learner to catch up');
    expect(c.dataOf(4)).toEqual(['k0=0', 'k1=1', 'k2=2']);
  });

  it('the leader tells PD as soon as a learner catches up, not at the next periodic heartbeat', async () => {
    const c = await StoreCluster.create({ stores: 4, regions: [regionOn(1, [1, 2, 3])], seed: 6 });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    await c.put('k', 'v');
    const leaderStore = c.leaderStore(1)!;
    const leader = () => c.leaderOf(1)!;
    const heartbeats: atoll.pd.IRegionHeartbeatRequest[] = [];
    const worker = new PdWorker(
      leaderStore.store,
      {
        storeHeartbeat: async () => {},
        reportSplit: async () => {},
        regionHeartbeat: (r) => heartbeats.push(r),
        onRegionCommand: () => {},
      },
      // Periodic heartbeats far apart: only a change can explain a prompt one.
      {
        ...PD_WORKER_DEFAULTS,
        regionHeartbeatTicks: 100_000,
        quiescentRegionHeartbeatTicks: 100_000,
        capacity: () => ({ capacity: 1, available: 1 }),
      },
    );
    worker.start();
    await c.tickUntil(() => heartbeats.length > 0, 50, 'a first heartbeat');
    c.hub.isolate(4, [1, 2, 3]);
    await c.addLearner(1, 104, 4);
    const pendingIn = (h: atoll.pd.IRegionHeartbeatRequest) =>
      (h.pendingPeers ?? []).map((p) => Number(p.id));
    await c.tickUntil(
      () => heartbeats.some((h) => pendingIn(h).includes(104)),
      50,
      'a heartbeat naming the learner pending',
    );
    c.hub.heal();
    await c.tickUntil(() => pendingPeers(leader()).length === 0, 400, 'the learner to catch up');
    const last = () => heartbeats[heartbeats.length - 1]!;
    await c.tickUntil(() => pendingIn(last()).length === 0, 30, 'a heartbeat without it');
  });
});
