/**
 * How a store joins a cluster run by a placement driver: it keeps its store id in its data
 * folder (asking PD for one the first time), bootstraps the cluster if nobody has (the first
 * store creates region 1 with itself as the only replica; PD grows it to the replica count
 * as other stores join), and registers its address. Afterwards a PdWorker keeps PD informed.
 */

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { atoll } from '@atoll/proto';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { RegionMeta } from '../region.js';

/** The part of @atoll/pd-client's PdClient a joining store uses. */
export interface PdJoinClient {
  readonly clusterId: number;
  isBootstrapped(): Promise<boolean>;
  bootstrap(store: atoll.meta.IStore, region: atoll.meta.IRegion): Promise<void>;
  allocId(count?: number): Promise<number>;
  putStore(store: atoll.meta.IStore): Promise<void>;
  getStore(storeId: number): Promise<{ store: atoll.meta.IStore }>;
}

export interface JoinResult {
  readonly storeId: number;
  readonly clusterId: number;
  /** The first region, if this store bootstrapped the cluster (create it before serving). */
  readonly bootstrapRegion: RegionMeta | undefined;
}

/** File in the data folder holding "<clusterId> <storeId>". */
const IDENTITY_FILE = 'IDENTITY';

function readIdentity(dataDir: string): { clusterId: number; storeId: number } | undefined {
  const path = join(dataDir, IDENTITY_FILE);
  if (!existsSync(path)) return undefined;
  const [clusterId, storeId] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
  if (!clusterId || !storeId)
    throw new StoreError(StoreErrorCode.InvalidConfig, `${path} is damaged`);
  return { clusterId, storeId };
}

function writeIdentity(dataDir: string, clusterId: number, storeId: number): void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, IDENTITY_FILE);
  writeFileSync(`${path}.tmp`, `${clusterId} ${storeId}\n`);
  renameSync(`${path}.tmp`, path);
}

export async function joinCluster(
  pd: PdJoinClient,
  opts: { dataDir: string; address: string; statusAddress: string; version: string },
): Promise<JoinResult> {
  const known = readIdentity(opts.dataDir);
  if (known && known.clusterId !== pd.clusterId) {
    throw new StoreError(
      StoreErrorCode.ClusterMismatch,
      `the data in ${opts.dataDir} belongs to cluster ${known.clusterId}, but PD serves cluster ${pd.clusterId}`,
    );
  }
  const storeId = known?.storeId ?? (await pd.allocId(1));
  if (!known) writeIdentity(opts.dataDir, pd.clusterId, storeId);
  const store: atoll.meta.IStore = {
    id: storeId,
    address: opts.address,
    statusAddress: opts.statusAddress,
    state: 0,
    version: opts.version,
  };

  let bootstrapRegion: RegionMeta | undefined;
  if (!(await pd.isBootstrapped())) {
    const regionId = await pd.allocId(1);
    const peerId = await pd.allocId(1);
    const region: RegionMeta = {
      id: regionId,
      startKey: new Uint8Array(),
      endKey: new Uint8Array(),
      epoch: { confVer: 1, version: 1 },
      peers: [{ id: peerId, storeId, isLearner: false }],
    };
    try {
      await pd.bootstrap(store, {
        id: region.id,
        startKey: region.startKey,
        endKey: region.endKey,
        epoch: region.epoch,
        peers: region.peers.map((p) => ({ id: p.id, storeId: p.storeId, role: 0 })),
      });
      bootstrapRegion = region;
    } catch (e) {
      // Another store bootstrapped first: join like everyone else.
      if ((e as { code?: string }).code !== 'PD_ERR_ALREADY_BOOTSTRAPPED') throw e;
    }
  }
  await pd.putStore(store);
  return { storeId, clusterId: pd.clusterId, bootstrapRegion };
}

/** Store addresses through PD: `resolve` caches them briefly, `forget` drops one. */
export interface StoreResolver {
  resolve(storeId: number): Promise<string>;
  /** The store did not answer: ask PD again next time (it may have restarted elsewhere). */
  forget(storeId: number): void;
}

/** Resolves store addresses through PD, caching them briefly. */
export function pdStoreResolver(pd: PdJoinClient, ttlMs = 10_000): StoreResolver {
  const cache = new Map<number, { address: string; at: number }>();
  const resolve = async (storeId: number): Promise<string> => {
    const hit = cache.get(storeId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.address;
    const { store } = await pd.getStore(storeId);
    if (!store.address)
      throw new StoreError(
        StoreErrorCode.InvalidConfig,
        `PD knows no address for store ${storeId}`,
      );
    cache.set(storeId, { address: store.address, at: Date.now() });
    return store.address;
  };
  return { resolve, forget: (storeId) => void cache.delete(storeId) };
}
