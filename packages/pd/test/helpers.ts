/**
 * Test helpers: short builders for keys, stores, regions and heartbeats, and a PD on an
 * in-memory storage with a manual clock.
 */

import {
  type PdConfigInput,
  type PeerMeta,
  PlacementDriver,
  type RegionHeartbeat,
  type RegionMeta,
  type StoreMeta,
} from '../src/index.js';
import { ManualClock, MemoryMetaStorage } from '../src/testing/index.js';

export const CLUSTER_ID = 7;

const encoder = new TextEncoder();

/** A key from a string ("" is the empty key). */
export function k(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A store description. */
export function store(id: number, state: StoreMeta['state'] = 'up'): StoreMeta {
  return {
    id,
    address: `10.0.0.${id}:20160`,
    statusAddress: `10.0.0.${id}:20180`,
    state,
    version: '0.1.0',
  };
}

/** [peerId, storeId, learner?] tuples to peers. */
export function peers(...list: [number, number, boolean?][]): PeerMeta[] {
  return list.map(([id, storeId, learner]) => ({ id, storeId, isLearner: learner === true }));
}

/** A region description. */
export function region(
  id: number,
  start: string,
  end: string,
  peerList: PeerMeta[],
  version = 1,
  confVer = 1,
): RegionMeta {
  return { id, startKey: k(start), endKey: k(end), epoch: { confVer, version }, peers: peerList };
}

/** A heartbeat from the region's first voter (or `leaderStoreId`'s peer). */
export function heartbeat(
  r: RegionMeta,
  extra: Partial<RegionHeartbeat> & { leaderStoreId?: number } = {},
): RegionHeartbeat {
  const { leaderStoreId, ...rest } = extra;
  const leader =
    leaderStoreId === undefined
      ? r.peers.find((p) => !p.isLearner)!
      : r.peers.find((p) => p.storeId === leaderStoreId)!;
  return { region: r, leader, ...rest };
}

/**
 * Unit tests report a split's halves one heartbeat at a time, so they take each report at
 * once (no split grace) unless they set splitReportGraceMs themselves.
 */
const UNIT_DEFAULTS: PdConfigInput = { splitReportGraceMs: 0 };

/** A PD on a fresh (or given) in-memory storage, serving. */
export async function startPd(
  options: { storage?: MemoryMetaStorage; clock?: ManualClock; config?: PdConfigInput } = {},
): Promise<{ pd: PlacementDriver; storage: MemoryMetaStorage; clock: ManualClock }> {
  const storage = options.storage ?? new MemoryMetaStorage();
  const clock = options.clock ?? new ManualClock();
  const pd = new PlacementDriver({
    clusterId: CLUSTER_ID,
    storage,
    clock,
    config: { ...UNIT_DEFAULTS, ...options.config },
  });
  await pd.becomeLeader();
  return { pd, storage, clock };
}

/** A PD bootstrapped with store 1 and region 1 (everything, one peer 101 on store 1). */
export async function bootstrappedPd(config?: PdConfigInput) {
  const env = await startPd(config ? { config } : {});
  await env.pd.bootstrap(store(1), region(1, '', '', peers([101, 1])));
  return env;
}

/** Simulates a failover: a new PD process over the same storage, which becomes leader. */
export async function failover(
  old: PlacementDriver,
  storage: MemoryMetaStorage,
  clock: ManualClock,
  config?: PdConfigInput,
): Promise<PlacementDriver> {
  await old.resign();
  const { pd } = await startPd({ storage, clock, ...(config ? { config } : {}) });
  return pd;
}

/** The ids of the regions in key order. */
export function regionIds(pd: PlacementDriver): number[] {
  return pd.clusterMeta.allRegions().map((r) => r.meta.id);
}
