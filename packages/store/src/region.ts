/**
 * Region metadata helpers. A region is [startKey, endKey); an empty endKey is unbounded.
 * Keys compare as unsigned bytes.
 */

import type { atoll } from '@atoll/proto';

export interface Epoch {
  readonly confVer: number;
  readonly version: number;
}

export interface PeerMeta {
  readonly id: number;
  readonly storeId: number;
  readonly isLearner: boolean;
}

export interface RegionMeta {
  readonly id: number;
  readonly startKey: Uint8Array;
  /** Empty means unbounded. */
  readonly endKey: Uint8Array;
  readonly epoch: Epoch;
  readonly peers: readonly PeerMeta[];
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function keyInRegion(key: Uint8Array, r: RegionMeta): boolean {
  return (
    compareBytes(key, r.startKey) >= 0 && (r.endKey.length === 0 || compareBytes(key, r.endKey) < 0)
  );
}

/** Whether [start, end) lies within the region (end empty = unbounded). */
export function rangeInRegion(start: Uint8Array, end: Uint8Array, r: RegionMeta): boolean {
  if (compareBytes(start, r.startKey) < 0) return false;
  if (r.endKey.length === 0) return true;
  return end.length > 0 && compareBytes(end, r.endKey) <= 0;
}

/** Whether [aStart, aEnd) and [bStart, bEnd) share a key (an empty end is unbounded). */
export function rangesOverlap(
  aStart: Uint8Array,
  aEnd: Uint8Array,
  bStart: Uint8Array,
  bEnd: Uint8Array,
): boolean {
  const aBeforeB = aEnd.length > 0 && compareBytes(aEnd, bStart) <= 0;
  const bBeforeA = bEnd.length > 0 && compareBytes(bEnd, aStart) <= 0;
  return !aBeforeB && !bBeforeA;
}

export function sameEpoch(a: Epoch, b: Epoch): boolean {
  return a.confVer === b.confVer && a.version === b.version;
}

export function toProtoRegion(r: RegionMeta): atoll.meta.IRegion {
  return {
    id: r.id,
    startKey: r.startKey,
    endKey: r.endKey,
    epoch: { confVer: r.epoch.confVer, version: r.epoch.version },
    peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, role: p.isLearner ? 1 : 0 })),
  };
}

export function fromProtoRegion(r: atoll.meta.IRegion): RegionMeta {
  return {
    id: Number(r.id ?? 0),
    startKey: r.startKey ?? new Uint8Array(),
    endKey: r.endKey ?? new Uint8Array(),
    epoch: { confVer: Number(r.epoch?.confVer ?? 0), version: Number(r.epoch?.version ?? 0) },
    peers: (r.peers ?? []).map((p) => ({
      id: Number(p.id ?? 0),
      storeId: Number(p.storeId ?? 0),
      isLearner: p.role === 1,
    })),
  };
}

export function describeRegion(r: RegionMeta): string {
  const hex = (k: Uint8Array) => (k.length === 0 ? '' : Buffer.from(k).toString('hex'));
  return `region ${r.id} [${hex(r.startKey)}, ${hex(r.endKey) || '+inf'}) epoch ${r.epoch.confVer}/${r.epoch.version}`;
}

/** A removed peer, as remembered by `Store.tombstones`. */
export interface Tombstone {
  readonly peerId: number;
  readonly confVer: number;
}

export function tombstoneOf(peerId: number, region: RegionMeta): Tombstone {
  return { peerId, confVer: region.epoch.confVer };
}
