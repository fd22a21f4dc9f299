/**
 * Turns the client writes a leader queued since the loop's last turn into Raft entries: one
 * entry carries many requests (up to ENTRY_REQUESTS_MAX and about ENTRY_BYTES_MAX), so the
 * Raft bookkeeping, the log write and the append per write are shared by the batch, as TiKV's
 * batch system does. Each request is still applied and answered on its own (apply.ts).
 */

import { isRaftError, RaftErrorCode } from '@atoll/raft';
import { encodeCommand, type WriteOp } from './command-codec.js';
import { sameEpoch } from './region.js';
import { epochNotMatch, notLeader, proposalDropped } from './region-errors.js';
import type { QueuedWrite, RegionPeer, WriteOutcome } from './region-peer.js';
import type { Store } from './store.js';

/** Most requests in one entry: bounds the work one entry's apply does in a loop turn. */
export const ENTRY_REQUESTS_MAX = 1_024;
/**
 * Bytes of keys and values after which an entry takes no more requests: keeps entries well
 * under the Raft message byte cap, so a follower's append still carries several.
 */
export const ENTRY_BYTES_MAX = 256 * 1024;

/** Keys and values of a write request, for ENTRY_BYTES_MAX. */
export function writeBytes(writes: readonly WriteOp[]): number {
  let n = 0;
  for (const w of writes) {
    if (w.put) n += (w.put.key?.length ?? 0) + (w.put.value?.length ?? 0);
    else if (w.delete) n += w.delete.key?.length ?? 0;
    else if (w.cas)
      n +=
        (w.cas.key?.length ?? 0) + (w.cas.value?.length ?? 0) + (w.cas.previousValue?.length ?? 0);
    else if (w.deleteRange)
      n += (w.deleteRange.startKey?.length ?? 0) + (w.deleteRange.endKey?.length ?? 0);
  }
  return n;
}

/** Proposes a peer's queued writes (called by the loop before it takes the peer's Ready). */
export function proposeQueuedWrites(store: Store, peer: RegionPeer): void {
  if (peer.writesQueued.length === 0) return;
  const queued = peer.writesQueued;
  peer.writesQueued = [];
  if (!peer.isLeader) {
    // Leadership moved between the request and this turn: nothing was proposed.
    const outcome: WriteOutcome = {
      ok: false,
      regionError: notLeader(peer.region, peer.leaderPeerId),
    };
    for (const w of queued) w.done(outcome);
    return;
  }
  let entry: QueuedWrite[] = [];
  let bytes = 0;
  for (const w of queued) {
    if (!sameEpoch(w.epoch, peer.region.epoch)) {
      // A split or membership change applied since the request was routed.
      w.done({
        ok: false,
        regionError: epochNotMatch(store.overlappingRegions(peer.region, w.epoch.version), w.epoch),
      });
      continue;
    }
    if (entry.length > 0 && (entry.length >= ENTRY_REQUESTS_MAX || bytes >= ENTRY_BYTES_MAX)) {
      proposeEntry(store, peer, entry);
      entry = [];
      bytes = 0;
    }
    entry.push(w);
    bytes += w.bytes;
  }
  if (entry.length > 0) proposeEntry(store, peer, entry);
}

function proposeEntry(store: Store, peer: RegionPeer, writes: QueuedWrite[]): void {
  const data = encodeCommand({
    regionId: peer.region.id,
    epoch: peer.region.epoch,
    requests: writes.map((w) => w.request),
    proposedAtMs: store.env.now(),
  });
  try {
    peer.node.propose(data);
  } catch (e) {
    if (!isRaftError(e, RaftErrorCode.ProposalDropped)) throw e;
    const outcome: WriteOutcome = {
      ok: false,
      regionError: proposalDropped(e.details.reason ?? e.message),
    };
    for (const w of writes) w.done(outcome);
    return;
  }
  peer.trackProposal(
    store.tick + store.config.requestTimeoutTicks,
    writes.map((w) => w.done),
  );
}
