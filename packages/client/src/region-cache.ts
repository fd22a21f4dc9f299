/**
 * The client's map of regions, sorted by start key, filled from the placement driver and
 * corrected by what stores answer (EpochNotMatch carries the current regions; NotLeader the
 * leader). A region that overlaps a newer one is dropped, so the cache never routes a key
 * to two regions.
 */

import { compare } from './bytes.js';
import type { RegionInfo } from './ports.js';

/** Bound on cached regions; the oldest entries go first. Bigger than any cluster we test. */
export const REGION_CACHE_MAX = 100_000;

export class RegionCache {
  /** Sorted by startKey; invariant: no two overlap. */
  private regions: RegionInfo[] = [];

  get size(): number {
    return this.regions.length;
  }

  /** The cached region containing `key`, if any. */
  find(key: Buffer): RegionInfo | undefined {
    const i = this.indexAtOrBefore(key);
    const r = i >= 0 ? this.regions[i] : undefined;
    return r && contains(r, key) ? r : undefined;
  }

  /** The cached region containing the greatest key below `key` (empty key: the last one). */
  findBefore(key: Buffer): RegionInfo | undefined {
    if (key.length === 0) {
      const last = this.regions[this.regions.length - 1];
      return last && last.endKey.length === 0 ? last : undefined;
    }
    for (let i = this.indexAtOrBefore(key); i >= 0; i--) {
      const r = this.regions[i]!;
      if (compare(r.startKey, key) >= 0) continue;
      return r.endKey.length === 0 || compare(r.endKey, key) >= 0 ? r : undefined;
    }
    return undefined;
  }

  /** Adds or replaces a region; drops every cached region it overlaps. */
  put(region: RegionInfo): void {
    this.regions = this.regions.filter((r) => r.id === region.id || !overlaps(r, region));
    const at = this.regions.findIndex((r) => r.id === region.id);
    if (at >= 0) this.regions.splice(at, 1);
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.regions[mid]!.startKey, region.startKey) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.regions.splice(lo, 0, region);
    if (this.regions.length > REGION_CACHE_MAX)
      this.regions.splice(0, this.regions.length - REGION_CACHE_MAX);
  }

  invalidate(regionId: number): void {
    this.regions = this.regions.filter((r) => r.id !== regionId);
  }

  setLeader(regionId: number, storeId: number | undefined): void {
    const at = this.regions.findIndex((r) => r.id === regionId);
    if (at < 0) return;
    const r = this.regions[at]!;
    this.regions[at] = storeId === undefined ? withoutLeader(r) : { ...r, leaderStoreId: storeId };
  }

  private indexAtOrBefore(key: Buffer): number {
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.regions[mid]!.startKey, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

function withoutLeader(r: RegionInfo): RegionInfo {
  const { leaderStoreId: _, ...rest } = r;
  return rest;
}

export function contains(r: RegionInfo, key: Buffer): boolean {
  return compare(key, r.startKey) >= 0 && (r.endKey.length === 0 || compare(key, r.endKey) < 0);
}

function overlaps(a: RegionInfo, b: RegionInfo): boolean {
  const aBeforeB = a.endKey.length > 0 && compare(a.endKey, b.startKey) <= 0;
  const bBeforeA = b.endKey.length > 0 && compare(b.endKey, a.startKey) <= 0;
  return !aBeforeB && !bBeforeA;
}
