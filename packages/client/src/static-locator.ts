/**
 * A RegionLocator from a fixed list of regions and store addresses, for clusters placed by
 * hand (before the placement driver) and for tests. Stale entries are corrected at run time
 * by what stores answer (EpochNotMatch carries the current regions).
 */

import { compare } from './bytes.js';
import { AtollError, ClientErrorCode } from './errors.js';
import type { RegionInfo, RegionLocator } from './ports.js';
import { contains } from './region-cache.js';

export function staticLocator(
  regions: readonly RegionInfo[],
  addresses: ReadonlyMap<number, string>,
): RegionLocator {
  const sorted = [...regions].sort((a, b) => compare(a.startKey, b.startKey));
  const missing = (what: string) =>
    new AtollError(ClientErrorCode.RegionUnavailable, `no region ${what}`);
  return {
    regionByKey: async (key) => {
      const r = sorted.find((x) => contains(x, key));
      if (!r) throw missing(`contains key ${key.toString('hex')}`);
      return r;
    },
    regionBefore: async (key) => {
      const r =
        key.length === 0
          ? sorted.find((x) => x.endKey.length === 0)
          : sorted.find(
              (x) =>
                compare(x.startKey, key) < 0 &&
                (x.endKey.length === 0 || compare(x.endKey, key) >= 0),
            );
      if (!r) throw missing(`before key ${key.toString('hex')}`);
      return r;
    },
    storeAddress: async (id) => {
      const a = addresses.get(id);
      if (!a)
        throw new AtollError(ClientErrorCode.RegionUnavailable, `store ${id} has no known address`);
      return a;
    },
    // Static addresses never move.
    forgetStoreAddress: () => {},
    close: async () => {},
  };
}
