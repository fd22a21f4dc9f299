/**
 * Leader-side sending: appends (pipelined within each follower's window, capped in bytes),
 * snapshots for followers behind the compacted log, heartbeats, and TimeoutNow.
 */

import { isRaftError, RaftErrorCode } from './errors.js';
import type { Raft } from './raft.js';
import { entriesBytes } from './sizes.js';
import { type Entry, MessageType, type PeerId } from './types.js';

/** Sends an append (or a snapshot) to `to` if its window allows. */
export function sendAppend(r: Raft, to: PeerId): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends the next entries to `to`. With `sendIfEmpty` false nothing is sent when there are
 * no new entries. Returns whether a message went out.
 */
export function maybeSendAppend(r: Raft, to: PeerId, sendIfEmpty: boolean): boolean {
  if (to === r.id) return false;
  const pr = r.trk.progress.get(to);
  if (!pr || pr.isPaused()) return false;

  const prevIndex = pr.nextIndex - 1;
  let prevTerm: number;
  let entries: Entry[];
  try {
    prevTerm = r.log.term(prevIndex);
    entries = r.log.entries(pr.nextIndex, r.cfg.maxMessageBytes);
  } catch (e) {
    if (isRaftError(e, RaftErrorCode.Compacted)) return sendSnapshot(r, to);
    throw e;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;

  const bytes = entriesBytes(entries);
  r.send({
    to,
    type: MessageType.Append,
    index: prevIndex,
    logTerm: prevTerm,
    entries,
    commit: r.log.committed,
  });
  pr.sentEntries(entries.length, bytes);
  return true;
}

/**
 * Sends `to` an append with no entries at the end of its full window (replicate state).
 * Every append in the window may have been lost, and then no acknowledgement would ever
 * free it: replication to `to` would stall until the next election. The follower acks this
 * append (freeing the window) or rejects it (back to probing). Heartbeat responses send it,
 * as in etcd, so it costs at most one small message per heartbeat to a stalled follower.
 */
export function sendWindowProbe(r: Raft, to: PeerId): void {
  const pr = r.trk.progress.get(to)!;
  const prevIndex = pr.nextIndex - 1;
  let prevTerm: number;
  try {
    prevTerm = r.log.term(prevIndex);
  } catch (e) {
    if (!isRaftError(e, RaftErrorCode.Compacted)) throw e;
    // The window's start is compacted away: probe from the follower's match (or snapshot).
    pr.becomeProbe();
    sendAppend(r, to);
    return;
  }
  r.send({
    to,
    type: MessageType.Append,
    index: prevIndex,
    logTerm: prevTerm,
    entries: [],
    commit: r.log.committed,
  });
}

/** The follower is behind our compacted log: send the newest snapshot instead (§7). */
export function sendSnapshot(r: Raft, to: PeerId): boolean {
  const pr = r.trk.progress.get(to)!;
  if (!pr.recentActive) {
    // Do not ship a large snapshot to a peer that may be down.
    return false;
  }
  let snapshot: ReturnType<typeof r.log.snapshot>;
  try {
    snapshot = r.log.snapshot();
  } catch (e) {
    if (isRaftError(e, RaftErrorCode.SnapshotTemporarilyUnavailable)) return false;
    throw e;
  }
  if (snapshot.metadata.index === 0) return false;
  pr.becomeSnapshot(snapshot.metadata.index);
  r.send({ to, type: MessageType.Snapshot, snapshot });
  return true;
}

/** Sends appends to every peer that can take them. */
export function bcastAppend(r: Raft): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendAppend(r, id);
  });
}

/**
 * The commit index moved: followers hear of it now (an append to each, empty if need be),
 * or, with lazyCommitNotice, only from appends that carry entries anyway and heartbeats.
 */
export function noticeCommit(r: Raft): void {
  if (!r.cfg.lazyCommitNotice) {
    bcastAppend(r);
    return;
  }
  sendNewEntries(r);
}

/** Sends each follower the entries it has not been sent, if any (no empty appends). */
export function sendNewEntries(r: Raft): void {
  r.trk.visit((id) => {
    if (id !== r.id) maybeSendAppend(r, id, false);
  });
}

/**
 * Sends a heartbeat to every peer. `context` tags a ReadIndex round. The commit index sent
 * is capped at what the follower has: it must never be told to commit entries it lacks.
 */
export function bcastHeartbeat(r: Raft, context?: Uint8Array): void {
  const ctx = context ?? r.readOnly.lastPendingContext();
  r.trk.visit((id, pr) => {
    if (id === r.id) return;
    r.send({
      to: id,
      type: MessageType.Heartbeat,
      commit: Math.min(pr.matchIndex, r.log.committed),
      ...(ctx ? { context: ctx } : {}),
    });
  });
}

export function sendTimeoutNow(r: Raft, to: PeerId): void {
  r.send({ to, type: MessageType.TimeoutNow });
}
