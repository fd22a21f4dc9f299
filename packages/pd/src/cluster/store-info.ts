/**
 * What the PD knows about a store: the persisted description plus the statistics of its
 * last heartbeat (in memory only).
 */

import type { StoreMeta } from '../meta/types.js';

/** A store heartbeat as the wiring layer decodes it from StoreHeartbeatRequest. */
export interface StoreStats {
  readonly storeId: number;
  /** Bytes of disk the store may use in all. */
  readonly capacity?: number;
  /** Bytes still free. */
  readonly available?: number;
  readonly usedSize?: number;
  readonly regionCount?: number;
  readonly leaderCount?: number;
  /** Bytes and keys written during the last `intervalMs`. */
  readonly bytesWritten?: number;
  readonly keysWritten?: number;
  readonly intervalMs?: number;
  /** The store is overloaded: no new replicas or leaders go to it for now. */
  readonly isBusy?: boolean;
  readonly startTimeMs?: number;
}

/** A store as the PD knows it. Immutable: every change makes a new one. */
export interface StoreInfo {
  readonly meta: StoreMeta;
  /**
   * When the store last sent a heartbeat. After a PD failover it starts at the moment the new
   * leader loaded, so that no store is declared down for silence nobody observed.
   */
  readonly lastHeartbeatMs: number;
  /** The last heartbeat's statistics, undefined until one arrives this leader term. */
  readonly stats: StoreStats | undefined;
  readonly writtenBytesPerSecond: number;
  readonly writtenKeysPerSecond: number;
}

/** A store's info after a heartbeat. */
export function storeAfterHeartbeat(store: StoreInfo, stats: StoreStats, nowMs: number): StoreInfo {
  const interval = stats.intervalMs ?? 0;
  const perSecond = (n: number | undefined) => (interval > 0 ? ((n ?? 0) * 1000) / interval : 0);
  return {
    meta: store.meta,
    lastHeartbeatMs: nowMs,
    stats,
    writtenBytesPerSecond: perSecond(stats.bytesWritten),
    writtenKeysPerSecond: perSecond(stats.keysWritten),
  };
}
