/**
 * The store loop. Each iteration:
 *  1. proposes each leader's queued client writes (one entry per region, write-proposals.ts),
 *     and takes the Ready of every touched peer (and starts its pending reads);
 *  2. sends the messages that are safe now (a leader's appends) batched per store;
 *  3. writes every peer's log entries and hard state, and applies committed entries with
 *     each region's applied index, into ONE batch, committed with ONE fsync;
 *  4. once that batch is durable: reports the Readys persisted, sends what had to wait for
 *     durability (votes, acks), serves reads that may now be served.
 * Clients whose writes were applied are answered in step 3 already: their entries were
 * committed (durable on a majority) before they were applied.
 *
 * Iterations are pipelined: while up to PIPELINE_DEPTH batches are being made durable, the
 * next iteration already collects what arrived meanwhile. Storage commits batches in order,
 * and step 4 runs in order too, so each Ready is reported persisted only after every earlier
 * one. Applying reads through the writes still in flight (PendingWrites), so a batch sees the
 * writes of the batches before it that storage does not show yet.
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
import { RequestTable } from './request-table.js';
import { generateSnapshots, sendSnapshot } from './snapshots.js';
import type { StoreBatch } from './storage-port.js';
import type { Store } from './store.js';
import { type BatchCommit, ENGINE_HOLD_BATCHES_MAX } from './store-wal.js';
import { PendingWrites, type WriteOverlay } from './write-overlay.js';
import { proposeQueuedWrites } from './write-proposals.js';

interface PeerWork {
  readonly peer: RegionPeer;
  readonly ready: Ready;
  readonly applied: ApplyResult | undefined;
}

/**
 * Batches committing at once. Up to 4 share LMDB transactions and fsyncs (measured 1.6-3.5x
 * more batches/s than one at a time); more would only hold more memory in flight.
 */
export const PIPELINE_DEPTH = 4;
/** Batches not yet durable with a write-ahead log (see pipelineDepth). */
export const LOGGED_PIPELINE_DEPTH = 32;
/**
 * Batches in flight at most, durable or not: with a write-ahead log the engine holds durable
 * batches back to commit them together (ENGINE_HOLD_BATCHES_MAX), and the pipeline must have
 * room for those beside the ones still being logged.
 */
export const LOGGED_INFLIGHT_MAX = ENGINE_HOLD_BATCHES_MAX + 2 * LOGGED_PIPELINE_DEPTH;

interface InFlight {
  /** The batch is visible and fully finished. */
  done: Promise<void>;
  /** The batch is durable, and every earlier one. */
  durable: Promise<void>;
  isDurable: boolean;
  readonly overlay: WriteOverlay;
}

/** Runs iterations until no peer is left to process and every batch is durable. */
export async function runLoop(store: Store): Promise<void> {
  const inflight: InFlight[] = [];
  const pending = new PendingWrites();
  let tail: Promise<void> = Promise.resolve();
  let durableTail: Promise<void> = Promise.resolve();
  /** Entries of `inflight` already durable (they wait to be visible). */
  let durableCount = 0;
  const notDurable = () => inflight.length - durableCount;
  const hasRoom = () => notDurable() < pipelineDepth(store) && inflight.length < inflightMax(store);
  while (!store.stopped) {
    if (store.snapshotRequests.size > 0) {
      // A snapshot must see exactly the applied state: drain the pipeline first.
      store.storage.commitHeld();
      await tail;
      if (store.stopped) break;
      generateSnapshots(store);
    }
    if (store.dirty.size > 0 && hasRoom()) {
      const prepared = prepare(store, pending);
      if (!prepared) continue;
      const previous = tail;
      const previousDurable = durableTail;
      const entry: InFlight = {
        overlay: prepared.overlay,
        done: Promise.resolve(),
        durable: Promise.resolve(),
        isDurable: false,
      };
      // Durable (in order): acknowledge to Raft. With a write-ahead log this comes first,
      // while the storage engine is still committing.
      entry.durable = (async () => {
        await prepared.commit.durable;
        await previousDurable;
        entry.isDurable = true;
        durableCount++;
        finishDurable(store, prepared.work, prepared.commit.engineDurable);
      })();
      entry.durable.catch(() => {});
      durableTail = entry.durable;
      entry.done = (async () => {
        await prepared.commit.visible;
        await entry.durable;
        await previous;
        finishVisible(store, prepared.work);
        for (const peer of prepared.stale) store.destroyPeer(peer);
        // Later batches no longer need this one's writes: storage shows them.
        pending.release(entry.overlay);
        inflight.splice(inflight.indexOf(entry), 1);
        durableCount--;
      })();
      // A failed commit is thrown to whoever awaits it (runLoop fails the store); this keeps
      // the batches queued behind it from being reported as unhandled as well.
      entry.done.catch(() => {});
      tail = entry.done;
      inflight.push(entry);
      // Let what arrived meanwhile (messages, proposals) reach the next iteration.
      await new Promise<void>((resolve) => store.env.defer(resolve));
      continue;
    }
    if (inflight.length === 0) break;
    // Wait for the oldest batch, or for new work if the pipeline has room for it: a
    // follower's next append must not queue behind the fsync of its previous one.
    if (hasRoom()) {
      const arrived = new Promise<void>((resolve) => {
        store.loopWaiter = resolve;
      });
      await Promise.race([inflight[0]!.done, arrived]);
      store.loopWaiter = undefined;
    } else if (notDurable() >= pipelineDepth(store)) {
      // Room comes back as soon as the oldest batch not yet durable is.
      const oldest = inflight.find((e) => !e.isDurable)!;
      await Promise.race([inflight[0]!.done, oldest.durable]);
    } else {
      // Too many batches in flight: the held ones go to the engine now.
      store.storage.commitHeld();
      await inflight[0]!.done;
    }
  }
  // Stopping: the engine takes what it holds rather than waiting for company.
  store.storage.commitHeld();
  await tail;
  if (!store.stopped && store.snapshotRequests.size > 0) generateSnapshots(store);
}

