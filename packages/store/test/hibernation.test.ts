/**
 * Hibernation: idle regions stop ticking; a write wakes them; when a store dies only the
 * regions it led wake, at most wakePerTick per tick.
 */

import { describe, expect, it } from 'vitest';
import { key, regionOn, StoreCluster } from '../src/testing/index.js';

function manyRegions(n: number) {
  // Region i covers [r{i}, r{i+1}); region ids start at 1.
  const name = (i: number) => `r${String(i).padStart(4, '0')}`;
  return Array.from({ length: n }, (_, i) =>
    regionOn(i + 1, [1, 2, 3], i === 0 ? '' : name(i), i === n - 1 ? '' : name(i + 1)),
  );
}

describe('hibernation', () => {
  it('idle regions stop ticking on every store, and a write wakes one up', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: manyRegions(30),
      seed: 3,
      config: { quiesceAfterTicks: 10 },
    });
    await c.tickUntil(() => [...Array(30).keys()].every((i) => c.leaderOf(i + 1)), 300, 'leaders');
    await c.tickUntil(
      () => [1, 2, 3].every((s) => c.node(s).store.active.size === 0),
      200,
      'all regions to hibernate',
    );
    // Nothing ticks any more: a tick costs nothing per region.
    const before = [1, 2, 3].map((s) => c.commits(s));
    await c.tick(20);
    expect([1, 2, 3].map((s) => c.commits(s))).toEqual(before);
    // A write wakes the region it touches (leader and followers), and only that one.
    await c.put('r0005-x', 'v');
    expect(await c.get('r0005-x')).toBe('v');
    const awake = [1, 2, 3].map((s) => c.node(s).store.active.size);
    expect(Math.max(...awake)).toBeLessThanOrEqual(1);
    expect(Math.max(...awake)).toBe(1);
  });

  it('when a store dies, only the regions it led wake, a few per tick, and elect new leaders', async () => {
    const wakePerTick = 3;
    const c = await StoreCluster.create({
      stores: 3,
      regions: manyRegions(40),
      seed: 9,
      config: { quiesceAfterTicks: 10, wakePerTick, storeDownTicks: 10 },
    });
    await c.tickUntil(() => [...Array(40).keys()].every((i) => c.leaderOf(i + 1)), 300, 'leaders');
    await c.tickUntil(
      () => [1, 2, 3].every((s) => c.node(s).store.active.size === 0),
      300,
      'all regions to hibernate',
    );
    const ledBy1 = [...Array(40).keys()]
      .map((i) => i + 1)
      .filter((r) => c.leaderStore(r)?.id === 1);
    expect(ledBy1.length).toBeGreaterThan(0);
    await c.crash(1);
    let maxWokenPerTick = 0;
    let lastActive = c.node(2).store.active.size;
    await c.tickUntil(
      () => {
        const active = c.node(2).store.active.size;
        maxWokenPerTick = Math.max(maxWokenPerTick, active - lastActive);
        lastActive = active;
        return ledBy1.every((r) => c.leaderOf(r) && c.leaderStore(r)!.id !== 1);
      },
      600,
      'new leaders for the regions store 1 led',
    );
    expect(maxWokenPerTick).toBeLessThanOrEqual(wakePerTick);
    // Regions whose leader is alive never woke.
    for (const r of [...Array(40).keys()].map((i) => i + 1).filter((r) => !ledBy1.includes(r))) {
      const p2 = c.node(2).store.peers.get(r)!;
      const p3 = c.node(3).store.peers.get(r)!;
      expect(p2.quiescent || p3.quiescent, `region ${r}`).toBe(true);
    }
    // And writes to a region store 1 led work again.
    const r = ledBy1[0]!;
    const start = c.node(2).store.peers.get(r)!.region.startKey;
    await c.request(key(`${Buffer.from(start).toString()}z`), (context) => ({
      put: { context, key: key(`${Buffer.from(start).toString()}z`), value: key('after') },
    }));
  });

  it('a store that was only slow: the followers woken for it go back to sleep, no election', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: manyRegions(20),
      seed: 4,
      config: { quiesceAfterTicks: 10, storeDownTicks: 10, storeHeartbeatTicks: 2 },
    });
    await c.tickUntil(() => [...Array(20).keys()].every((i) => c.leaderOf(i + 1)), 300, 'leaders');
    await c.tickUntil(
      () => [1, 2, 3].every((s) => c.node(s).store.active.size === 0),
      300,
      'all regions to hibernate',
    );
    const ledBy1 = [...Array(20).keys()]
      .map((i) => i + 1)
      .filter((r) => c.leaderStore(r)?.id === 1);
    expect(ledBy1.length).toBeGreaterThan(0);
    const terms = () => ledBy1.map((r) => c.node(2).store.peers.get(r)!.node.raft.term);
    const termsBefore = terms();
    // Store 1 stalls: nothing it sends arrives for a while, long enough to be presumed down.
    c.hub.hold(1, 2);
    c.hub.hold(1, 3);
    await c.tickUntil(() => c.node(2).store.downStores.has(1), 100, 'store 1 presumed down');
    await c.tick(1);
    expect(c.node(2).store.active.size).toBeGreaterThan(0);
    // It was only slow: what it sent arrives, and it is heard from again.
    c.hub.release(1, 2);
    c.hub.release(1, 3);
    await c.tickUntil(() => !c.node(2).store.downStores.has(1), 20, 'store 1 heard again');
    await c.tick(100);
    expect(terms()).toEqual(termsBefore);
    for (const r of ledBy1) expect(c.leaderStore(r)?.id, `region ${r}`).toBe(1);
    expect([1, 2, 3].map((s) => c.node(s).store.active.size)).toEqual([0, 0, 0]);
  });

  for (const [quiesceAfterTicks, seed] of [
    [10, 12],
    [11, 12],
    [11, 13],
  ]) {
    it(`leaders sleep only after telling their followers; nobody re-elects (quiesce after ${quiesceAfterTicks} ticks, seed ${seed})`, async () => {
      // Heartbeats go out every other tick: a leader that stopped on a tick without them, or
      // right after a write woke its followers again, left them awake, and they elected a
      // new leader (seen with 1,000 regions on real stores).
      const n = 30;
      const c = await StoreCluster.create({
        stores: 3,
        regions: manyRegions(n),
        seed,
        config: { quiesceAfterTicks },
      });
      const ids = [...Array(n).keys()].map((i) => i + 1);
      await c.tickUntil(() => ids.every((r) => c.leaderOf(r)), 300, 'leaders');
      // Stagger the regions: a write to every other one, so their idle counts differ in phase.
      for (const r of ids.filter((r) => r % 2 === 0)) {
        const start = Buffer.from(c.leaderOf(r)!.region.startKey).toString();
        await c.put(`${start}x`, 'v');
        await c.tick(1);
      }
      const terms = () => ids.map((r) => c.leaderOf(r)!.node.raft.term);
      const before = terms();
      await c.tick(300);
      expect(terms()).toEqual(before);
      expect([1, 2, 3].map((s) => c.node(s).store.active.size)).toEqual([0, 0, 0]);
    });
  }

  it('a store whose only peer came by snapshot keeps its store pairs alive once the region sleeps', async () => {
    // Seen in the PD process test: the new store's peer list was cached empty from before
    // the snapshot, so it sent no store heartbeats; once the region slept, the others
    // presumed it down and PD cancelled every replica it tried to place there.
    const storeDownTicks = 10;
    const c = await StoreCluster.create({
      stores: 4,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 17,
      config: { quiesceAfterTicks: 10, storeDownTicks },
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    await c.put('k', 'v');
    const added = await c.addLearner(1, 104, 4);
    expect(added.ok).toBe(true);
    await c.tickUntil(() => c.dataOf(4).join() === 'k=v', 300, 'the learner to get the data');
    expect([...c.node(4).store.peerStores()].sort()).toEqual([1, 2, 3]);
    await c.tickUntil(
      () => [1, 2, 3, 4].every((s) => c.node(s).store.active.size === 0),
      300,
      'the region to hibernate',
    );
    await c.tick(storeDownTicks * 3);
    for (const s of [1, 2, 3]) expect([...c.node(s).store.downStores], `store ${s}`).toEqual([]);
  });
});
