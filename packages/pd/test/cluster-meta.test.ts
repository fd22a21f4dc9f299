import { describe, expect, it } from 'vitest';
import { isPdError, PdErrorCode } from '../src/index.js';
import {
  bootstrappedPd,
  failover,
  heartbeat,
  k,
  peers,
  region,
  regionIds,
  store,
} from './helpers.js';

/** A PD with stores 1-3 and region 1 at 3 voters. */
async function threeStores() {
  const env = await bootstrappedPd();
  await env.pd.putStore(store(2));
  await env.pd.putStore(store(3));
  const r1 = region(1, '', '', peers([101, 1], [102, 2], [103, 3]), 1, 3);
  await env.pd.regionHeartbeat(heartbeat(r1));
  return { ...env, r1 };
}

function expectCode(p: Promise<unknown>, code: string) {
  return expect(p).rejects.toSatisfy((e) => isPdError(e) && e.code === code);
}

describe('split reports and the grace period', () => {
  const GRACE = 20_000;
  async function withGrace() {
    const env = await bootstrappedPd({ splitReportGraceMs: GRACE });
    await env.pd.putStore(store(2));
    await env.pd.putStore(store(3));
    const r1 = region(1, '', '', peers([101, 1], [102, 2], [103, 3]), 1, 3);
    await env.pd.regionHeartbeat(heartbeat(r1));
    const left = region(1, '', 'm', r1.peers as never, 2, 3);
    const right = region(5, 'm', '', peers([501, 1], [502, 2], [503, 3]), 2, 3);
    return { ...env, r1, left, right };
  }

  it('hold either half reported alone, keeping the old routing whole', async () => {
    const { pd, storage, left, right } = await withGrace();
    const writes = storage.writes;
    await expectCode(pd.regionHeartbeat(heartbeat(right)), PdErrorCode.SplitPending);
    await expectCode(pd.regionHeartbeat(heartbeat(left)), PdErrorCode.SplitPending);
    expect(regionIds(pd)).toEqual([1]);
    expect(pd.getRegion(k('x'))?.region.id).toBe(1);
    expect(storage.writes).toBe(writes);
  });

  it('take both halves reported together at once, with no gap', async () => {
    const { pd, left, right } = await withGrace();
    await expectCode(pd.regionHeartbeat(heartbeat(right)), PdErrorCode.SplitPending);
    await pd.reportSplit(left, right, left.peers[0]!);
    expect(regionIds(pd)).toEqual([1, 5]);
    expect(pd.getRegion(k('a'))?.region.id).toBe(1);
    expect(pd.getRegion(k('x'))?.region.id).toBe(5);
    pd.clusterMeta.checkInvariants();
    // Afterwards each half heartbeats on its own as usual.
    await pd.regionHeartbeat(heartbeat(right));
    await pd.regionHeartbeat(heartbeat(left));
    expect(regionIds(pd)).toEqual([1, 5]);
  });

  it('take a half alone once it has been held for the grace period (the other half lost)', async () => {
    const { pd, clock, right } = await withGrace();
    await expectCode(pd.regionHeartbeat(heartbeat(right)), PdErrorCode.SplitPending);
    clock.advance(GRACE - 1);
    await expectCode(pd.regionHeartbeat(heartbeat(right)), PdErrorCode.SplitPending);
    clock.advance(1);
    await pd.regionHeartbeat(heartbeat(right));
    expect(regionIds(pd)).toEqual([5]);
    pd.clusterMeta.checkInvariants();
  });

  it('still call a stale report stale, not pending', async () => {
    const { pd, left, right } = await withGrace();
    await pd.reportSplit(left, right, left.peers[0]!);
    const old = region(1, '', '', left.peers as never, 1, 3);
    await expectCode(pd.regionHeartbeat(heartbeat(old)), PdErrorCode.StaleEpoch);
  });
});

