/** How followers handle messages (Raft §5.3, §7), and the handlers candidates share. */

import { proposalDropped } from './errors.js';
import { CampaignType, type Raft } from './raft.js';
import { type Message, MessageType, NONE } from './types.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Propose:
      if (r.leaderId === NONE) throw proposalDropped('not-leader', NONE);
      if (r.cfg.disableProposalForwarding) throw proposalDropped('not-leader', r.leaderId);
      r.forward(m, r.leaderId);
      return;
    case MessageType.Append:
      r.electionElapsed = 0;
      r.leaderId = m.from;
      handleAppend(r, m);
      return;
    case MessageType.Heartbeat:
      r.electionElapsed = 0;
      r.leaderId = m.from;
      handleHeartbeat(r, m);
      return;
    case MessageType.Snapshot:
      r.electionElapsed = 0;
      r.leaderId = m.from;
      handleSnapshot(r, m);
      return;
    case MessageType.TransferLeader:
      if (r.leaderId === NONE) throw proposalDropped('not-leader', NONE);
      r.forward(m, r.leaderId);
      return;
    case MessageType.TimeoutNow:
      // Raft thesis §3.10: the leader asks us to campaign now, skipping pre-vote.
      r.hup(CampaignType.Transfer);
      return;
    case MessageType.ReadIndex:
      if (r.leaderId === NONE) throw proposalDropped('not-leader', NONE);
      r.forward(m, r.leaderId);
      return;
    case MessageType.ReadIndexResponse:
      if (m.entries.length !== 1) return;
      r.readStates.push({ index: m.index, context: m.entries[0]!.data });
      return;
  }
}

/** Raft §5.3: accept entries only where our log matches the leader's at (index, logTerm). */
export function handleAppend(r: Raft, m: Message): void {
  if (r.trk.progress.size === 0) {
    // Uninitialized: we do not know the membership, so replaying the log would rebuild it
    // wrongly. Only a snapshot (which carries the membership) may initialize us.
    r.send({ to: m.from, type: MessageType.AppendResponse, index: m.index, reject: true });
    return;
  }
  if (m.index < r.log.committed) {
    // Everything up to our committed index is already in place.
    r.send({ to: m.from, type: MessageType.AppendResponse, index: r.log.committed });
    return;
  }
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ to: m.from, type: MessageType.AppendResponse, index: lastNew });
    return;
  }
  // Reject with a hint: our last index at or below m.index whose term is <= m.logTerm.
  // The leader can then skip every entry of a conflicting term in one round trip.
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  r.send({
    to: m.from,
    type: MessageType.AppendResponse,
    index: m.index,
    reject: true,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(m.commit);
  r.send({
    to: m.from,
    type: MessageType.HeartbeatResponse,
    ...(m.context ? { context: m.context } : {}),
  });
}

export function handleSnapshot(r: Raft, m: Message): void {
  if (!m.snapshot) return;
  const index = r.restore(m.snapshot) ? r.log.lastIndex() : r.log.committed;
  r.send({ to: m.from, type: MessageType.AppendResponse, index });
}
