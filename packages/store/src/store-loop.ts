/**
 * The store loop. Each iteration:
 *  1. takes the Ready of every touched peer (and starts its pending reads);
 *  2. sends the messages that are safe now (a leader's appends) batched per store;
 *  3. writes every peer's log entries and hard state, and applies committed entries with
 *     each region's applied index, into ONE batch, committed with ONE fsync;
 *  4. reports the Readys persisted, sends what had to wait for durability (votes, acks),
 *     answers the clients whose writes were applied, serves reads that may now be served.
 * The next iteration starts as soon as this one's batch is durable; everything that arrived
 * meanwhile rides in it (group commit).
 */

import { atoll } from '@atoll/proto';
import { isRaftError, type Message, MessageType, RaftErrorCode, type Ready } from '@atoll/raft';
import { type ApplyResult, applyEntries, SPLIT_INIT_INDEX } from './apply.js';
import type { RaftEnvelope } from './env/transport.js';
import { noteQuiesce } from './hibernation.js';
import { maybeCompactLog } from './log-gc.js';
import { messageToProto } from './raft-codec.js';
import { fromProtoRegion } from './region.js';
import { notLeader, proposalDropped } from './region-errors.js';
import type { RegionPeer } from './region-peer.js';
import { generateSnapshots, sendSnapshot } from './snapshots.js';
import type { Store } from './store.js';
import { WriteOverlay } from './write-overlay.js';

interface PeerWork {
  readonly peer: RegionPeer;
  readonly ready: Ready;
  readonly applied: ApplyResult | undefined;
}

/** Runs iterations until no peer is left to process. */
export async function runLoop(store: Store): Promise<void> {
  while (store.dirty.size > 0 && !store.stopped) {
    await iterate(store);
  }
}

async function iterate(store: Store): Promise<void> {
  const peers = store.dirty;
  store.dirty = new Set();
  const batch = store.storage.newBatch();
  const overlay = new WriteOverlay(batch);
  const work: PeerWork[] = [];

  for (const peer of peers) {
    if (!store.peers.has(peer.region.id)) continue;
    startReads(store, peer);
    if (!peer.node.hasReady()) continue;
    const ready = peer.node.ready();
    if (ready.softState && !peer.isLeader) {
      peer.failUnconfirmedReads({
        ok: false,
        regionError: notLeader(peer.region, peer.leaderPeerId),
      });
    }
    send(store, peer, ready.messages);
    const regionId = peer.region.id;

    if (ready.snapshot) installSnapshot(store, peer, ready, batch);
    batch.appendEntries(regionId, ready.entries);
    // A commit-index-only change need not wait for an fsync (Ready.mustSync says so).
    if (ready.hardState) batch.setHardState(regionId, ready.hardState, ready.mustSync);
    for (const rs of ready.readStates) peer.readIndexReady(rs.context, rs.index);

    let applied: ApplyResult | undefined;
    if (ready.committedEntries.length > 0) {
      applied = applyEntries(peer, ready.committedEntries, {
        batch,
        storage: store.storage,
        overlay,
        storeId: store.storeId,
        regionExists: (id) => store.peers.has(id) || store.tombstones.has(id),
      });
    }
    if (applied && !applied.removedSelf)
      maybeCompactLog(peer, batch, store.config.logCompactEntries);
    if (applied?.removedSelf) {
      // This store left the region: its data and log go in the same batch as the tombstone.
      batch.clearRange(peer.region.startKey, peer.region.endKey);
      batch.destroyRegionLog(regionId);
    }
    if (ready.snapshot || applied?.regionChanged || applied?.removedSelf) {
      batch.setRegionState({
        region: peer.region,
        peerId: peer.peerId,
        tombstone: applied?.removedSelf ?? false,
        appliedIndex: applied?.lastIndex ?? ready.snapshot!.metadata.index,
        confState: peer.confState,
      });
    } else if (applied) {
      batch.setApplied(regionId, applied.lastIndex);
    }
    work.push({ peer, ready, applied });
  }

  // Appends go out while our own write is in flight (Raft thesis §10.2.1).
  store.transport.flush();
  if (work.length > 0) {
    const started = store.env.now();
    await batch.commit();
    const m = store.metrics;
    m.fsyncSeconds.observe((store.env.now() - started) / 1000);
    m.batchRegions.observe(work.length);
    let entries = 0;
    let appliedCount = 0;
    let messages = 0;
    for (const w of work) {
      entries += w.ready.entries.length;
      appliedCount += w.ready.committedEntries.length;
      messages += w.ready.messages.length + w.ready.messagesAfterPersist.length;
    }
    m.batchEntries.observe(entries);
    m.batchApplied.observe(appliedCount);
    m.messagesPerIteration.observe(messages);
  }

  for (const { peer, ready, applied } of work) {
    peer.node.persisted(ready.number);
    send(store, peer, ready.messagesAfterPersist);
    if (applied) {
      peer.node.applied(applied.lastIndex);
      if (applied.regionChanged) store.regionsChanged();
      for (const cb of applied.callbacks) cb();
      for (const split of applied.splits) {
        if (peer.isLeader)
          for (const l of store.splitListeners) l(split.left, split.right, peer.peerId);
        const right = store.createPeer({
          region: split.right,
          peerId: split.rightPeerId,
          tombstone: false,
          appliedIndex: SPLIT_INIT_INDEX,
          confState: split.rightConfState,
        });
        // Sizes are approximate: give the new region half of what the parent had.
        right.approxKeys = Math.floor(peer.approxKeys / 2);
        right.approxBytes = Math.floor(peer.approxBytes / 2);
        peer.approxKeys -= right.approxKeys;
        peer.approxBytes -= right.approxBytes;
      }
      if (applied.removedSelf) store.destroyPeer(peer);
    }
    peer.serveReadsUpTo(peer.appliedIndex);
    if (peer.node.hasReady()) store.dirty.add(peer);
  }
  store.transport.flush();
  generateSnapshots(store);
}