describe('region heartbeats', () => {
  it('refuse an older epoch for the same id and change nothing', async () => {
    const { pd, storage, r1 } = await threeStores();
    const writes = storage.writes;
    await expectCode(
      pd.regionHeartbeat(heartbeat(region(1, '', '', peers([101, 1]), 1, 2))),
      PdErrorCode.StaleEpoch,
    );
    await expectCode(
      pd.regionHeartbeat(heartbeat(region(1, '', 'm', r1.peers as never, 0, 3))),
      PdErrorCode.StaleEpoch,
    );
    expect(pd.getRegionById(1)?.region.epoch).toEqual({ confVer: 3, version: 1 });
    expect(storage.writes).toBe(writes);
  });

  it('carry what the PD knows in a stale-epoch error', async () => {
    const { pd } = await threeStores();
    const err = await pd
      .regionHeartbeat(heartbeat(region(1, '', '', peers([101, 1]), 1, 1)))
      .catch((e: unknown) => e);
    expect(isPdError(err, PdErrorCode.StaleEpoch)).toBe(true);
    if (isPdError(err)) expect(err.details.currentRegions?.[0]?.epoch.confVer).toBe(3);
  });

  it('with no split grace, accept a split reported parent first, then the new region', async () => {
    const { pd, r1 } = await threeStores();
    const left = region(1, '', 'm', r1.peers as never, 2, 3);
    const right = region(5, 'm', '', peers([501, 1], [502, 2], [503, 3]), 2, 3);
    await pd.regionHeartbeat(heartbeat(left));
    expect(pd.getRegion(k('x'))).toBeUndefined(); // a gap until the new region reports
    await pd.regionHeartbeat(heartbeat(right));
    expect(regionIds(pd)).toEqual([1, 5]);
    expect(pd.getRegion(k('x'))?.region.id).toBe(5);
    pd.clusterMeta.checkInvariants();
  });

  it('with no split grace, accept a split reported new region first: it replaces the parent, which returns shrunk', async () => {
    const { pd, r1 } = await threeStores();
    const right = region(5, 'm', '', peers([501, 1], [502, 2], [503, 3]), 2, 3);
    await pd.regionHeartbeat(heartbeat(right));
    expect(regionIds(pd)).toEqual([5]);
    pd.clusterMeta.checkInvariants();
    // A late heartbeat of the parent's old shape is now stale: region 5 is newer.
    await expectCode(pd.regionHeartbeat(heartbeat(r1)), PdErrorCode.StaleEpoch);
    await pd.regionHeartbeat(heartbeat(region(1, '', 'm', r1.peers as never, 2, 3)));
    expect(regionIds(pd)).toEqual([1, 5]);
    pd.clusterMeta.checkInvariants();
  });

  it('replace several older regions a merged-in report covers, never leaving overlaps', async () => {
    const { pd } = await threeStores();
    const p = peers([1, 1], [2, 2], [3, 3]);
    await pd.regionHeartbeat(heartbeat(region(1, '', 'c', p, 2, 3)));
    await pd.regionHeartbeat(heartbeat(region(6, 'c', 'f', p, 2, 1)));
    await pd.regionHeartbeat(heartbeat(region(7, 'f', '', p, 2, 1)));
    await pd.regionHeartbeat(heartbeat(region(8, 'b', 'g', p, 3, 1)));
    expect(regionIds(pd)).toEqual([8]);
    pd.clusterMeta.checkInvariants();
  });

  it('refuse a range change without a version bump', async () => {
    const { pd, r1 } = await threeStores();
    await expectCode(
      pd.regionHeartbeat(heartbeat(region(1, '', 'm', r1.peers as never, 1, 3))),
      PdErrorCode.InvalidRegion,
    );
  });

  it('refuse malformed regions', async () => {
    const { pd } = await threeStores();
    const bad = [
      region(0, '', '', peers([1, 1])),
      region(9, 'b', 'a', peers([1, 1])),
      region(9, '', '', []),
      region(9, '', '', peers([1, 1], [2, 1])),
      region(9, '', '', peers([1, 1], [1, 2])),
    ];
    for (const r of bad) {
      await expectCode(
        pd.regionHeartbeat({ region: r, leader: { id: 1, storeId: 1, isLearner: false } }),
        PdErrorCode.InvalidRegion,
      );
    }
    const r = region(1, '', '', peers([101, 1], [102, 2, true]), 1, 4);
    await expectCode(
      pd.regionHeartbeat({ region: r, leader: r.peers[1]! }),
      PdErrorCode.InvalidRegion,
    );
  });

  it('refuse heartbeats led from unknown and tombstoned stores', async () => {
    const { pd } = await threeStores();
    const r = region(1, '', '', peers([101, 1], [109, 9]), 1, 4);
    await expectCode(
      pd.regionHeartbeat(heartbeat(r, { leaderStoreId: 9 })),
      PdErrorCode.StoreNotFound,
    );
  });

  it('persist epoch and peer changes but not statistics', async () => {
    const { pd, storage, r1 } = await threeStores();
    const writes = storage.writes;
    await pd.regionHeartbeat(heartbeat(r1, { approximateSize: 10, leaderStoreId: 2 }));
    expect(storage.writes).toBe(writes);
    expect(pd.getRegionById(1)?.leader?.storeId).toBe(2);
    await pd.regionHeartbeat(heartbeat(region(1, '', '', peers([101, 1], [102, 2]), 1, 4)));
    expect(storage.writes).toBe(writes + 1);
  });

  it('track regions and leaders per store', async () => {
    const { pd, r1 } = await threeStores();
    await pd.regionHeartbeat(
      heartbeat(region(1, '', 'm', r1.peers as never, 2, 3), { leaderStoreId: 2 }),
    );
    await pd.regionHeartbeat(heartbeat(region(5, 'm', '', peers([501, 1], [502, 3]), 2, 3)));
    const meta = pd.clusterMeta;
    expect([...meta.regionsOnStore(1)].sort()).toEqual([1, 5]);
    expect([...meta.regionsOnStore(2)]).toEqual([1]);
    expect([...meta.leadersOnStore(2)]).toEqual([1]);
    expect([...meta.leadersOnStore(1)]).toEqual([5]);
  });

  it('scan regions and find the previous one', async () => {
    const { pd, r1 } = await threeStores();
    await pd.regionHeartbeat(heartbeat(region(1, '', 'g', r1.peers as never, 2, 3)));
    await pd.regionHeartbeat(heartbeat(region(5, 'g', 'p', r1.peers as never, 2, 3)));
    await pd.regionHeartbeat(heartbeat(region(6, 'p', '', r1.peers as never, 2, 3)));
    expect(pd.scanRegions(k('h'), k(''), 10).map((r) => r.region.id)).toEqual([5, 6]);
    expect(pd.scanRegions(k(''), k('h'), 1).map((r) => r.region.id)).toEqual([1]);
    expect(pd.getPrevRegion(k('q'))?.region.id).toBe(5);
    expect(pd.getPrevRegion(k('a'))).toBeUndefined();
  });
});

