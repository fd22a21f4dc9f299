/**
 * Applies a region's committed entries into the iteration's write batch: client writes,
 * membership changes and splits. Results are handed back as callbacks to run once the batch
 * is durable; nothing here answers a client directly.
 *
 * Every replica applies the same entries in the same order with the same outcome: all
 * decisions depend only on the entry and the replica's applied state (never on time,
 * leadership or local configuration).
 */

import { atoll } from '@atoll/proto';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  decodeConfChange,
  type Entry,
  EntryType,
  isRaftError,
  RaftErrorCode,
} from '@atoll/raft';
import { type Command, decodeCommand, type WriteOp, type WriteRequest } from './command-codec.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { compareBytes, keyInRegion, type PeerMeta, type RegionMeta } from './region.js';
import { epochNotMatch, keyNotInRegion } from './region-errors.js';
import { answerProposal, type RegionPeer, type WriteOutcome } from './region-peer.js';
import { requestKeyOf } from './request-table.js';
import type { StoreBatch, StoreStorage } from './storage-port.js';
import type { WriteOverlay } from './write-overlay.js';

/** Index and term at which a region created by a split starts its log (as in TiKV). */
export const SPLIT_INIT_INDEX = 5;

export interface SplitResult {
  readonly left: RegionMeta;
  readonly right: RegionMeta;
  /** This store's peer of the new region. */
  readonly rightPeerId: number;
  readonly rightConfState: ConfState;
}

export interface ApplyResult {
  /** Answers to client writes: may run as soon as the entries are applied to the batch. */
  readonly callbacks: (() => void)[];
  /**
   * Answers to membership changes and splits: run only once the batch is durable and the
   * Raft node knows the entry applied (the next change is refused until then).
   */
  readonly afterApplied: (() => void)[];
  readonly lastIndex: number;
  readonly splits: SplitResult[];
  /** The peer itself left the region. */
  readonly removedSelf: boolean;
  /** The region's peers or range changed (membership change or split). */
  readonly regionChanged: boolean;
}

export interface ApplyContext {
  readonly batch: StoreBatch;
  readonly storage: StoreStorage;
  readonly overlay: WriteOverlay;
  readonly storeId: number;
  /** Whether a region id is already used on this store (split targets must be new). */
  readonly regionExists: (regionId: number) => boolean;
}

export function applyEntries(
  peer: RegionPeer,
  entries: readonly Entry[],
  ctx: ApplyContext,
): ApplyResult {
  const result: ApplyResult = {
    callbacks: [],
    afterApplied: [],
    lastIndex: peer.appliedIndex,
    splits: [],
    removedSelf: false,
    regionChanged: false,
  };
  let removedSelf = false;
  const before = peer.region;
  for (const entry of entries) {
    let outcome: WriteOutcome | WriteOutcome[] = { ok: true };
    let admin = false;
    if (entry.type === EntryType.ConfChange) {
      admin = true;
      outcome = applyConfChangeEntry(peer, entry, ctx);
      if (!inConfState(peer.confState, peer.peerId)) removedSelf = true;
    } else if (entry.data.length > 0) {
      const cmd = decodeCommand(entry.data);
      peer.requests.advance(cmd.proposedAtMs ?? 0);
      admin = cmd.split !== undefined;
      outcome = cmd.split
        ? applySplit(peer, cmd, ctx, result.splits)
        : cmd.requests.map((r) => applyWrites(peer, cmd, r, ctx));
    }
    resolveProposal(peer, entry, outcome, admin ? result.afterApplied : result.callbacks);
  }
  if (!removedSelf) peer.requests.flush(ctx.batch, peer.region.id);
  const last = entries[entries.length - 1];
  return {
    ...result,
    lastIndex: last ? last.index : peer.appliedIndex,
    removedSelf,
    regionChanged: peer.region !== before,
  };
}

/**
 * Answers the proposal made at this index (each request of a write batch with its own
 * outcome): ours if the term matches, else it was replaced.
 */
function resolveProposal(
  peer: RegionPeer,
  entry: Entry,
  outcome: WriteOutcome | readonly WriteOutcome[],
  callbacks: (() => void)[],
): void {
  const p = peer.takeProposal(entry.index);
  if (!p) return;
  if (p.term === entry.term) {
    callbacks.push(() => answerProposal(p, outcome));
  } else {
    // Another leader's entry took this index: ours was never committed.
    const dropped: WriteOutcome = {
      ok: false,
      regionError: {
        message: 'the write was replaced by a new leader; nothing was written',
        proposalDropped: { reason: 'stale-term' },
      },
    };
    callbacks.push(() => answerProposal(p, dropped));
  }
}

