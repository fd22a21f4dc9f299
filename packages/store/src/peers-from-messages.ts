/**
 * Peers a message creates or destroys. A message for a region this store lacks may create an
 * empty peer (a new replica, initialized by a snapshot). Stale peers: a peer removed from its region while it could not hear of it (its store was
 * down or cut off) never applies its removal. Members that get a message from it answer with
 * a tombstone envelope; its store destroys it when told so, or when the region addresses a
 * different, newer peer on that store. Only a newer membership version (confVer) counts, so
 * a delayed message from an old membership cannot destroy a live peer.
 */

import type { RaftEnvelope } from './env/transport.js';
import { type RegionMeta, rangesOverlap } from './region.js';
import type { RegionPeer } from './region-peer.js';
import type { Store } from './store.js';

/** Marks `peer` for destruction by the next loop iteration (durably, like an applied removal). */
export function collectStale(store: Store, peer: RegionPeer): void {
  if (peer.stale || peer.removed) return;
  peer.stale = true;
  store.logger.info(
    { store: store.storeId, region: peer.region.id, peer: peer.peerId },
    'peer is stale (removed while it could not hear of it): destroying it',
  );
  store.markDirty(peer);
}

/** Whether `env` comes from a peer our (newer) membership no longer includes. */
export function isFromRemovedPeer(env: RaftEnvelope, peer: RegionPeer): boolean {
  if (peer.region.peers.length === 0 || !env.fromPeer) return false;
  if (Number(env.epoch?.confVer ?? 0) >= peer.region.epoch.confVer) return false;
  const from = Number(env.fromPeer.id ?? 0);
  return !peer.region.peers.some((p) => p.id === from);
}

/** Tells the sender of `env` that our region (at our epoch) no longer includes it. */
export function sendTombstone(store: Store, peer: RegionPeer, env: RaftEnvelope): void {
  const to = env.fromPeer!;
  store.transport.send(Number(to.storeId ?? 0), [
    {
      regionId: peer.region.id,
      fromPeer: { id: peer.peerId, storeId: store.storeId },
      toPeer: { id: Number(to.id ?? 0), storeId: Number(to.storeId ?? 0) },
      epoch: peer.region.epoch,
      isTombstone: true,
    },
  ]);
  store.transport.flush();
}

/**
 * A message for a region this store does not have: a new peer being added here. It is
 * created empty and initialized by a snapshot. Never when the range overlaps a region we
 * have (a split we have not applied yet would create it) or the region was removed here.
 */
export function maybeCreateFromMessage(store: Store, env: RaftEnvelope): RegionPeer | undefined {
  const regionId = Number(env.regionId ?? 0);
  // A split or bootstrap here is creating it as we speak (its batch is not durable yet).
  if (store.creating.has(regionId)) return undefined;
  const toPeer = env.toPeer;
  if (!toPeer || Number(toPeer.storeId) !== store.storeId) return undefined;
  const removed = store.tombstones.get(regionId);
  if (
    removed &&
    (Number(toPeer.id) === removed.peerId || Number(env.epoch?.confVer ?? 0) <= removed.confVer)
  )
    return undefined;
  const start = env.startKey ?? new Uint8Array();
  const end = env.endKey ?? new Uint8Array();
  for (const p of store.peers.values())
    if (rangesOverlap(start, end, p.region.startKey, p.region.endKey)) return undefined;
  const region: RegionMeta = {
    id: regionId,
    startKey: start,
    endKey: end,
    epoch: { confVer: 0, version: 0 },
    peers: [],
  };
  const empty = {
    voters: [],
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
    autoLeave: false,
  };
  return store.createPeer({
    region,
    peerId: Number(toPeer.id),
    tombstone: false,
    appliedIndex: 0,
    confState: empty,
  });
}
