/**
 * In-process store clusters under faults (seeded, deterministic): leader crashes, splits
 * under concurrent writes, peer removal, stores that fall behind and catch up. Each runs on
 * the engine alone and with a write-ahead log (durable once logged, the engine's commits
 * held until the next tick: store-wal.ts).
 */

import { ConfChangeTransition, ConfChangeType } from '@atoll/raft';
import { openMemoryEngine } from '@atoll/storage';
import { describe, expect, it } from 'vitest';
import { EngineStoreStorage } from '../src/engine-storage.js';
import type { SnapshotChunks } from '../src/storage-port.js';
import { key, regionOn, StoreCluster } from '../src/testing/index.js';

/** Storage that counts snapshot streams still pinning a view (an LMDB reader slot). */
class PinCountingStorage extends EngineStoreStorage {
  live = 0;
  max = 0;
  override exportRange(start: Uint8Array, end: Uint8Array): SnapshotChunks {
    const chunks = super.exportRange(start, end);
    this.live++;
    this.max = Math.max(this.max, this.live);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        this.live--;
      }
    };
    return {
      release() {
        chunks.release();
        finish();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for await (const c of chunks) yield c;
        } finally {
          finish();
        }
      },
    };
  }
}

const MODES = [
  { name: 'engine alone', wal: false, hold: 'turn' },
  { name: 'with a write-ahead log', wal: true, hold: 'turn' },
  // Batches reach the engine only when something needs storage to show them.
  { name: 'with a write-ahead log, the engine holding batches', wal: true, hold: 'forever' },
] as const;