function applyWrites(
  peer: RegionPeer,
  cmd: Command,
  request: WriteRequest,
  ctx: ApplyContext,
): WriteOutcome {
  const requestId = request.requestId ?? new Uint8Array();
  const key = requestId.length > 0 ? requestKeyOf(requestId) : '';
  if (requestId.length > 0) {
    // A retry of a write already applied here: answer as the first time, change nothing.
    const earlier = peer.requests.lookup(requestId, key);
    if (earlier) return earlier.cas ? { ok: true, cas: earlier.cas } : { ok: true };
  }
  const outcome = applyNewWrites(peer, cmd, request.writes, ctx);
  if (outcome.ok && requestId.length > 0)
    peer.requests.record(requestId, outcome.cas ? { cas: outcome.cas } : {}, key);
  return outcome;
}

function applyNewWrites(
  peer: RegionPeer,
  cmd: Command,
  writes: readonly WriteOp[],
  ctx: ApplyContext,
): WriteOutcome {
  const region = peer.region;
  if (cmd.epoch.version !== region.epoch.version) {
    // The region split or merged since the client routed this write: refuse it whole.
    return { ok: false, regionError: epochNotMatch([region], cmd.epoch) };
  }
  for (const w of writes) {
    const key = writeKey(w);
    if (key && !keyInRegion(key, region))
      return { ok: false, regionError: keyNotInRegion(key, region) };
  }
  let cas: { succeeded: boolean; previous?: Uint8Array } | undefined;
  for (const w of writes) {
    if (w.put) {
      const bytes = w.put.key!.length + (w.put.value?.length ?? 0);
      peer.approxKeys++;
      peer.approxBytes += bytes;
      peer.writtenKeys++;
      peer.writtenBytes += bytes;
      ctx.overlay.put(w.put.key!, w.put.value ?? new Uint8Array());
    } else if (w.delete) {
      peer.approxKeys = Math.max(0, peer.approxKeys - 1);
      peer.writtenKeys++;
      ctx.overlay.delete(w.delete.key!);
    } else if (w.deleteRange) {
      const start = maxKey(w.deleteRange.startKey ?? new Uint8Array(), region.startKey);
      const end = minEnd(w.deleteRange.endKey ?? new Uint8Array(), region.endKey);
      ctx.overlay.deleteRange(start, end, ctx.storage);
    } else if (w.cas) {
      const current = ctx.overlay.get(w.cas.key!, ctx.storage);
      const expectAbsent = w.cas.previousNotExist ?? false;
      const matches = expectAbsent
        ? current === undefined
        : current !== undefined && sameBytes(current, w.cas.previousValue ?? new Uint8Array());
      if (matches) ctx.overlay.put(w.cas.key!, w.cas.value ?? new Uint8Array());
      cas =
        current === undefined ? { succeeded: matches } : { succeeded: matches, previous: current };
    }
  }
  return cas ? { ok: true, cas } : { ok: true };
}

function writeKey(w: WriteOp): Uint8Array | undefined {
  return (w.put?.key ?? w.delete?.key ?? w.cas?.key) || undefined;
}

