/**
 * The scheduling loop end to end, in process and deterministic: stores (in-memory engines,
 * virtual clock) with their PD workers, and the placement driver's core. Bootstrap growth to
 * three replicas, repair after a store dies, splits under writes.
 */

import { StoreCluster } from '@atoll/store/testing';
import { describe, expect, it } from 'vitest';
import { InProcessPd } from './helpers/in-process-pd.js';

async function run(
  c: StoreCluster,
  pd: InProcessPd,
  done: () => boolean,
  maxTicks: number,
  what: string,
): Promise<void> {
  for (let t = 0; t < maxTicks; t++) {
    if (done()) return;
    await c.tick();
    await pd.tick();
  }
  throw new Error(`${what}: not reached within ${maxTicks} ticks`);
}

/** Creates region ids from PD and bootstraps the first region on store 1 alone. */
async function bootstrapped(stores: number, config = {}) {
  const c = await StoreCluster.create({ stores, regions: [], seed: 21 });
  const pd = new InProcessPd(c, config);
  await pd.start();
  const regionId = (await pd.pd.allocId(1)).first;
  const peerId = (await pd.pd.allocId(1)).first;
  const region = {
    id: regionId,
    startKey: new Uint8Array(),
    endKey: new Uint8Array(),
    epoch: { confVer: 1, version: 1 },
    peers: [{ id: peerId, storeId: 1, isLearner: false }],
  };
  await pd.bootstrap(1, region);
  await c.node(1).store.bootstrapRegion(region);
  pd.attachWorkers();
  return { c, pd, regionId };
}

const votersOn = (c: StoreCluster, regionId: number) => {
  const leader = c.leaderOf(regionId);
  return leader
    ? leader.region.peers
        .filter((p) => !p.isLearner)
        .map((p) => p.storeId)
        .sort()
    : [];
};

describe('PD scheduling, in process', () => {
  it('a region bootstrapped on one store grows to three replicas as stores join one by one', async () => {
    const { c, pd, regionId } = await bootstrapped(3);
    await run(c, pd, () => c.leaderOf(regionId) !== undefined, 200, 'a leader');
    await c.put('before', 'joining');
    await pd.registerStore(2);
    await run(c, pd, () => votersOn(c, regionId).length === 2, 1500, 'a second replica');
    await pd.registerStore(3);
    await run(
      c,
      pd,
      () => votersOn(c, regionId).join() === '1,2,3',
      1500,
      'three replicas on three stores',
    );
    expect(await c.get('before')).toBe('joining');
    for (const s of [1, 2, 3])
      await run(c, pd, () => c.dataOf(s).includes('before=joining'), 300, `data on store ${s}`);
  });

  it('the replicas of a store that dies for good are rebuilt elsewhere; no acknowledged write is lost', async () => {
    const { c, pd, regionId } = await bootstrapped(4, {
      maxStoreDownTimeMs: 3_000,
      storeDisconnectMs: 1_000,
    });
    for (const s of [2, 3, 4]) await pd.registerStore(s);
    await run(c, pd, () => votersOn(c, regionId).length === 3, 3000, 'three replicas');
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      await c.put(`w${i}`, `${i}`);
      acked.push(`w${i}`);
    }
    const victim = votersOn(c, regionId).find((s) => s !== c.leaderStore(regionId)!.id)!;
    await c.crash(victim);
    await run(
      c,
      pd,
      () => {
        const v = votersOn(c, regionId);
        return v.length === 3 && !v.includes(victim);
      },
      4000,
      'the region back at three healthy replicas',
    );
    console.log('repaired: voters now', votersOn(c, regionId), 'victim', victim);
    // What `atoll ctl stores` shows: the victim down, the others up.
    const health = pd.pd.storesHealth();
    expect(health.get(victim)).toBe('down');
    for (const s of [1, 2, 3, 4].filter((s) => s !== victim)) expect(health.get(s)).toBe('up');
    for (const k of acked) expect(await c.get(k)).toBe(k.slice(1));
  });

  it('splits a growing region repeatedly; regions stay contiguous and every key readable', async () => {
    const { c, pd } = await bootstrapped(3, { regionMaxKeys: 40, regionMaxBytes: 1 << 30 });
    for (const s of [2, 3]) await pd.registerStore(s);
    const keys: string[] = [];
    for (let i = 0; i < 200; i++) {
      const k = `key-${String((i * 37) % 1000).padStart(4, '0')}`;
      keys.push(k);
      await c.put(k, `v${i}`);
      if (i % 20 === 0) for (let t = 0; t < 30; t++) await c.tick().then(() => pd.tick());
    }
    await run(
      c,
      pd,
      () => pd.pd.scanRegions(new Uint8Array(), new Uint8Array(), 1000).length >= 3,
      3000,
      'splits',
    );
    const regions = pd.pd
      .scanRegions(new Uint8Array(), new Uint8Array(), 1000)
      .map((r) => r.region);
    console.log('regions after splits:', regions.length);
    expect(regions[0]!.startKey.length).toBe(0);
    expect(regions[regions.length - 1]!.endKey.length).toBe(0);
    for (let i = 1; i < regions.length; i++)
      expect(Buffer.compare(regions[i - 1]!.endKey, regions[i]!.startKey)).toBe(0);
    const last = new Map<string, string>();
    for (const [i, k] of keys.entries()) last.set(k, `v${i}`);
    for (const [k, v] of last) expect(await c.get(k)).toBe(v);
  });

  it('a fourth store joining a loaded cluster receives regions and leaders (within a tolerance)', async () => {
    const { c, pd } = await bootstrapped(4, {
      regionMaxKeys: 20,
      regionMaxBytes: 1 << 30,
      balanceWarmupMs: 1_000,
    });
    for (const s of [2, 3]) await pd.registerStore(s);
    for (let i = 0; i < 240; i++) {
      await c.put(`k${String((i * 53) % 1000).padStart(4, '0')}`, 'v');
      if (i % 20 === 0) for (let t = 0; t < 30; t++) await c.tick().then(() => pd.tick());
    }
    const regionCount = () => pd.pd.scanRegions(new Uint8Array(), new Uint8Array(), 1000).length;
    await run(c, pd, () => regionCount() >= 8, 3000, 'at least 8 regions');
    await pd.registerStore(4);
    const perStore = (storeId: number) => c.node(storeId).store.peers.size;
    const leadersOn = (storeId: number) =>
      [...c.node(storeId).store.peers.values()].filter((p) => p.isLeader).length;
    const n = regionCount();
    // Balanced: 3 replicas of n regions over 4 stores is 3n/4 each; leaders n/4 each.
    await run(
      c,
      pd,
      () => perStore(4) >= Math.floor((3 * n) / 4) - 2 && leadersOn(4) >= Math.floor(n / 4) - 2,
      8000,
      'store 4 to carry its share',
    );
    console.log(
      `regions ${n}; replicas per store ${[1, 2, 3, 4].map(perStore)}; leaders ${[1, 2, 3, 4].map(leadersOn)}`,
    );
  });
});