describe('metadata across failover', () => {
  it('reloads stores and regions, with leaders unknown until they report', async () => {
    const { pd, storage, clock, r1 } = await threeStores();
    await pd.regionHeartbeat(heartbeat(region(1, '', 'm', r1.peers as never, 2, 3)));
    await pd.regionHeartbeat(heartbeat(region(5, 'm', '', r1.peers as never, 2, 3)));
    const pd2 = await failover(pd, storage, clock);
    expect(pd2.isBootstrapped()).toBe(true);
    expect(regionIds(pd2)).toEqual([1, 5]);
    expect(pd2.getAllStores().map((s) => s.meta.id)).toEqual([1, 2, 3]);
    expect(pd2.getRegionById(5)?.leader).toBeUndefined();
    expect(pd2.getStore(2)?.stats).toBeUndefined();
    pd2.clusterMeta.checkInvariants();
    expect(() => pd.getRegionById(1)).toThrow(/not serving/);
  });

  it('resolves overlaps a crash left in storage: the newer version wins', async () => {
    const { pd, storage, clock, r1 } = await threeStores();
    // The new region's record is written, then storage fails before the parent's record
    // is deleted: the PD stops serving.
    storage.failWrites(1);
    await expectCode(
      pd.regionHeartbeat(heartbeat(region(5, 'm', '', r1.peers as never, 2, 3))),
      PdErrorCode.Storage,
    );
    expect(pd.isServing).toBe(false);
    storage.healWrites();
    const pd2 = await failover(pd, storage, clock);
    pd2.clusterMeta.checkInvariants();
    expect(regionIds(pd2)).toEqual([5]);
    expect(
      await storage.get(new TextEncoder().encode('/pd/region/0000000000000001')),
    ).toBeUndefined();
  });
});