function applySplit(
  peer: RegionPeer,
  cmd: Command,
  ctx: ApplyContext,
  splits: SplitResult[],
): WriteOutcome {
  const region = peer.region;
  const split = cmd.split!;
  const refuse = (message: string): WriteOutcome => ({
    ok: false,
    error: new StoreError(StoreErrorCode.InvalidAdmin, message),
  });
  if (cmd.epoch.version !== region.epoch.version || cmd.epoch.confVer !== region.epoch.confVer) {
    return { ok: false, regionError: epochNotMatch([region], cmd.epoch) };
  }
  if (!keyInRegion(split.splitKey, region) || compareBytes(split.splitKey, region.startKey) === 0) {
    return refuse('the split key must be inside the region and not its start');
  }
  if (split.newPeerIds.length !== region.peers.length)
    return refuse('one new peer id per peer is needed');
  if (peer.confState.votersOutgoing.length > 0)
    return refuse('cannot split during a membership change');

  const epoch = { confVer: region.epoch.confVer, version: region.epoch.version + 1 };
  const left: RegionMeta = { ...region, endKey: split.splitKey, epoch };
  const rightPeers: PeerMeta[] = region.peers.map((p, i) => ({ ...p, id: split.newPeerIds[i]! }));
  const right: RegionMeta = {
    id: split.newRegionId,
    startKey: split.splitKey,
    endKey: region.endKey,
    epoch,
    peers: rightPeers,
  };
  const mine = rightPeers.find((p) => p.storeId === ctx.storeId);
  const rightConfState: ConfState = {
    voters: rightPeers.filter((p) => !p.isLearner).map((p) => p.id),
    votersOutgoing: [],
    learners: rightPeers.filter((p) => p.isLearner).map((p) => p.id),
    learnersNext: [],
    autoLeave: false,
  };
  peer.region = left;
  // Every replica must apply a command alike, so a right region that already exists here
  // (which the guards on peer creation should make impossible) does not refuse the split: the
  // left still shrinks, and only the local creation of the right peer is skipped.
  if (mine && !ctx.regionExists(right.id)) {
    // The new region's data is already here; its log starts at a fixed position on every
    // replica, so they agree without exchanging anything.
    ctx.batch.applySnapshotPosition(right.id, SPLIT_INIT_INDEX, SPLIT_INIT_INDEX);
    ctx.batch.setHardState(right.id, { term: SPLIT_INIT_INDEX, vote: 0, commit: SPLIT_INIT_INDEX });
    ctx.batch.setRegionState({
      region: right,
      peerId: mine.id,
      tombstone: false,
      appliedIndex: SPLIT_INIT_INDEX,
      confState: rightConfState,
    });
    // Retries of writes applied before the split may now be routed to the new region.
    peer.requests.copyTo(ctx.batch, right.id);
    splits.push({ left, right, rightPeerId: mine.id, rightConfState });
  }
  return { ok: true };
}

function applyConfChangeEntry(peer: RegionPeer, entry: Entry, ctx: ApplyContext): WriteOutcome {
  let cc: ConfChange;
  try {
    cc = decodeConfChange(entry.data);
  } catch {
    return {
      ok: false,
      error: new StoreError(StoreErrorCode.InvalidAdmin, 'undecodable membership change'),
    };
  }
  let cs: ConfState;
  try {
    cs = peer.node.applyConfChange(cc);
  } catch (e) {
    // Every replica refuses alike: the entry is a no-op.
    if (isRaftError(e, RaftErrorCode.InvalidConfChange)) {
      return { ok: false, error: new StoreError(StoreErrorCode.InvalidAdmin, e.message) };
    }
    throw e;
  }
  const stores = new Map(peer.region.peers.map((p) => [p.id, p.storeId]));
  for (const p of decodeChangePeers(cc)) stores.set(p.id, p.storeId);
  const learners = new Set(cs.learners);
  const ids = [
    ...new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]),
  ].sort((a, b) => a - b);
  const peers: PeerMeta[] = ids.map((id) => ({
    id,
    storeId: stores.get(id) ?? 0,
    isLearner: learners.has(id),
  }));
  peer.confState = cs;
  peer.region = {
    ...peer.region,
    peers,
    epoch: { confVer: peer.region.epoch.confVer + 1, version: peer.region.epoch.version },
  };
  void ctx;
  return { ok: true };
}

/** The peers a membership change names, with their stores (carried in its context). */
export function decodeChangePeers(cc: ConfChange): PeerMeta[] {
  if (!cc.context || cc.context.length === 0) return [];
  const list = atoll.meta.Region.decode(cc.context).peers ?? [];
  return list.map((p) => ({
    id: Number(p.id),
    storeId: Number(p.storeId),
    isLearner: p.role === 1,
  }));
}

/** Encodes the peers of a membership change into its context. */
export function encodeChangePeers(peers: readonly PeerMeta[]): Uint8Array {
  return atoll.meta.Region.encode({
    peers: peers.map((p) => ({ id: p.id, storeId: p.storeId, role: p.isLearner ? 1 : 0 })),
  }).finish();
}

export function inConfState(cs: ConfState, id: number): boolean {
  return (
    cs.voters.includes(id) ||
    cs.votersOutgoing.includes(id) ||
    cs.learners.includes(id) ||
    cs.learnersNext.includes(id)
  );
}

export function changeTypeName(t: ConfChangeType): string {
  return ConfChangeType[t];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

function maxKey(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) >= 0 ? a : b;
}

/** The smaller of two exclusive ends, where empty means unbounded. */
function minEnd(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return compareBytes(a, b) <= 0 ? a : b;
}