/**
 * Batches being made durable at once. With a write-ahead log each is one record of the log,
 * whose appends and syncs overlap: more may be in its hands.
 */
function pipelineDepth(store: Store): number {
  return store.storage.logged ? LOGGED_PIPELINE_DEPTH : PIPELINE_DEPTH;
}

/** Without a log a batch is visible once durable: in flight means not yet durable. */
function inflightMax(store: Store): number {
  return store.storage.logged ? LOGGED_INFLIGHT_MAX : PIPELINE_DEPTH;
}

interface Prepared {
  readonly work: PeerWork[];
  /** Stale peers destroyed by this batch (see RegionPeer.stale). */
  readonly stale: RegionPeer[];
  readonly overlay: WriteOverlay;
  readonly commit: BatchCommit;
}

/** Steps 1-3: collects Readys into one batch and starts committing it. */
function prepare(store: Store, pending: PendingWrites): Prepared | undefined {
  const peers = store.dirty;
  store.dirty = new Set();
  const batch = store.storage.newBatch();
  const overlay = pending.overlay(batch);
  const work: PeerWork[] = [];
  const stale: RegionPeer[] = [];
  let readsStarted = false;

  for (const peer of peers) {
    if (!store.peers.has(peer.region.id) || peer.removed) continue;
    if (peer.stale) {
      writeRemoval(peer, batch, peer.appliedIndex);
      stale.push(peer);
      continue;
    }
    proposeQueuedWrites(store, peer);
    if (startReads(store, peer)) readsStarted = true;
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
    // Reads whose index the storage already shows need not wait for this batch.
    if (ready.readStates.length > 0) peer.serveReadsUpTo(peer.appliedIndex);

    let applied: ApplyResult | undefined;
    if (ready.committedEntries.length > 0) {
      applied = applyEntries(peer, ready.committedEntries, {
        batch,
        storage: store.storage,
        overlay,
        storeId: store.storeId,
        regionExists: (id) => store.knowsRegion(id),
      });
      for (const split of applied.splits) store.creating.add(split.right.id);
      if (peer.isLeader && takesEffect({ peer, ready, applied })) {
        // Followers should apply a split or membership change now, not at the next heartbeat.
        peer.node.broadcastCommit();
        store.markDirty(peer);
      }
      // The writes are committed (durable on a majority, and here) and their outcome is
      // decided: answer now rather than after this batch's fsync. A read still waits for the
      // batch (the applied index moves only once it is durable), and a crash before then
      // replays these entries from the log with the same outcome.
      for (const cb of applied.callbacks) cb();
    }
    if (applied && !applied.removedSelf)
      maybeCompactLog(peer, batch, store.config.logCompactEntries);
    if (applied?.removedSelf) {
      writeRemoval(peer, batch, applied.lastIndex);
    } else if (ready.snapshot || applied?.regionChanged) {
      batch.setRegionState({
        region: peer.region,
        peerId: peer.peerId,
        tombstone: false,
        appliedIndex: applied?.lastIndex ?? ready.snapshot!.metadata.index,
        confState: peer.confState,
      });
    } else if (applied) {
      batch.setApplied(regionId, applied.lastIndex);
    }
    work.push({ peer, ready, applied });
  }

  if (work.length === 0 && stale.length === 0) {
    store.transport.flush();
    pending.release(overlay);
    return undefined;
  }
  const started = store.env.now();
  // Our own write starts first, then the appends go out while it is in flight (Raft thesis
  // §10.2.1): with a write-ahead log the record is written and its sync queued before the
  // first socket write, which wakes a follower that may take this core for a while (seen
  // at concurrency 1: the leader's sync started a millisecond late, after the follower's).
  const commit = batch.commitParts();
  store.transport.flush();
  // Reads are served, and membership changes, splits and removals take effect, once the
  // storage shows their batch: do not let it wait for company. A read that starts its
  // ReadIndex round now and will wait for applied entries gets them committed in the
  // round's shadow.
  if (
    readsStarted ||
    stale.length > 0 ||
    work.some((w) => w.peer.hasReadsAwaitingApply || takesEffect(w))
  )
    store.storage.commitHeld();
  commit.durable
    .then(() => {
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
    })
    .catch(() => {
      // A failed commit fails the loop through entry.done; nothing to record.
    });
  return { work, stale, overlay, commit };
}