/** Tags queued reads with a ReadIndex request (one per batch of reads). */
function startReads(store: Store, peer: RegionPeer): void {
  const taken = peer.takeQueuedReads();
  if (!taken) return;
  try {
    peer.node.readIndex(taken.context);
  } catch (e) {
    if (!isRaftError(e, RaftErrorCode.ProposalDropped)) throw e;
    peer.readIndexReady(taken.context, Number.POSITIVE_INFINITY);
    const failure = { ok: false as const, regionError: proposalDropped(e.message) };
    peer.failAll(failure, false);
  }
  void store;
}

function installSnapshot(
  store: Store,
  peer: RegionPeer,
  ready: Ready,
  batch: ReturnType<Store['storage']['newBatch']>,
): void {
  const snap = ready.snapshot!;
  const region = fromProtoRegion(atoll.meta.Region.decode(snap.data));
  peer.region = region;
  peer.confState = snap.metadata.confState;
  batch.applySnapshotPosition(region.id, snap.metadata.index, snap.metadata.term);
  batch.installStagedSnapshot(region.id, region.startKey, region.endKey);
  void store;
}

/** Sends a peer's messages, batched per destination store by the transport. */
function send(store: Store, peer: RegionPeer, messages: readonly Message[]): void {
  if (messages.length === 0) return;
  const byStore = new Map<number, RaftEnvelope[]>();
  const quiesce = noteQuiesce(peer);
  for (const m of messages) {
    const toStore = peer.storeOfPeer(m.to);
    if (toStore === undefined) continue;
    const to = {
      id: m.to,
      storeId: toStore,
      isLearner: peer.region.peers.find((p) => p.id === m.to)?.isLearner ?? false,
    };
    const envelope: RaftEnvelope = {
      regionId: peer.region.id,
      fromPeer: { id: peer.peerId, storeId: store.storeId },
      toPeer: { id: to.id, storeId: to.storeId, role: to.isLearner ? 1 : 0 },
      epoch: peer.region.epoch,
      message: messageToProto(m),
      startKey: peer.region.startKey,
      endKey: peer.region.endKey,
      ...(quiesce && m.type === MessageType.Heartbeat ? { quiesce: true } : {}),
    };
    if (m.type === MessageType.Snapshot) {
      sendSnapshot(store, peer, to.storeId, envelope);
      continue;
    }
    const list = byStore.get(to.storeId);
    if (list) list.push(envelope);
    else byStore.set(to.storeId, [envelope]);
  }
  for (const [storeId, envelopes] of byStore) {
    if (!store.transport.send(storeId, envelopes)) {
      // The queue to that store is full: it is slow or down. Raft falls back to probing.
      for (const e of envelopes) peer.node.reportUnreachable(Number(e.toPeer?.id ?? 0));
    }
  }
}
