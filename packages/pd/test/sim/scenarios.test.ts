/**
 * The PD's schedulers driving a simulated cluster (cluster-sim.ts), seeded. A failure prints
 * its seed; replay it with PD_SIM_SEED=<seed>, or run more seeds with PD_SIM_SEEDS=<n>.
 */

import { describe, expect, it } from 'vitest';
import { PD_DEFAULTS } from '../../src/index.js';
import { ClusterSim, forSeeds, KEY_SPACE, type SimRegion, simSeeds } from './cluster-sim.js';

const MIB = 1024 * 1024;
const MINUTE = 60_000;

function spread(counts: readonly number[]): number {
  return Math.max(...counts) - Math.min(...counts);
}

function allHealthy(sim: ClusterSim): boolean {
  return [...sim.regions.values()].every((r) => sim.isHealthy(r));
}

function holds(r: SimRegion, storeId: number): boolean {
  return r.peers.some((p) => p.storeId === storeId);
}

/** The PD's regions cover the whole key space, contiguous, without overlap. */
function pdCoversKeySpace(sim: ClusterSim): boolean {
  const regions = sim.pd.clusterMeta.allRegions();
  if (regions.length === 0 || regions[0]!.meta.startKey.length !== 0) return false;
  for (let i = 1; i < regions.length; i++) {
    const a = regions[i - 1]!.meta.endKey;
    const b = regions[i]!.meta.startKey;
    if (a.length !== b.length || a.some((x, j) => x !== b[j])) return false;
  }
  return regions[regions.length - 1]!.meta.endKey.length === 0;
}

