/**
 * What the PD knows about a region: the persisted description plus the statistics its
 * leader last reported (kept in memory only), and the checks a reported description must
 * pass before the PD believes it.
 */

import { PdError, PdErrorCode } from '../errors.js';
import { describeRegion } from '../meta/epoch.js';
import { compareBytes, isValidRange, keyInRegion } from '../meta/keys.js';
import type { PeerMeta, RegionMeta } from '../meta/types.js';

/** A peer the leader reports as unresponsive, and for how long. */
export interface DownPeer {
  readonly peer: PeerMeta;
  readonly downSeconds: number;
}

/** A region heartbeat as the wiring layer decodes it from RegionHeartbeatRequest. */
export interface RegionHeartbeat {
  readonly region: RegionMeta;
  /** The reporting leader: must be a voter of `region`. */
  readonly leader: PeerMeta;
  readonly downPeers?: readonly DownPeer[];
  /** Peers still catching up (a learner receiving a snapshot, a lagging follower). */
  readonly pendingPeers?: readonly PeerMeta[];
  /** Bytes of data in the region, approximately. */
  readonly approximateSize?: number;
  readonly approximateKeys?: number;
  /** Bytes and keys written during the last `intervalMs`. */
  readonly bytesWritten?: number;
  readonly keysWritten?: number;
  readonly intervalMs?: number;
  /** The region's approximate middle key, if the store knows it (a split point). */
  readonly splitKeyHint?: Uint8Array;
}

/** A region as the PD knows it. Immutable: every heartbeat makes a new one. */
export interface RegionInfo {
  readonly meta: RegionMeta;
  /** Undefined until the region's leader reports during this PD leader term. */
  readonly leader: PeerMeta | undefined;
  readonly downPeers: readonly DownPeer[];
  readonly pendingPeers: readonly PeerMeta[];
  readonly approximateSize: number;
  readonly approximateKeys: number;
  readonly writtenBytesPerSecond: number;
  readonly writtenKeysPerSecond: number;
  /** A usable split key strictly inside the region, if the store reported one. */
  readonly splitKeyHint: Uint8Array | undefined;
  /** When the last heartbeat arrived during this term, if any. */
  readonly lastHeartbeatMs: number | undefined;
  /** Since when the write rate has stayed over a load-split threshold, if it has. */
  readonly hotSinceMs: number | undefined;
}

/** A region and its leader, as lookups return them. */
export interface RegionWithLeader {
  readonly region: RegionMeta;
  readonly leader: PeerMeta | undefined;
}

/** A region known only from storage (no heartbeat yet this term). */
export function regionFromStorage(meta: RegionMeta): RegionInfo {
  return {
    meta,
    leader: undefined,
    downPeers: [],
    pendingPeers: [],
    approximateSize: 0,
    approximateKeys: 0,
    writtenBytesPerSecond: 0,
    writtenKeysPerSecond: 0,
    splitKeyHint: undefined,
    lastHeartbeatMs: undefined,
    hotSinceMs: undefined,
  };
}

/** Load-split thresholds that decide `hotSinceMs`. */
export interface HotThresholds {
  readonly bytesPerSecond: number;
  readonly keysPerSecond: number;
}

/**
 * The region info a heartbeat yields. `previous` carries the hot streak forward, unless the
 * range changed (a split starts both halves afresh).
 */
export function regionFromHeartbeat(
  hb: RegionHeartbeat,
  previous: RegionInfo | undefined,
  nowMs: number,
  hot: HotThresholds,
): RegionInfo {
  const interval = hb.intervalMs ?? 0;
  const perSecond = (n: number | undefined) => (interval > 0 ? ((n ?? 0) * 1000) / interval : 0);
  const bytesRate = perSecond(hb.bytesWritten);
  const keysRate = perSecond(hb.keysWritten);
  const isHot = bytesRate > hot.bytesPerSecond || keysRate > hot.keysPerSecond;
  const sameRange =
    previous !== undefined &&
    compareBytes(previous.meta.startKey, hb.region.startKey) === 0 &&
    compareBytes(previous.meta.endKey, hb.region.endKey) === 0;
  const hint = hb.splitKeyHint;
  const usableHint =
    hint &&
    hint.length > 0 &&
    keyInRegion(hint, hb.region) &&
    compareBytes(hint, hb.region.startKey) > 0;
  return {
    meta: hb.region,
    leader: hb.leader,
    downPeers: hb.downPeers ?? [],
    pendingPeers: hb.pendingPeers ?? [],
    approximateSize: hb.approximateSize ?? 0,
    approximateKeys: hb.approximateKeys ?? 0,
    writtenBytesPerSecond: bytesRate,
    writtenKeysPerSecond: keysRate,
    splitKeyHint: usableHint ? hint : undefined,
    lastHeartbeatMs: nowMs,
    hotSinceMs: isHot ? ((sameRange ? previous.hotSinceMs : undefined) ?? nowMs) : undefined,
  };
}

/** Throws PD_ERR_INVALID_REGION unless `region` is a well-formed description. */
export function validateRegion(region: RegionMeta): void {
  const bad = (why: string): never => {
    throw new PdError(PdErrorCode.InvalidRegion, `${describeRegion(region)}: ${why}`, false, {
      regionId: region.id,
    });
  };
  if (!isPositiveId(region.id)) bad('the id must be a positive integer');
  if (!isCount(region.epoch.confVer) || !isCount(region.epoch.version)) bad('bad epoch');
  if (!isValidRange(region.startKey, region.endKey)) bad('the range is empty');
  if (region.peers.length === 0) bad('no peers');
  const peerIds = new Set<number>();
  const storeIds = new Set<number>();
  for (const p of region.peers) {
    if (!isPositiveId(p.id) || !isPositiveId(p.storeId)) bad('a peer has a bad id');
    if (peerIds.has(p.id)) bad(`peer ${p.id} appears twice`);
    if (storeIds.has(p.storeId)) bad(`two peers on store ${p.storeId}`);
    peerIds.add(p.id);
    storeIds.add(p.storeId);
  }
  if (region.peers.every((p) => p.isLearner)) bad('no voters');
}

/** Throws PD_ERR_INVALID_REGION unless `leader` is a voter of `region`. */
export function validateLeader(region: RegionMeta, leader: PeerMeta): void {
  const p = region.peers.find((q) => q.id === leader.id);
  if (!p || p.storeId !== leader.storeId || p.isLearner) {
    throw new PdError(
      PdErrorCode.InvalidRegion,
      `${describeRegion(region)}: leader ${leader.id} is not one of its voters`,
      false,
      { regionId: region.id },
    );
  }
}

function isPositiveId(v: number): boolean {
  return Number.isSafeInteger(v) && v > 0;
}

function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}
