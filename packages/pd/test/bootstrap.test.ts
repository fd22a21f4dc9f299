import { describe, expect, it } from 'vitest';
import { isPdError, PdErrorCode, PlacementDriver } from '../src/index.js';
import { ManualClock, MemoryMetaStorage } from '../src/testing/index.js';
import {
  bootstrappedPd,
  CLUSTER_ID,
  failover,
  heartbeat,
  peers,
  region,
  startPd,
  store,
} from './helpers.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isPdError(e) ? e.code : `not a PdError: ${String(e)}`;
  }
  return undefined;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isPdError(e) ? e.code : `not a PdError: ${String(e)}`;
  }
  return undefined;
}

describe('bootstrap', () => {
  it('happens once per cluster, across failovers', async () => {
    const { pd, storage, clock } = await startPd();
    expect(pd.isBootstrapped()).toBe(false);
    await pd.bootstrap(store(1), region(1, '', '', peers([101, 1])));
    expect(pd.isBootstrapped()).toBe(true);
    expect(await codeOf(pd.bootstrap(store(1), region(1, '', '', peers([101, 1]))))).toBe(
      PdErrorCode.AlreadyBootstrapped,
    );
    const pd2 = await failover(pd, storage, clock);
    expect(pd2.isBootstrapped()).toBe(true);
    expect(await codeOf(pd2.bootstrap(store(2), region(2, '', '', peers([201, 2]))))).toBe(
      PdErrorCode.AlreadyBootstrapped,
    );
    expect(pd2.getRegion(new Uint8Array([1]))?.region.id).toBe(1);
  });

  it('needs a first region covering every key with one voter on the first store', async () => {
    const { pd } = await startPd();
    expect(await codeOf(pd.bootstrap(store(1), region(1, 'a', '', peers([101, 1]))))).toBe(
      PdErrorCode.InvalidRegion,
    );
    expect(await codeOf(pd.bootstrap(store(1), region(1, '', '', peers([101, 2]))))).toBe(
      PdErrorCode.InvalidRegion,
    );
    expect(pd.isBootstrapped()).toBe(false);
  });

  it('is all or nothing: records of a bootstrap that did not finish are cleared', async () => {
    const { pd, storage, clock } = await startPd();
    storage.failWrites(2); // store and region records written, the flag is not
    expect(await codeOf(pd.bootstrap(store(1), region(1, '', '', peers([101, 1]))))).toBe(
      PdErrorCode.Storage,
    );
    storage.healWrites();
    const pd2 = await failover(pd, storage, clock);
    expect(pd2.isBootstrapped()).toBe(false);
    expect(pd2.getAllStores()).toEqual([]);
    await pd2.bootstrap(store(3), region(3, '', '', peers([301, 3])));
    const pd3 = await failover(pd2, storage, clock);
    expect(pd3.getAllStores().map((s) => s.meta.id)).toEqual([3]);
    expect(pd3.getRegion(new Uint8Array())?.region.id).toBe(3);
  });

  it('comes before stores and region heartbeats', async () => {
    const { pd } = await startPd();
    expect(await codeOf(pd.putStore(store(2)))).toBe(PdErrorCode.NotBootstrapped);
    expect(await codeOf(pd.regionHeartbeat(heartbeat(region(1, '', '', peers([101, 1])))))).toBe(
      PdErrorCode.NotBootstrapped,
    );
    expect(code(() => pd.storeHeartbeat({ storeId: 1 }))).toBe(PdErrorCode.NotBootstrapped);
  });
});