/** The batch changes the region (it cannot take effect before storage shows it). */
function takesEffect({ applied }: PeerWork): boolean {
  return (
    applied !== undefined &&
    (applied.regionChanged || applied.removedSelf || applied.afterApplied.length > 0)
  );
}

/**
 * A peer leaving this store (it applied its own removal, or was found stale): its data and
 * log go in the same batch as its tombstone, and nothing more may be written for it, even
 * before the batch is durable. An uninitialized peer (never got a snapshot) has no data here.
 */
function writeRemoval(peer: RegionPeer, batch: StoreBatch, appliedIndex: number): void {
  if (peer.region.peers.length > 0) batch.clearRange(peer.region.startKey, peer.region.endKey);
  batch.destroyRegionLog(peer.region.id);
  batch.setRegionState({
    region: peer.region,
    peerId: peer.peerId,
    tombstone: true,
    appliedIndex,
    confState: peer.confState,
  });
  peer.removed = true;
}

/** Step 4a, once the batch is durable (and every earlier one): tell Raft, send the acks. */
function finishDurable(store: Store, work: PeerWork[], engineDurable: boolean): void {
  for (const { peer, ready } of work) {
    peer.node.persisted(ready.number);
    // The engine made this batch durable itself, so it shows it too (snapshots go this way).
    if (engineDurable && store.storage.logged) peer.node.stored(ready.number);
    send(store, peer, ready.messagesAfterPersist);
    // Own acks may have committed entries: the next iteration applies them.
    if (!peer.removed && peer.node.hasReady()) store.markDirty(peer);
  }
  store.transport.flush();
}

/**
 * Step 4b, once the batch is also visible (and every earlier one finished): the storage
 * shows its entries and data, so Raft may drop them from memory, the applied index moves,
 * reads are served, and membership changes and splits take effect.
 */
function finishVisible(store: Store, work: PeerWork[]): void {
  for (const { peer, ready, applied } of work) {
    if (store.storage.logged) peer.node.stored(ready.number);
    if (applied) {
      peer.node.applied(applied.lastIndex);
      if (applied.regionChanged) store.regionsChanged();
      for (const cb of applied.afterApplied) cb();
      for (const split of applied.splits) {
        if (peer.isLeader)
          for (const l of store.splitListeners) l(split.left, split.right, peer.peerId);
        store.creating.delete(split.right.id);
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
    if (!peer.removed && peer.node.hasReady()) store.dirty.add(peer);
  }
  store.transport.flush();
}

/**
 * Tags queued reads with a ReadIndex request (one per batch of reads). True if they will
 * wait for entries storage does not show yet (their read index is the commit index).
 */
function startReads(store: Store, peer: RegionPeer): boolean {
  const taken = peer.takeQueuedReads();
  if (!taken) return false;
  try {
    peer.node.readIndex(taken.context);
  } catch (e) {
    if (!isRaftError(e, RaftErrorCode.ProposalDropped)) throw e;
    peer.readIndexReady(taken.context, Number.POSITIVE_INFINITY);
    const failure = { ok: false as const, regionError: proposalDropped(e.message) };
    peer.failAll(failure, false);
  }
  void store;
  return peer.node.raft.log.committed > peer.appliedIndex;
}

function installSnapshot(
  store: Store,
  peer: RegionPeer,
  ready: Ready,
  batch: ReturnType<Store['storage']['newBatch']>,
): void {
  const snap = ready.snapshot!;
  const state = atoll.store.RegionSnapshotState.decode(snap.data);
  const region = fromProtoRegion(state.region ?? {});
  peer.region = region;
  // The peer may have been created empty: its members are new to the store's liveness.
  store.regionsChanged();
  peer.confState = snap.metadata.confState;
  peer.requests = RequestTable.fromSnapshot(state);
  batch.applySnapshotPosition(region.id, snap.metadata.index, snap.metadata.term);
  batch.installStagedSnapshot(region.id, region.startKey, region.endKey);
  batch.clearRequestRecords(region.id);
  peer.requests.writeAll(batch, region.id);
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
