/**
 * Client ports over an in-process StoreCluster: a region locator that reads what the stores
 * know (standing in for PD), a sender that calls a store's KV service directly, and a client
 * environment on the cluster's virtual clock.
 */

import {
  AtollError,
  type ClientEnv,
  ClientErrorCode,
  type KvRequest,
  type KvResponse,
  type KvSender,
  type RegionInfo,
  type RegionLocator,
  SendError,
  SendFailure,
} from '@atoll/client';
import type { RegionMeta } from '@atoll/store';
import type { StoreCluster } from '@atoll/store/testing';

function toInfo(r: RegionMeta, leaderStoreId: number | undefined): RegionInfo {
  return {
    id: r.id,
    startKey: Buffer.from(r.startKey),
    endKey: Buffer.from(r.endKey),
    epoch: r.epoch,
    peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: p.isLearner })),
    ...(leaderStoreId ? { leaderStoreId } : {}),
  };
}

/** Every region some live store knows, freshest epoch first per range. */
function knownRegions(c: StoreCluster): RegionMeta[] {
  const best = new Map<number, RegionMeta>();
  for (const s of c.stores.values()) {
    if (!s.up) continue;
    for (const p of s.store.peers.values()) {
      const r = p.region;
      if (r.peers.length === 0) continue;
      const have = best.get(r.id);
      if (!have || r.epoch.version > have.epoch.version || r.epoch.confVer > have.epoch.confVer)
        best.set(r.id, r);
    }
  }
  return [...best.values()];
}

export function inProcessLocator(c: StoreCluster): RegionLocator {
  const find = (pred: (r: RegionMeta) => boolean): RegionInfo => {
    const r = knownRegions(c)
      .filter(pred)
      .sort((a, b) => b.epoch.version - a.epoch.version)[0];
    // Between a split's apply and the new region's peers starting, no store knows a region
    // for the right half yet; PD would still answer with the old region. Retryable, as a
    // PD between two updates is.
    if (!r) throw new AtollError(ClientErrorCode.RegionUnavailable, 'no region known yet', true);
    return toInfo(r, c.leaderStore(r.id)?.id);
  };
  return {
    regionByKey: async (key) =>
      find(
        (r) =>
          Buffer.compare(key, r.startKey) >= 0 &&
          (r.endKey.length === 0 || Buffer.compare(key, r.endKey) < 0),
      ),
    regionBefore: async (key) =>
      find((r) =>
        key.length === 0
          ? r.endKey.length === 0
          : Buffer.compare(r.startKey, key) < 0 &&
            (r.endKey.length === 0 || Buffer.compare(r.endKey, key) >= 0),
      ),
    storeAddress: async (id) => `store-${id}`,
    forgetStoreAddress: () => {},
    close: async () => {},
  };
}

export function inProcessSender(c: StoreCluster): KvSender {
  return {
    send: async (address: string, request: KvRequest): Promise<KvResponse> => {
      const id = Number(address.replace('store-', ''));
      const s = c.stores.get(id);
      if (!s?.up) throw new SendError(SendFailure.NotSent, `${address} is down`);
      return s.kv.handle(request);
    },
    close: async () => {},
  };
}

/** The client's clock is the cluster's virtual clock; sleeping lets the cluster tick. */
export function virtualClientEnv(c: StoreCluster, seed = 1): ClientEnv {
  let x = seed >>> 0 || 1;
  return {
    now: () => c.virtualNow(),
    random: () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    },
    sleep: (ms) => c.sleep(ms),
  };
}

/** Runs `work` while the cluster keeps ticking, until it settles. */
export async function drive<T>(c: StoreCluster, work: Promise<T>, maxTicks = 2000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  work.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e;
    },
  );
  await c.settle();
  for (let i = 0; i < maxTicks && !done; i++) await c.tick();
  if (!done) throw new Error(`operation did not finish within ${maxTicks} ticks`);
  if (error !== undefined) throw error;
  return value as T;
}