describe('stores', () => {
  it('refuse a duplicate address but allow one freed by a tombstone', async () => {
    const { pd } = await bootstrappedPd();
    await pd.putStore(store(2));
    expect(await codeOf(pd.putStore({ ...store(3), address: store(2).address }))).toBe(
      PdErrorCode.DuplicateAddress,
    );
    await pd.removeStore(2);
    expect(pd.getStore(2)?.meta.state).toBe('offline');
    await pd.schedule(); // store 2 holds nothing: it becomes a tombstone
    expect(pd.getStore(2)?.meta.state).toBe('tombstone');
    await pd.putStore({ ...store(3), address: store(2).address });
  });

  it('refuse heartbeats and registration from tombstones, and heartbeats from unknown stores', async () => {
    const { pd } = await bootstrappedPd();
    await pd.putStore(store(2));
    await pd.removeStore(2);
    await pd.schedule();
    expect(code(() => pd.storeHeartbeat({ storeId: 2 }))).toBe(PdErrorCode.StoreTombstone);
    expect(await codeOf(pd.putStore(store(2)))).toBe(PdErrorCode.StoreTombstone);
    expect(await codeOf(pd.removeStore(2))).toBe(PdErrorCode.StoreTombstone);
    expect(code(() => pd.storeHeartbeat({ storeId: 9 }))).toBe(PdErrorCode.StoreNotFound);
    const r = region(1, '', '', peers([101, 1], [102, 2]), 1, 2);
    expect(await codeOf(pd.regionHeartbeat(heartbeat(r, { leaderStoreId: 2 })))).toBe(
      PdErrorCode.StoreTombstone,
    );
  });

  it('keep their state when they re-register, and persist address changes', async () => {
    const { pd, storage, clock } = await bootstrappedPd();
    await pd.putStore(store(2));
    await pd.removeStore(2);
    await pd.putStore({ ...store(2), address: '10.9.9.9:1' });
    const pd2 = await failover(pd, storage, clock);
    expect(pd2.getStore(2)?.meta).toMatchObject({ state: 'offline', address: '10.9.9.9:1' });
  });

  it('record heartbeat statistics in memory', async () => {
    const { pd, clock } = await bootstrappedPd();
    clock.advance(5_000);
    pd.storeHeartbeat({
      storeId: 1,
      capacity: 100,
      available: 60,
      bytesWritten: 2000,
      intervalMs: 10_000,
    });
    const s = pd.getStore(1)!;
    expect(s.lastHeartbeatMs).toBe(clock.now());
    expect(s.stats?.available).toBe(60);
    expect(s.writtenBytesPerSecond).toBe(200);
  });
});

describe('cluster id', () => {
  it('is checked on requests and against stored metadata', async () => {
    const { pd, storage, clock } = await bootstrappedPd();
    expect(code(() => pd.checkClusterId(CLUSTER_ID))).toBeUndefined();
    expect(code(() => pd.checkClusterId(CLUSTER_ID + 1))).toBe(PdErrorCode.ClusterMismatch);
    await pd.resign();
    const other = new PlacementDriver({ clusterId: CLUSTER_ID + 1, storage, clock });
    expect(await codeOf(other.becomeLeader())).toBe(PdErrorCode.ClusterMismatch);
    expect(other.isServing).toBe(false);
  });

  it('must be positive', () => {
    expect(
      code(
        () =>
          new PlacementDriver({
            clusterId: 0,
            storage: new MemoryMetaStorage(),
            clock: new ManualClock(),
          }),
      ),
    ).toBe(PdErrorCode.InvalidConfig);
  });

  it('invalid configuration is refused up front', () => {
    const mk = (config: object) => () =>
      new PlacementDriver({
        clusterId: 1,
        storage: new MemoryMetaStorage(),
        clock: new ManualClock(),
        config,
      });
    expect(code(mk({ maxReplicas: 0 }))).toBe(PdErrorCode.InvalidConfig);
    expect(code(mk({ minAvailableRatio: 1 }))).toBe(PdErrorCode.InvalidConfig);
    expect(code(mk({ storeDisconnectMs: 100_000 }))).toBe(PdErrorCode.InvalidConfig);
    expect(code(mk({ schedulerLimits: { split: -1 } }))).toBe(PdErrorCode.InvalidConfig);
    expect(code(mk({ maxReplicas: 5, maxStoreDownTimeMs: 30_000 }))).toBeUndefined();
  });
});

describe('not serving', () => {
  it('a resign during becomeLeader wins: the PD does not start serving', async () => {
    const storage = new MemoryMetaStorage();
    const pd = new PlacementDriver({ clusterId: 1, storage, clock: new ManualClock() });
    storage.holdWrites();
    const starting = pd.becomeLeader().catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    const resigned = pd.resign();
    storage.release();
    await resigned;
    expect(isPdError(await starting, PdErrorCode.NotLeader)).toBe(true);
    expect(pd.isServing).toBe(false);
    await pd.becomeLeader();
    expect(pd.isServing).toBe(true);
  });

  it('every request fails with PD_ERR_NOT_LEADER before becomeLeader and after resign', async () => {
    const pd = new PlacementDriver({
      clusterId: 1,
      storage: new MemoryMetaStorage(),
      clock: new ManualClock(),
    });
    expect(code(() => pd.isBootstrapped())).toBe(PdErrorCode.NotLeader);
    expect(await codeOf(pd.tso())).toBe(PdErrorCode.NotLeader);
    await pd.becomeLeader();
    await pd.resign();
    expect(await codeOf(pd.allocId())).toBe(PdErrorCode.NotLeader);
  });
});
