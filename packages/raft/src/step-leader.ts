/** How a leader handles messages (Raft §5.3, §6, thesis §3.10, §6.2, §6.4). */

import { proposalDropped } from './errors.js';
import { jointVoteResult } from './quorum/joint.js';
import { VoteResult } from './quorum/vote-result.js';
import type { Raft } from './raft.js';
import { READ_INDEX_QUEUE_MAX } from './read-only.js';
import {
  bcastHeartbeat,
  maybeSendAppend,
  noticeCommit,
  sendAppend,
  sendSnapshot,
  sendWindowProbe,
} from './replication.js';
import { ProgressState } from './tracker/progress.js';
import { type Message, MessageType, NONE } from './types.js';

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Beat:
      bcastHeartbeat(r);
      return;
    case MessageType.CheckQuorum:
      checkQuorum(r);
      return;
    case MessageType.Propose:
      propose(r, m);
      return;
    case MessageType.ReadIndex:
      if (!r.committedEntryInCurrentTerm()) {
        // Until an entry of this term commits, our committed index may be behind (§6.4).
        // Bounded like the read queue: beyond it the read is refused, not queued.
        if (r.pendingReadIndexMessages.length >= READ_INDEX_QUEUE_MAX) {
          throw proposalDropped('uncommitted-limit', r.id);
        }
        r.pendingReadIndexMessages.push(m);
        return;
      }
      r.serveReadIndex(m);
      return;
  }

  // Everything else concerns one peer's progress.
  const pr = r.trk.progress.get(m.from);
  if (!pr) return;
  switch (m.type) {
    case MessageType.AppendResponse:
      handleAppendResponse(r, m);
      return;
    case MessageType.HeartbeatResponse:
      handleHeartbeatResponse(r, m);
      return;
    case MessageType.SnapshotStatus:
      if (pr.state !== ProgressState.Snapshot) return;
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      // Wait for the follower's answer (append response or heartbeat) before probing again.
      pr.paused = true;
      return;
    case MessageType.Unreachable:
      // Appends may have been lost: fall back to probing so we do not stream blindly.
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      return;
    case MessageType.TransferLeader:
      transferLeader(r, m);
      return;
  }
}

function checkQuorum(r: Raft): void {
  if (!r.trk.quorumActive(r.id)) {
    // Raft thesis §6.2: a leader that cannot hear a quorum steps down.
    r.cfg.logger.warn({ term: r.term }, 'stepping down: quorum not active');
    r.becomeFollower(r.term, NONE);
  }
  r.trk.visit((id, pr) => {
    if (id !== r.id) pr.recentActive = false;
  });
}

function propose(r: Raft, m: Message): void {
  if (!r.trk.progress.has(r.id)) throw proposalDropped('removed', NONE);
  if (r.leadTransferee !== NONE) throw proposalDropped('leadership-transfer', r.leadTransferee);
  r.admitConfChanges(m.entries);
  if (!r.appendEntries(m.entries)) throw proposalDropped('uncommitted-limit', r.id);
  // Sent when the host collects the next Ready: proposals of one turn share the messages.
  r.appendPending = true;
}

function handleAppendResponse(r: Raft, m: Message): void {
  const pr = r.trk.progress.get(m.from)!;
  pr.recentActive = true;
  if (m.reject) {
    // Fast back-off (§5.3): the follower's hint, refined by our own log, skips a whole term.
    let next = m.rejectHint;
    if (m.logTerm > 0) next = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (m.index === 0 && pr.matchIndex === 0) {
      // Refused even at the very start of the log: the follower is uninitialized and only
      // a snapshot can help. Without one yet, wait for the next heartbeat to try again.
      if (!sendSnapshot(r, m.from)) pr.paused = true;
      return;
    }
    if (pr.maybeDecrTo(m.index, next)) {
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }

  const wasPaused = pr.isPaused();
  const probeMatched = pr.matchIndex === m.index && pr.state === ProgressState.Probe;
  if (pr.maybeUpdate(m.index) || probeMatched) {
    if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Snapshot && pr.matchIndex + 1 >= r.log.firstIndex()) {
      // The snapshot landed and the log continues from it: replicate normally.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) {
      pr.inflights.freeLE(m.index);
    }
    if (r.maybeCommit()) {
      r.releasePendingReadIndexMessages();
      noticeCommit(r);
    } else if (wasPaused) {
      sendAppend(r, m.from);
    }
    // Fill the freed window (pipelining).
    while (maybeSendAppend(r, m.from, false)) {}
    if (m.from === r.leadTransferee && pr.matchIndex === r.log.lastIndex()) {
      r.sendTimeoutNow(m.from);
    }
  }
}

function handleHeartbeatResponse(r: Raft, m: Message): void {
  const pr = r.trk.progress.get(m.from)!;
  pr.recentActive = true;
  pr.paused = false;
  if (pr.state === ProgressState.Replicate && pr.inflights.full()) {
    // The appends filling the window may all be lost: probe it so the window cannot stall.
    if (pr.matchIndex < r.log.lastIndex()) sendWindowProbe(r, m.from);
  } else if (pr.matchIndex < r.log.lastIndex() || pr.state === ProgressState.Probe) {
    sendAppend(r, m.from);
  }

  if (m.context === undefined || m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (!acks || jointVoteResult(r.trk.config.voters, acks) !== VoteResult.Won) return;
  for (const { request, index } of r.readOnly.advance(m.context)) {
    r.respondToReadIndex(request, index);
  }
}

function transferLeader(r: Raft, m: Message): void {
  const transferee = m.from;
  const pr = r.trk.progress.get(transferee)!;
  if (pr.isLearner) return;
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) return;
    r.abortLeaderTransfer();
  }
  if (transferee === r.id) return;
  // The transfer must finish within an election timeout (tickHeartbeat aborts it).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.matchIndex === r.log.lastIndex()) {
    r.sendTimeoutNow(transferee);
  } else {
    // Bring it up to date first; the append response triggers TimeoutNow.
    sendAppend(r, transferee);
  }
}
