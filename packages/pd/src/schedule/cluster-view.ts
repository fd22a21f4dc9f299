/**
 * The cluster as schedulers and the operator controller judge it at one instant: each
 * store's health (derived from its state and its silence), whether a peer is dead, pending
 * or healthy, per-store counts. Built once per scheduling pass or heartbeat; reads only.
 */

import type { ClusterMeta } from '../cluster/cluster-meta.js';
import type { RegionInfo } from '../cluster/region-info.js';
import type { PdConfig } from '../config.js';
import type { PeerMeta } from '../meta/types.js';

/**
 * `up`: state up and heard from within storeDisconnectMs. `disconnected`: up but silent
 * longer (no new work goes there; its peers are not rebuilt yet). `down`: silent longer than
 * maxStoreDownTimeMs (its peers are rebuilt elsewhere). `offline`: being decommissioned (its
 * peers are moved away). `tombstone`: removed. `unknown`: never registered.
 */
export type StoreHealth = 'up' | 'disconnected' | 'down' | 'offline' | 'tombstone' | 'unknown';

/** One instant's judgement of the cluster. */
export class ClusterView {
  private readonly health = new Map<number, StoreHealth>();

  constructor(
    readonly meta: ClusterMeta,
    readonly config: PdConfig,
    readonly nowMs: number,
  ) {}

  /** The store's health now. */
  storeHealth(storeId: number): StoreHealth {
    let h = this.health.get(storeId);
    if (h === undefined) {
      h = this.computeHealth(storeId);
      this.health.set(storeId, h);
    }
    return h;
  }

  /** Whether the store can take new peers or leaders (up, reported this term, not busy). */
  canReceive(storeId: number): boolean {
    const store = this.meta.getStore(storeId);
    return this.storeHealth(storeId) === 'up' && store?.stats !== undefined && !store.stats.isBusy;
  }

  /** Whether the store has room for another replica (free space over minAvailableRatio). */
  hasSpace(storeId: number): boolean {
    const stats = this.meta.getStore(storeId)?.stats;
    const capacity = stats?.capacity ?? 0;
    if (capacity === 0) return true;
    return (stats?.available ?? 0) / capacity >= this.config.minAvailableRatio;
  }

  /** Free bytes the store last reported (0 if unknown). */
  available(storeId: number): number {
    return this.meta.getStore(storeId)?.stats?.available ?? 0;
  }

  /**
   * Whether a peer is lost: its store is down, removed or unknown, or the leader has reported
   * the peer itself unresponsive for longer than maxStoreDownTimeMs.
   */
  isPeerDead(region: RegionInfo, peer: PeerMeta): boolean {
    const h = this.storeHealth(peer.storeId);
    if (h === 'down' || h === 'tombstone' || h === 'unknown') return true;
    const down = region.downPeers.find((d) => d.peer.id === peer.id);
    return down !== undefined && down.downSeconds * 1000 >= this.config.maxStoreDownTimeMs;
  }

  /** Whether a live peer should still be moved away (its store is being decommissioned). */
  isPeerLeaving(peer: PeerMeta): boolean {
    return this.storeHealth(peer.storeId) === 'offline';
  }

  /** Whether the leader reports the peer as catching up. */
  isPeerPending(region: RegionInfo, peer: PeerMeta): boolean {
    return region.pendingPeers.some((p) => p.id === peer.id);
  }

  /** Whether the leader reports the peer as unresponsive (for any time). */
  isPeerReportedDown(region: RegionInfo, peer: PeerMeta): boolean {
    return region.downPeers.some((d) => d.peer.id === peer.id);
  }

  /** Up to date, responsive and on a store that is up: fit to lead or to be counted on. */
  isPeerHealthy(region: RegionInfo, peer: PeerMeta): boolean {
    return (
      this.storeHealth(peer.storeId) === 'up' &&
      !this.isPeerPending(region, peer) &&
      !this.isPeerReportedDown(region, peer)
    );
  }

  /** Regions with a peer on the store. */
  regionCount(storeId: number): number {
    return this.meta.regionsOnStore(storeId).size;
  }

  /** Regions led from the store. */
  leaderCount(storeId: number): number {
    return this.meta.leadersOnStore(storeId).size;
  }

  private computeHealth(storeId: number): StoreHealth {
    const store = this.meta.getStore(storeId);
    if (!store) return 'unknown';
    if (store.meta.state === 'tombstone') return 'tombstone';
    const silentMs = this.nowMs - store.lastHeartbeatMs;
    if (silentMs > this.config.maxStoreDownTimeMs) return 'down';
    if (store.meta.state === 'offline') return 'offline';
    return silentMs > this.config.storeDisconnectMs ? 'disconnected' : 'up';
  }
}
