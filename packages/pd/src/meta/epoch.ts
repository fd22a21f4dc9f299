/**
 * Epoch and region-description helpers: comparisons the PD and the store both need, and a
 * one-line description for logs. Pure functions.
 */

import { toHex } from './keys.js';
import type { Epoch, PeerMeta, RegionMeta } from './types.js';

/** Whether two epochs are identical. */
export function sameEpoch(a: Epoch, b: Epoch): boolean {
  return a.confVer === b.confVer && a.version === b.version;
}

/**
 * Whether `a` is older than `b` in either component. An epoch is only ever replaced by one
 * that is at least as new in both (splits bump version, membership changes bump confVer).
 */
export function isEpochStale(a: Epoch, b: Epoch): boolean {
  return a.version < b.version || a.confVer < b.confVer;
}

/** The region's peer on a store, if any. */
export function peerOnStore(region: RegionMeta, storeId: number): PeerMeta | undefined {
  return region.peers.find((p) => p.storeId === storeId);
}

/** The region's peer with an id, if any. */
export function peerById(region: RegionMeta, peerId: number): PeerMeta | undefined {
  return region.peers.find((p) => p.id === peerId);
}

/** The region's voters (peers that are not learners). */
export function voters(region: RegionMeta): PeerMeta[] {
  return region.peers.filter((p) => !p.isLearner);
}

/** The region's learners. */
export function learners(region: RegionMeta): PeerMeta[] {
  return region.peers.filter((p) => p.isLearner);
}

/** "region 7 [61, 6d) epoch 3/2": for logs and error messages. */
export function describeRegion(r: RegionMeta): string {
  const end = r.endKey.length === 0 ? '+inf' : toHex(r.endKey);
  return `region ${r.id} [${toHex(r.startKey)}, ${end}) epoch ${r.epoch.confVer}/${r.epoch.version}`;
}