describe('PD simulation', () => {
  it('(a) rebuilds every replica of a store killed for good within maxStoreDownTimeMs + 3 min', async () => {
    await forSeeds(simSeeds([1, 2, 3]), async (seed) => {
      const sim = await ClusterSim.create({ seed, stores: 5, regions: 40 });
      await sim.runFor(30_000);
      const victim = sim.rng.pick([...sim.stores.keys()]);
      const held = [...sim.regions.values()].filter((r) => holds(r, victim)).map((r) => r.id);
      expect(held.length).toBeGreaterThan(0);
      sim.killStore(victim);
      // Nothing is rebuilt while the store might still come back.
      await sim.runFor(PD_DEFAULTS.maxStoreDownTimeMs - 5_000);
      const { running, history } = sim.pd.operators();
      expect([...running, ...history].filter((op) => op.scheduler === 'replica-repair')).toEqual(
        [],
      );
      const took = await sim.runUntil(
        () => allHealthy(sim) && ![...sim.regions.values()].some((r) => holds(r, victim)),
        3 * MINUTE + 5_000,
      );
      expect(took, sim.describe()).toBeDefined();
      await sim.runFor(MINUTE);
      expect(sim.pdMatchesTruth()).toBe(true);
    });
  });

  it('(a) with 5 replicas and a shorter maxStoreDownTimeMs, rebuilds after two stores die', async () => {
    await forSeeds(simSeeds([17, 18]), async (seed) => {
      const config = { maxReplicas: 5, maxStoreDownTimeMs: 30_000, storeDisconnectMs: 15_000 };
      const sim = await ClusterSim.create({ seed, stores: 8, regions: 30, replicas: 5, config });
      await sim.runFor(30_000);
      const [a, b] = sim.rng.sample([...sim.stores.keys()], 2) as [number, number];
      sim.killStore(a);
      sim.killStore(b);
      const took = await sim.runUntil(
        () => allHealthy(sim) && ![...sim.regions.values()].some((r) => holds(r, a) || holds(r, b)),
        config.maxStoreDownTimeMs + 4 * MINUTE,
      );
      expect(took, sim.describe()).toBeDefined();
    });
  });

  it('(a) finishes the repair across a PD failover in the middle of it', async () => {
    await forSeeds(simSeeds([4, 5]), async (seed) => {
      const sim = await ClusterSim.create({ seed, stores: 4, regions: 30 });
      await sim.runFor(30_000);
      const victim = sim.rng.pick([...sim.stores.keys()]);
      sim.killStore(victim);
      await sim.runFor(PD_DEFAULTS.maxStoreDownTimeMs + sim.rng.int(5_000, 40_000));
      await sim.failoverPd();
      // The new leader counts the dead store's silence from its own start.
      const took = await sim.runUntil(
        () => allHealthy(sim) && ![...sim.regions.values()].some((r) => holds(r, victim)),
        PD_DEFAULTS.maxStoreDownTimeMs + 4 * MINUTE,
      );
      expect(took, sim.describe()).toBeDefined();
    });
  });

  it('(b) spreads regions and leaders onto a 4th store joining a loaded 3-store cluster', async () => {
    await forSeeds(simSeeds([6, 7, 8]), async (seed) => {
      const sim = await ClusterSim.create({ seed, stores: 3, regions: 60 });
      await sim.runFor(30_000);
      const newcomer = await sim.addStore();
      const ids = [...sim.stores.keys()];
      // Stated tolerance: the PD's defaults for 180 peers and 60 leaders on 4 stores,
      // max(2, 5% of the mean): 3 regions, 2 leaders.
      const took = await sim.runUntil(
        () =>
          allHealthy(sim) &&
          spread(sim.regionCounts(ids)) <= 3 &&
          spread(sim.leaderCounts(ids)) <= 2 &&
          sim.pd.operators().running.length === 0,
        20 * MINUTE,
      );
      expect(
        took,
        `${sim.regionCounts(ids)} / ${sim.leaderCounts(ids)}\n${sim.describe()}`,
      ).toBeDefined();
      expect(sim.regionCounts([newcomer])[0]).toBeGreaterThanOrEqual(42);
      // And it stays put: no more moves once balanced.
      const moves = sim.pd.operators().stats.ended.success;
      await sim.runFor(5 * MINUTE);
      expect(sim.pd.operators().stats.ended.success).toBe(moves);
    });
  });

  it('(c) repeated splits keep regions contiguous, never overlapping or leaving gaps', async () => {
    await forSeeds(simSeeds([9, 10, 11]), async (seed) => {
      const sim = await ClusterSim.create({
        seed,
        stores: 4,
        regions: 3,
        config: { regionMaxBytes: 64 * MIB },
        writeBytesPerTick: 6 * MIB,
        initialRegionBytes: [16 * MIB, 48 * MIB],
      });
      for (let t = 0; t < 20 * MINUTE; t += 1_000) {
        await sim.step();
        expect(pdCoversKeySpace(sim)).toBe(true);
      }
      expect(sim.regions.size).toBeGreaterThan(20);
      expect(sim.staleReplays).toBeGreaterThan(0); // late heartbeats were refused on the way
      sim.options.writeBytesPerTick = 0;
      await sim.runFor(2 * MINUTE);
      expect(sim.pdMatchesTruth()).toBe(true);
      expect([...sim.regions.values()].every((r) => r.sizeBytes <= 64 * MIB)).toBe(true);
      expect(sim.sortedRegions().at(-1)?.end).toBe(KEY_SPACE);
    });
  });

  it('(d) never exceeds scheduler and per-store limits, even when they bind', async () => {
    await forSeeds(simSeeds([12, 13]), async (seed) => {
      const sim = await ClusterSim.create({
        seed,
        stores: 5,
        regions: 40,
        config: {
          schedulerLimits: { 'replica-repair': 3, 'balance-region': 2, 'balance-leader': 1 },
          storeOperatorLimit: 2,
        },
      });
      await sim.runFor(30_000);
      sim.killStore(sim.rng.pick([...sim.stores.keys()]));
      await sim.runFor(2 * MINUTE);
      await sim.addStore();
      await sim.runFor(20 * MINUTE); // check() after every step enforces the limits
      expect(sim.peakByScheduler.get('replica-repair')).toBe(3);
      expect(sim.peakPerStore).toBe(2);
      expect(allHealthy(sim)).toBe(true);
    });
  });

  it('(e) a fresh cluster with 1 store then 2 more ends with region 1 at 3 replicas on 3 stores', async () => {
    await forSeeds(simSeeds([14, 15, 16]), async (seed) => {
      const sim = await ClusterSim.create({ seed, stores: 1, regions: 0 });
      const [region] = [...sim.regions.values()];
      await sim.runFor(MINUTE);
      expect(region!.peers).toHaveLength(1);
      await sim.addStore();
      await sim.runFor(MINUTE);
      await sim.addStore();
      const took = await sim.runUntil(() => sim.isHealthy(region!), 5 * MINUTE);
      expect(took, sim.describe()).toBeDefined();
      expect(new Set(region!.peers.map((p) => p.storeId)).size).toBe(3);
      await sim.runFor(MINUTE);
      expect(sim.pdMatchesTruth()).toBe(true);
    });
  });
});
