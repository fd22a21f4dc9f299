/**
 * Which regions have a peer, and which a leader, on each store: kept up to date on every
 * region change so that per-store counts and "regions on store s" cost nothing to read
 * (schedulers ask for them on every pass).
 */

import type { RegionInfo } from './region-info.js';

/** Region ids by store, for peers and for leaders. */
export class StoreRegionIndex {
  private readonly peers = new Map<number, Set<number>>();
  private readonly leaders = new Map<number, Set<number>>();

  /** Records a region's peers and leader. */
  add(info: RegionInfo): void {
    for (const p of info.meta.peers) setFor(this.peers, p.storeId).add(info.meta.id);
    if (info.leader) setFor(this.leaders, info.leader.storeId).add(info.meta.id);
  }

  /** Forgets a region's peers and leader (as recorded by add). */
  remove(info: RegionInfo): void {
    for (const p of info.meta.peers) this.peers.get(p.storeId)?.delete(info.meta.id);
    if (info.leader) this.leaders.get(info.leader.storeId)?.delete(info.meta.id);
  }

  /** Ids of regions with a peer on the store (live view: do not mutate). */
  regionsOn(storeId: number): ReadonlySet<number> {
    return this.peers.get(storeId) ?? EMPTY;
  }

  /** Ids of regions led from the store (live view: do not mutate). */
  leadersOn(storeId: number): ReadonlySet<number> {
    return this.leaders.get(storeId) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<number> = new Set();

function setFor(map: Map<number, Set<number>>, storeId: number): Set<number> {
  let s = map.get(storeId);
  if (!s) {
    s = new Set();
    map.set(storeId, s);
  }
  return s;
}
