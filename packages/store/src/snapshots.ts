/**
 * Region snapshots. The Raft snapshot message carries only metadata and the region's
 * description; the data streams separately in bounded chunks (transport.sendSnapshot), read
 * from a storage view fixed at the snapshot's applied index.
 *
 * The snapshot message's data is a RegionSnapshotState: the region and its applied-request
 * table (request-table.ts), both as of the snapshot's index.
 *
 * Sending: the Raft core asks storage for a snapshot; we answer "temporarily unavailable"
 * and generate one between two loop iterations, when the committed data is exactly the
 * applied index. The next attempt gets it. Each generated snapshot is sent once.
 *
 * Receiving: chunks are staged first (not visible), then the Snapshot message is stepped
 * into Raft; when the Raft core hands the snapshot to the loop, the staged data replaces the
 * region's range in the same batch that records the new log position.
 */

import { atoll } from '@atoll/proto';
import { RaftError, RaftErrorCode, type Snapshot, SnapshotStatus } from '@atoll/raft';
import type { RaftEnvelope } from './env/transport.js';
import { toProtoRegion } from './region.js';
import type { RegionPeer } from './region-peer.js';
import type { SnapshotChunks } from './storage-port.js';
import type { Store } from './store.js';

interface GeneratedSnapshot {
  readonly snapshot: Snapshot;
  readonly chunks: SnapshotChunks;
  /** Store tick it was generated at. */
  readonly tick: number;
}

/**
 * Generated snapshots not yet sent, per store. Each pins an LMDB reader slot (126 per
 * environment): a store that pinned one for every region a lagging store needs crashed with
 * MDB_READERS_FULL. So at most MAX_PINNED wait at once, and one not sent within UNSENT_TICKS
 * (Raft chose otherwise: the follower caught up, leadership moved) is released; a later
 * request generates a fresh one.
 */
const generatedByStore = new WeakMap<Store, Map<RegionPeer, GeneratedSnapshot>>();
const MAX_PINNED = 16;
const UNSENT_TICKS = 200;

function generatedOf(store: Store): Map<RegionPeer, GeneratedSnapshot> {
  let m = generatedByStore.get(store);
  if (!m) {
    m = new Map();
    generatedByStore.set(store, m);
  }
  return m;
}

/** Releases generated snapshots that went unsent too long or whose peer is gone. */
function sweepGenerated(store: Store): void {
  const generated = generatedOf(store);
  for (const [peer, g] of generated) {
    if (store.tick - g.tick >= UNSENT_TICKS || !store.peers.has(peer.region.id) || peer.removed) {
      generated.delete(peer);
      g.chunks.release();
    }
  }
}

/** Releases every generated snapshot (the store is stopping). */
export function releaseSnapshots(store: Store): void {
  const generated = generatedOf(store);
  for (const g of generated.values()) g.chunks.release();
  generated.clear();
}

/** The snapshot source a region's log hands to the Raft core. */
export function snapshotSource(store: Store, peer: RegionPeer): () => Snapshot {
  return () => {
    const g = generatedOf(store).get(peer);
    if (g) return g.snapshot;
    store.snapshotRequests.add(peer);
    store.markDirty(peer);
    throw new RaftError(
      RaftErrorCode.SnapshotTemporarilyUnavailable,
      'snapshot is being generated',
      {},
      true,
    );
  };
}

/** Generates requested snapshots; called between iterations (data == applied index). */
export function generateSnapshots(store: Store): void {
  sweepGenerated(store);
  const generated = generatedOf(store);
  for (const peer of store.snapshotRequests) {
    store.snapshotRequests.delete(peer);
    if (!store.peers.has(peer.region.id)) continue;
    // Too many waiting: Raft asks again on its next attempt to send one.
    if (generated.size >= MAX_PINNED && !generated.has(peer)) continue;
    generated.get(peer)?.chunks.release();
    const index = peer.appliedIndex;
    const snapshot: Snapshot = {
      metadata: { index, term: peer.node.raft.log.term(index), confState: peer.confState },
      data: atoll.store.RegionSnapshotState.encode({
        region: toProtoRegion(peer.region),
        ...peer.requests.toSnapshot(),
      }).finish(),
    };
    const chunks = store.storage.exportRange(peer.region.startKey, peer.region.endKey);
    generated.set(peer, { snapshot, chunks, tick: store.tick });
    store.markDirty(peer);
  }
}

/** Streams the generated snapshot to `toStore` and reports the outcome to Raft. */
export function sendSnapshot(
  store: Store,
  peer: RegionPeer,
  toStore: number,
  envelope: RaftEnvelope,
): void {
  const generated = generatedOf(store);
  const g = generated.get(peer);
  generated.delete(peer);
  const toPeer = Number(envelope.toPeer?.id ?? 0);
  const report = (status: SnapshotStatus) => {
    if (!store.peers.has(peer.region.id)) return;
    peer.node.reportSnapshot(toPeer, status);
    store.markDirty(peer);
  };
  if (!g) {
    report(SnapshotStatus.Failure);
    return;
  }
  store.transport.sendSnapshot(toStore, envelope, g.chunks).then(
    () => report(SnapshotStatus.Finished),
    (e: unknown) => {
      // Refused before reading (too many in flight, transport closed): free the view.
      g.chunks.release();
      store.logger.warn(
        { region: peer.region.id, toStore, error: String(e) },
        'sending a snapshot failed',
      );
      report(SnapshotStatus.Failure);
    },
  );
}

/** Stages a received snapshot's data, then hands the Snapshot message to Raft. */
export async function receiveSnapshot(
  store: Store,
  envelope: RaftEnvelope,
  chunks: AsyncIterable<Uint8Array>,
): Promise<void> {
  const regionId = Number(envelope.regionId ?? 0);
  await store.storage.stageSnapshot(regionId, chunks);
  // Route like any message: this may create the (empty) peer the snapshot initializes.
  store.onEnvelopes(Number(envelope.fromPeer?.storeId ?? 0), [envelope]);
  const peer = store.peers.get(regionId);
  // Raft did not take it (stale, or not for this peer): the staged data is not needed.
  if (!peer?.node.raft.log.hasNextOrInProgressSnapshot())
    store.storage.dropStagedSnapshot(regionId);
}
