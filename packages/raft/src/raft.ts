/**
 * The Raft state machine of one peer: term, vote, role, log and the leader's view of the
 * group. It is synchronous and deterministic; it never performs I/O. Messages it wants
 * sent accumulate in `msgs` (safe now) and `msgsAfterPersist` (only once the state they
 * depend on is durable); RawNode hands them to the host as Readys.
 *
 * Role-specific message handling lives in step-leader.ts, step-candidate.ts and
 * step-follower.ts; leader-side sending in replication.ts.
 */

import { assert } from './assert.js';
import {
  type ConfChange,
  decodeConfChange,
  encodeConfChange,
  entersJoint,
  isLeaveJoint,
  LEAVE_JOINT,
} from './conf-change.js';
import { type ChangeResult, ConfChanger } from './confchange/changer.js';
import { restoreConfig } from './confchange/restore.js';
import {
  type RaftConfig,
  ReadOnlyOption,
  type ResolvedRaftConfig,
  resolveConfig,
} from './config.js';
import { isRaftError, proposalDropped, RaftError, RaftErrorCode } from './errors.js';
import { isJoint } from './quorum/joint.js';
import type { VoteResult } from './quorum/vote-result.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import {
  bcastAppend,
  bcastHeartbeat,
  noticeCommit,
  sendNewEntries,
  sendTimeoutNow,
} from './replication.js';
import { payloadBytes } from './sizes.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import { ProgressTracker } from './tracker/progress-tracker.js';
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  message,
  NONE,
  type PeerId,
  type ReadState,
  Role,
  type Snapshot,
  type SoftState,
  voteResponseType,
} from './types.js';

/** Context of a vote request sent because of a leadership transfer: it bypasses leases. */
export const CAMPAIGN_TRANSFER = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]);

export enum CampaignType {
  PreElection = 'pre-election',
  Election = 'election',
  Transfer = 'transfer',
}

