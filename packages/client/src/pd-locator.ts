/**
 * A RegionLocator backed by the placement driver: region lookups by key, the region before
 * a key (reverse scans), and store addresses (cached; refreshed when a store is unreachable).
 * Works with @atoll/pd-client's PdClient, which follows the PD leader.
 */

import type { atoll } from '@atoll/proto';
import { AtollError, ClientErrorCode } from './errors.js';
import type { RegionInfo, RegionLocator } from './ports.js';
import { regionFromProto } from './region-call.js';

/** The part of a PD client the locator uses. */
export interface PdRegionSource {
  getRegion(
    key: Uint8Array,
  ): Promise<{ region: atoll.meta.IRegion; leader?: atoll.meta.IPeer | null }>;
  getPrevRegion(
    key: Uint8Array,
  ): Promise<{ region: atoll.meta.IRegion; leader?: atoll.meta.IPeer | null }>;
  getStore(storeId: number): Promise<{ store: atoll.meta.IStore }>;
  close(): Promise<void>;
}

/** How long a store's address is trusted before asking PD again. */
const STORE_ADDRESS_TTL_MS = 60_000;

export function pdLocator(pd: PdRegionSource, now: () => number = Date.now): RegionLocator {
  const addresses = new Map<number, { address: string; at: number }>();
  const wrap = async (
    get: () => Promise<{ region: atoll.meta.IRegion; leader?: atoll.meta.IPeer | null }>,
  ): Promise<RegionInfo> => {
    try {
      const { region, leader } = await get();
      return regionFromProto(region, leader?.storeId ? Number(leader.storeId) : undefined);
    } catch (e) {
      if (e instanceof AtollError) throw e;
      throw new AtollError(
        ClientErrorCode.PdUnavailable,
        `placement driver: ${(e as Error).message}`,
        true,
        {},
        { cause: e },
      );
    }
  };
  return {
    regionByKey: (key) => wrap(() => pd.getRegion(key)),
    regionBefore: (key) => wrap(() => pd.getPrevRegion(key)),
    storeAddress: async (storeId) => {
      const cached = addresses.get(storeId);
      if (cached && now() - cached.at < STORE_ADDRESS_TTL_MS) return cached.address;
      const { store } = await pd.getStore(storeId);
      if (!store.address)
        throw new AtollError(ClientErrorCode.RegionUnavailable, `store ${storeId} has no address`);
      addresses.set(storeId, { address: store.address, at: now() });
      return store.address;
    },
    // A store restarted on another port is found again at once, not after the TTL.
    forgetStoreAddress: (storeId) => {
      addresses.delete(storeId);
    },
    close: () => pd.close(),
  };
}