describe.each(MODES)('store faults ($name)', ({ wal, hold }) => {
  for (const seed of [1, 2, 3]) {
    it(`writes survive a leader crash (seed ${seed})`, async () => {
      const c = await StoreCluster.create({
        stores: 3,
        regions: [regionOn(1, [1, 2, 3])],
        seed,
        wal,
        hold,
      });
      expect(c.node(1).storage.logged).toBe(wal);
      await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await c.put(`k${i}`, `v${i}`);
        if (!r.error) acked.push(`k${i}`);
      }
      expect(acked.length).toBe(20);
      const old = c.leaderStore(1)!.id;
      await c.crash(old);
      await c.tickUntil(() => c.leaderOf(1) !== undefined, 300, 'a new leader');
      for (let i = 20; i < 30; i++)
        expect((await c.put(`k${i}`, `v${i}`)).error ?? null).toBeNull();
      for (const k of acked) expect(await c.get(k)).toBe(`v${k.slice(1)}`);
      await c.restart(old);
      await c.tickUntil(() => c.dataOf(old).length === 30, 300, 'the restarted store to catch up');
      expect(c.dataOf(old)).toEqual(c.dataOf(c.leaderStore(1)!.id));
    });
  }

  it('splits under concurrent writes lose nothing and route correctly', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 7,
      wal,
      hold,
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) writes.push(c.put(`key-${String(i).padStart(3, '0')}`, `v${i}`));
    // Split at key-020 while the writes are in flight.
    const leader = c.leaderStore(1)!;
    const peer = leader.store.peers.get(1)!;
    const split = leader.store.proposeSplit(
      { regionId: 1, epoch: peer.region.epoch },
      key('key-020'),
      2,
      [201, 202, 203],
    );
    await Promise.all(writes);
    expect((await split).ok).toBe(true);
    await c.tickUntil(() => c.leaderOf(2) !== undefined, 300, 'a leader for the new region');
    for (const s of [1, 2, 3]) {
      const left = c.node(s).store.peers.get(1)!.region;
      const right = c.node(s).store.peers.get(2)!.region;
      expect(Buffer.from(left.endKey).toString()).toBe('key-020');
      expect(Buffer.from(right.startKey).toString()).toBe('key-020');
      expect(right.endKey.length).toBe(0);
      expect(left.epoch.version).toBe(2);
    }
    for (let i = 0; i < 40; i++)
      expect(await c.get(`key-${String(i).padStart(3, '0')}`)).toBe(`v${i}`);
    // New writes land in the right region.
    await c.put('key-030', 'after');
    expect(await c.get('key-030')).toBe('after');
    // A request routed with the old epoch is told the current regions.
    const resp = await c.node(c.leaderStore(1)!.id).kv.handle({
      id: 1,
      get: { context: { regionId: 1, epoch: { confVer: 1, version: 1 } }, key: key('key-001') },
    });
    expect(resp.regionError?.epochNotMatch?.currentRegions?.length).toBe(2);
  });

  it('a new store is added as a learner, catches up by snapshot, becomes a voter; a removed peer is cleaned', async () => {
    const c = await StoreCluster.create({
      stores: 4,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 11,
      wal,
      hold,
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    for (let i = 0; i < 10; i++) await c.put(`a${i}`, `${i}`);
    const leader = () => c.leaderStore(1)!;
    const route = () => ({ regionId: 1, epoch: leader().store.peers.get(1)!.region.epoch });
    const add = await c.addLearner(1, 104, 4);
    expect(add.ok).toBe(true);
    await c.tickUntil(() => c.dataOf(4).length === 10, 300, 'the learner to catch up');
    const promote = await leader().store.proposeConfChange(
      route(),
      {
        transition: ConfChangeTransition.Auto,
        changes: [{ type: ConfChangeType.AddVoter, peerId: 104 }],
      },
      [{ id: 104, storeId: 4, isLearner: false }],
    );
    expect(promote.ok).toBe(true);
    // Remove the peer on store 3 (not the leader's, to keep this simple).
    const victim = [1, 2, 3].find((s) => s !== leader().id)!;
    const remove = await leader().store.proposeConfChange(
      route(),
      {
        transition: ConfChangeTransition.Auto,
        changes: [{ type: ConfChangeType.RemovePeer, peerId: 100 + victim }],
      },
      [],
    );
    expect(remove.ok).toBe(true);
    await c.tickUntil(() => !c.node(victim).store.peers.has(1), 300, 'the removed peer to go');
    expect(c.dataOf(victim)).toEqual([]);
    expect(c.node(victim).store.tombstones.has(1)).toBe(true);
    await c.put('after', 'x');
    await c.tickUntil(
      () => c.dataOf(4).includes('after=x'),
      100,
      'the new voter to have the write',
    );
  });

  it('a store that was down catches up by log', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 5,
      wal,
      hold,
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    const follower = [1, 2, 3].find((s) => s !== c.leaderStore(1)!.id)!;
    await c.crash(follower);
    for (let i = 0; i < 15; i++) await c.put(`d${i}`, `${i}`);
    await c.restart(follower);
    await c.tickUntil(() => c.dataOf(follower).length === 15, 300, 'catch up');
  });

  it('a store that was down catches up by snapshot after the log was compacted', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 6,
      config: { logCompactEntries: 5 },
      wal,
      hold,
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    const follower = [1, 2, 3].find((s) => s !== c.leaderStore(1)!.id)!;
    await c.crash(follower);
    const leader = c.leaderStore(1)!;
    const leaderLog = c.leaderOf(1)!.log;
    // Compaction follows what storage shows (the applied index moves when it shows a
    // batch): batches the engine holds are handed over as the writes go.
    for (let i = 0; i < 30; i++) {
      leader.storage.commitHeld();
      await c.put(`s${i}`, `${i}`);
    }
    await c.tickUntil(
      () => {
        leader.storage.commitHeld();
        return leaderLog.firstIndex() > 10;
      },
      50,
      'the leader to compact its log',
    );
    await c.restart(follower);
    await c.tickUntil(() => c.dataOf(follower).length === 30, 300, 'catch up by snapshot');
  });

  it('a read waiting on a deposed leader fails at once with NotLeader, not at its deadline', async () => {
    const c = await StoreCluster.create({
      stores: 3,
      regions: [regionOn(1, [1, 2, 3])],
      seed: 5,
      wal,
      hold,
    });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    await c.put('a', '1');
    const old = c.leaderStore(1)!;
    const others = [1, 2, 3].filter((id) => id !== old.id);
    c.hub.isolate(old.id, others);
    // The isolated leader cannot confirm its leadership: the read waits.
    const peer = old.store.peers.get(1)!;
    const read = old.kv.handle({
      id: 99,
      get: { context: { regionId: 1, epoch: peer.region.epoch }, key: key('a') },
    });
    let answered: Awaited<typeof read> | undefined;
    void read.then((r) => {
      answered = r;
    });
    await c.tickUntil(
      () => others.some((id) => c.node(id).store.peers.get(1)!.isLeader),
      300,
      'a new leader among the others',
    );
    expect(answered).toBeUndefined();
    c.hub.heal();
    const ticks = await c.tickUntil(() => answered !== undefined, 100, 'the read to be answered');
    // Far sooner than the request deadline (200 ticks).
    expect(ticks).toBeLessThan(50);
    expect(answered!.regionError?.notLeader).toBeTruthy();
    expect(Number(answered!.regionError!.notLeader!.leader?.storeId)).not.toBe(old.id);
  });
});

describe('store faults (engine alone)', () => {
  it('snapshots for many regions at once: bounded pinned views, every one released', async () => {
    const storages = new Map<number, PinCountingStorage>();
    const name = (i: number) => `r${String(i).padStart(3, '0')}`;
    const regions = Array.from({ length: 40 }, (_, i) =>
      regionOn(i + 1, [1, 2, 3], i === 0 ? '' : name(i), i === 39 ? '' : name(i + 1)),
    );
    const c = await StoreCluster.create({
      stores: 3,
      regions,
      seed: 8,
      config: { logCompactEntries: 5 },
      storage: (id) => {
        const s = new PinCountingStorage(openMemoryEngine());
        storages.set(id, s);
        return s;
      },
    });
    await c.tickUntil(() => regions.every((r) => c.leaderOf(r.id)), 300, 'leaders');
    // Store 3 misses enough writes in every region that each needs a snapshot.
    await c.crash(3);
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 8; j++) await c.put(`${name(i)}-${j}`, 'v');
    }
    await c.tick(5);
    await c.restart(3);
    await c.tickUntil(() => c.dataOf(3).length === 320, 2000, 'store 3 to catch up');
    await c.tick(250); // past the unsent-snapshot timeout
    for (const id of [1, 2]) {
      const s = storages.get(id)!;
      expect(s.max, `store ${id} pinned at most`).toBeLessThanOrEqual(16 + 4);
      expect(s.live, `store ${id} still pinned`).toBe(0);
    }
  });
});