export class Raft {
  readonly id: PeerId;
  readonly cfg: ResolvedRaftConfig;
  term = 0;
  vote: PeerId = NONE;
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  role: Role = Role.Follower;
  leaderId: PeerId = NONE;
  /** Invariant: NONE unless this peer is the leader handing over to that peer. */
  leadTransferee: PeerId = NONE;
  /**
   * Index of the latest membership change this leader proposed; a new one may only be
   * proposed once it is applied (one change at a time, Raft thesis §4.1).
   */
  pendingConfIndex = 0;
  /** Payload bytes proposed by this leader and not yet committed (the log-growth guard). */
  uncommittedBytes = 0;
  readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  readStates: ReadState[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;

  /**
   * Proposals arrived since the last Ready: their appends go out when the Ready is collected,
   * one message per follower for all of them rather than one per proposal.
   */
  appendPending = false;
  /** To send now. */
  msgs: Message[] = [];
  /** To send once the Ready they were collected with is durable (votes, append acks). */
  msgsAfterPersist: Message[] = [];
  /** Responses to this peer itself (its own vote); stepped once durable. */
  selfAfterPersist: Message[] = [];

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(
      this.cfg.storage,
      this.cfg.maxCommittedBytesPerReady,
      this.cfg.storedSeparately,
    );
    this.trk = new ProgressTracker(this.cfg.maxInflightMessages, this.cfg.maxInflightBytes);
    const { hardState, confState } = this.cfg.storage.initialState();
    restoreConfig(this.trk, this.log.lastIndex(), confState);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      this.loadHardState(hardState);
    }
    if (this.cfg.applied > 0) {
      // An applied entry is committed, even if the hard state that recorded its commit was
      // not yet durable when the host crashed: a host may apply committed entries (durable
      // already) before the Ready carrying the new commit index is (etcd-io/etcd#10217).
      this.log.commitTo(this.cfg.applied);
      this.log.appliedTo(this.cfg.applied);
    }
    this.becomeFollower(this.term, NONE);
  }

  // ---- state -----------------------------------------------------------------------------

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role };
  }

  private loadHardState(hs: HardState): void {
    assert(
      hs.commit <= this.log.lastIndex(),
      () => `hard state commit ${hs.commit} is past the last index ${this.log.lastIndex()}`,
    );
    // The log starts committed up to its snapshot, which covers applied (so committed)
    // entries only. The durable commit index may lag it: a host may apply, and snapshot,
    // before the Ready carrying the commit index is durable.
    this.log.committed = Math.max(hs.commit, this.log.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /** Whether this peer may become leader: a voter not in the middle of installing a snapshot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasNextOrInProgressSnapshot();
  }

  /** Sends the appends proposals deferred (see appendPending); a no-op if none or not leader. */
  flushPendingAppends(): void {
    if (!this.appendPending) return;
    this.appendPending = false;
    if (this.role === Role.Leader) bcastAppend(this);
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Queues a message. Votes and their responses carry an explicit term; proposals and read
   * requests forwarded to the leader carry none (they are not part of the term protocol).
   */
  send(partial: Partial<Message> & Pick<Message, 'type' | 'to'>): void {
    const m = message({ ...partial, from: this.id });
    const t = m.type;
    if (
      t === MessageType.Vote ||
      t === MessageType.VoteResponse ||
      t === MessageType.PreVote ||
      t === MessageType.PreVoteResponse
    ) {
      assert(m.term !== 0, () => `${MessageType[t]} must carry a term`);
    } else if (t !== MessageType.Propose && t !== MessageType.ReadIndex) {
      assert(partial.term === undefined, () => `${MessageType[t]} gets the current term`);
      (m as { term: number }).term = this.term;
    }
    this.route(m);
  }

  /** Passes a request on to the leader unchanged but for the destination. */
  forward(m: Message, to: PeerId): void {
    this.route({ ...m, to });
  }

  private route(m: Message): void {
    if (m.to === this.id) {
      assert(
        m.type === MessageType.VoteResponse || m.type === MessageType.PreVoteResponse,
        () => `unexpected message to self: ${MessageType[m.type]}`,
      );
      this.selfAfterPersist.push(m);
    } else if (
      m.type === MessageType.AppendResponse ||
      m.type === MessageType.VoteResponse ||
      m.type === MessageType.PreVoteResponse
    ) {
      // They promise something about our durable state (a vote, log entries).
      this.msgsAfterPersist.push(m);
    } else {
      this.msgs.push(m);
    }
  }

  // ---- role changes ----------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leaderId = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, old] of this.trk.progress) {
      const pr = this.trk.newProgress(last + 1, old.isLearner);
      // Our own log counts only as far as it is durable.
      if (id === this.id) pr.matchIndex = this.log.durableLastIndex();
      this.trk.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly = new ReadOnly();
  }

  private resetRandomizedElectionTimeout(): void {
    const n = this.cfg.electionTicks;
    this.randomizedElectionTimeout = n + this.cfg.random.nextInt(n);
  }

  becomeFollower(term: number, leaderId: PeerId): void {
    this.reset(term);
    this.leaderId = leaderId;
    this.role = Role.Follower;
    this.pendingReadIndexMessages = [];
  }

  becomePreCandidate(): void {
    assert(this.role !== Role.Leader, 'a leader cannot become a pre-candidate');
    // Pre-vote (Raft thesis §9.6) changes neither term nor vote.
    this.trk.resetVotes();
    this.leaderId = NONE;
    this.role = Role.PreCandidate;
  }

  becomeCandidate(): void {
    assert(this.role !== Role.Leader, 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  becomeLeader(): void {
    assert(this.role !== Role.Follower, 'a follower cannot become leader without an election');
    this.reset(this.term);
    this.leaderId = this.id;
    this.role = Role.Leader;
    this.trk.progress.get(this.id)?.becomeReplicate();
    // Conservatively treat any unapplied entry as a possible membership change.
    this.pendingConfIndex = this.log.lastIndex();
    // Raft §5.4.2: commit an entry of the new term so earlier entries become committed.
    const ok = this.appendEntries([{ type: EntryType.Normal, data: new Uint8Array() }]);
    assert(ok, 'the empty entry of a new leader cannot be refused');
    this.cfg.logger.info({ term: this.term }, 'became leader');
  }

  // ---- ticks -----------------------------------------------------------------------------

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum)
        this.step(message({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned (§3.10).
      if (this.role === Role.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.role !== Role.Leader) return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- elections -------------------------------------------------------------------------

  hup(type: CampaignType): void {
    if (this.role === Role.Leader) return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) {
      // The outcome of an election must not depend on a config this peer has not applied.
      this.cfg.logger.warn({ term: this.term }, 'not campaigning: unapplied membership change');
      return;
    }
    this.campaign(type);
  }

  private hasUnappliedConfChanges(): boolean {
    const { applied, committed } = this.log;
    if (applied >= committed) return false;
    const entries = this.log.slice(applied + 1, committed + 1, Number.POSITIVE_INFINITY);
    return entries.some((e) => e.type === EntryType.ConfChange);
  }

  campaign(type: CampaignType): void {
    let term: number;
    let voteType: MessageType;
    if (type === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      // Ask at the term we would have, without taking it yet.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.trk.voterIds()) {
      if (id === this.id) {
        // Our own vote counts once it is durable: it arrives through selfAfterPersist.
        this.send({ to: id, term, type: voteResponseType(voteType) });
        continue;
      }
      this.send({
        to: id,
        term,
        type: voteType,
        index: lastIndex,
        logTerm: lastTerm,
        ...(type === CampaignType.Transfer ? { context: CAMPAIGN_TRANSFER } : {}),
      });
    }
  }

  poll(from: PeerId, granted: boolean): VoteResult {
    this.trk.recordVote(from, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- the step entry point --------------------------------------------------------------

  /** Handles one message. Throws RaftError ProposalDropped for refused proposals and reads. */
  step(m: Message): void {
    if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return;
    } else if (m.term !== 0 && m.term < this.term) {
      this.answerLowerTerm(m);
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.cfg.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
      default:
        switch (this.role) {
          case Role.Leader:
            stepLeader(this, m);
            return;
          case Role.Candidate:
          case Role.PreCandidate:
            stepCandidate(this, m);
            return;
          case Role.Follower:
            stepFollower(this, m);
            return;
        }
    }
  }

  /** A message from a higher term. Returns false if it is to be ignored. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      const force = sameBytes(m.context, CAMPAIGN_TRANSFER);
      const inLease =
        this.cfg.checkQuorum &&
        this.leaderId !== NONE &&
        this.electionElapsed < this.cfg.electionTicks;
      // Raft thesis §4.2.3: while we hear from a leader, a vote request is a disruption.
      if (!force && inLease) return false;
    }
    if (m.type === MessageType.PreVote) {
      // Pre-votes never change the term.
    } else if (m.type === MessageType.PreVoteResponse && !m.reject) {
      // We take the term when the pre-election is won.
    } else if (
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snapshot
    ) {
      this.becomeFollower(m.term, m.from);
    } else {
      this.becomeFollower(m.term, NONE);
    }
    return true;
  }

  private answerLowerTerm(m: Message): void {
    if (m.type === MessageType.Heartbeat || m.type === MessageType.Append) {
      // Raft §5.1: the reply carries our term, so a stale leader (e.g. after a partition
      // heals) learns it and steps down instead of being ignored indefinitely.
      this.send({ to: m.from, type: MessageType.AppendResponse });
    } else if (m.type === MessageType.PreVote) {
      this.send({ to: m.from, term: this.term, type: MessageType.PreVoteResponse, reject: true });
    }
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.leaderId === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    const responseType = voteResponseType(m.type);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Raft §5.4.1: grant only to a candidate whose log is at least as up to date as ours.
      this.send({ to: m.from, term: m.term, type: responseType });
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ to: m.from, term: this.term, type: responseType, reject: true });
    }
  }

  // ---- log -------------------------------------------------------------------------------

  /**
   * Appends new entries as leader, stamping term and index. Returns false (and appends
   * nothing) if they would push the uncommitted payload past its limit, unless
   * `exemptFromLimit` (entries the leader appends by itself, which nobody would retry).
   */
  appendEntries(
    entries: readonly Pick<Entry, 'type' | 'data'>[],
    exemptFromLimit = false,
  ): boolean {
    const last = this.log.lastIndex();
    const stamped: Entry[] = entries.map((e, i) => ({
      term: this.term,
      index: last + 1 + i,
      type: e.type,
      data: e.data,
    }));
    if (exemptFromLimit) this.uncommittedBytes += payloadBytes(stamped);
    else if (!this.increaseUncommittedBytes(stamped)) return false;
    this.log.append(stamped);
    return true;
  }

  private increaseUncommittedBytes(entries: readonly Entry[]): boolean {
    const bytes = payloadBytes(entries);
    if (
      this.uncommittedBytes > 0 &&
      bytes > 0 &&
      this.uncommittedBytes + bytes > this.cfg.maxUncommittedEntriesBytes
    ) {
      return false;
    }
    this.uncommittedBytes += bytes;
    return true;
  }

  reduceUncommittedBytes(bytes: number): void {
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - bytes);
  }

  /** Advances the commit index to what a quorum holds, if that entry is of this term. */
  maybeCommit(): boolean {
    return this.log.maybeCommit(this.trk.committed(), this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  /** Our own log became durable up to `index`: as leader, that counts as our acknowledgement. */
  selfPersisted(index: number): void {
    if (this.role !== Role.Leader) return;
    const pr = this.trk.progress.get(this.id);
    if (pr?.maybeUpdate(index) && this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      noticeCommit(this);
    }
  }

  appliedTo(index: number): void {
    this.log.appliedTo(index);
    if (this.trk.config.autoLeave && index >= this.pendingConfIndex && this.role === Role.Leader) {
      // The joint config is applied: leave it (Raft thesis §4.3), by ourselves. The uncommitted
      // limit must not refuse it: nobody would propose it again (etcd makes it empty for that).
      const ok = this.appendEntries(
        [{ type: EntryType.ConfChange, data: encodeConfChange(LEAVE_JOINT) }],
        true,
      );
      assert(ok, 'leaving a joint config cannot be refused');
      this.pendingConfIndex = this.log.lastIndex();
      bcastAppend(this);
    }
  }

  // ---- proposals (leader side) -----------------------------------------------------------

  /**
   * Checks membership-change proposals and notes them as pending. Throws ProposalDropped if
   * one may not be proposed now.
   */
  admitConfChanges(entries: readonly Pick<Entry, 'type' | 'data'>[]): void {
    const last = this.log.lastIndex();
    entries.forEach((e, i) => {
      if (e.type !== EntryType.ConfChange) return;
      const cc = decodeConfChange(e.data);
      const joint = isJoint(this.trk.config.voters);
      let refusal: string | undefined;
      if (this.pendingConfIndex > this.log.applied)
        refusal = 'a previous membership change is not applied yet';
      else if (joint && !isLeaveJoint(cc)) refusal = 'the joint configuration must be left first';
      else if (!joint && isLeaveJoint(cc)) refusal = 'there is no joint configuration to leave';
      else refusal = this.dryRunConfChange(cc);
      if (refusal !== undefined) {
        const err = proposalDropped('conf-change-pending', this.leaderId);
        throw new RaftError(err.code, `membership change refused: ${refusal}`, err.details, true);
      }
      this.pendingConfIndex = last + 1 + i;
    });
  }

  private dryRunConfChange(cc: ConfChange): string | undefined {
    try {
      this.computeConfChange(cc);
      return undefined;
    } catch (e) {
      if (e instanceof RaftError && e.code === RaftErrorCode.InvalidConfChange) return e.message;
      throw e;
    }
  }

  // ---- membership ------------------------------------------------------------------------

  private computeConfChange(cc: ConfChange): ChangeResult {
    const changer = new ConfChanger(this.trk, this.log.lastIndex());
    if (isLeaveJoint(cc)) return changer.leaveJoint();
    const { joint, autoLeave } = entersJoint(cc);
    return joint ? changer.enterJoint(autoLeave, cc.changes) : changer.simple(cc.changes);
  }

  /**
   * Applies a committed membership change. Throws InvalidConfChange (changing nothing) if it
   * does not fit the current config; every replica reaches the same verdict.
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.switchToConfig(this.computeConfChange(cc));
  }

  private switchToConfig(result: ChangeResult): ConfState {
    this.trk.config = result.config;
    this.trk.progress = result.progress;
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    if ((pr === undefined || pr.isLearner) && this.role === Role.Leader) {
      // A removed or demoted leader stops leading; the others elect a new one.
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.role !== Role.Leader || cs.voters.length === 0) return cs;
    // The quorum may have changed: something may now be committed, and new peers need probes.
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      bcastAppend(this);
    } else sendNewEntries(this);
    if (this.leadTransferee !== NONE && !this.trk.isVoter(this.leadTransferee))
      this.abortLeaderTransfer();
    return cs;
  }

  /** Installs a snapshot from the leader. Returns false if it is stale or not for us. */
  restore(snapshot: Snapshot): boolean {
    const meta = snapshot.metadata;
    if (meta.index <= this.log.committed) return false;
    if (this.role !== Role.Follower) {
      // Defensive: only followers install snapshots; a newer term makes us one.
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const cs = meta.confState;
    const inConfig = [cs.voters, cs.learners, cs.votersOutgoing].some((ids) =>
      ids.includes(this.id),
    );
    if (!inConfig) {
      this.cfg.logger.warn(
        { index: meta.index },
        'ignoring a snapshot that does not include this peer',
      );
      return false;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already have the entry: the snapshot only tells us it is committed.
      this.log.commitTo(meta.index);
      return false;
    }
    this.log.restore(snapshot);
    const rebuilt = new ProgressTracker(this.trk.inflightMessagesMax, this.trk.inflightBytesMax);
    const result = restoreConfig(rebuilt, this.log.lastIndex(), cs);
    this.switchToConfig(result);
    return true;
  }

  // ---- reads and transfers ---------------------------------------------------------------

  /** Answers a ReadIndex request at `index`: locally, or to the follower that forwarded it. */
  respondToReadIndex(request: Message, index: number): void {
    const context = request.entries[0]!.data;
    if (request.from === NONE || request.from === this.id) {
      this.readStates.push({ index, context });
    } else {
      this.send({
        to: request.from,
        type: MessageType.ReadIndexResponse,
        index,
        entries: request.entries,
      });
    }
  }

  /** Starts serving a read request once leadership in this term is established. */
  serveReadIndex(request: Message): void {
    if (this.cfg.readOnlyOption === ReadOnlyOption.LeaseBased || this.trk.isSingleton()) {
      this.respondToReadIndex(request, this.log.committed);
      return;
    }
    if (this.readOnly.full()) throw proposalDropped('uncommitted-limit', this.leaderId);
    const context = request.entries[0]!.data;
    this.readOnly.add(this.log.committed, request);
    this.readOnly.recvAck(this.id, context);
    bcastHeartbeat(this, context);
  }

  releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) {
      try {
        this.serveReadIndex(m);
      } catch (e) {
        // The read queue is full: this read is dropped (its requester times out and retries);
        // nothing else may be disturbed, since this runs inside persisted() and step().
        if (!isRaftError(e, RaftErrorCode.ProposalDropped)) throw e;
      }
    }
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  sendTimeoutNow(to: PeerId): void {
    sendTimeoutNow(this, to);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
