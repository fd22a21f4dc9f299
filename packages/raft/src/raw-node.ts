/**
 * The host's handle on one Raft peer. The host drives it: tick() on a timer, step() for
 * each inbound message, propose*() for writes; then takes ready(), acts on it, and reports
 * back with persisted(number) and applied(index). See the package README for the loop.
 *
 * Ordering rules (all enforced here, not left to comments):
 * - Ready.messagesAfterPersist go out only after persisted(number) for that Ready.
 * - This peer's own vote and, as leader, its own copy of new entries count toward a quorum
 *   only once persisted() says they are durable.
 * - Committed entries are handed out only once durable locally.
 * - With storedSeparately, entries leave memory only once stored(number) says the storage
 *   shows them; persisted(number) then means durable only.
 */

import { assert } from './assert.js';
import { type ConfChange, encodeConfChange } from './conf-change.js';
import type { RaftConfig } from './config.js';
import { isRaftError, RaftError, RaftErrorCode } from './errors.js';
import { Raft } from './raft.js';
import type { Ready } from './ready.js';
import { bcastAppend } from './replication.js';
import { payloadBytes } from './sizes.js';
import type { ProgressState } from './tracker/progress.js';
import {
  type ConfState,
  EntryType,
  type HardState,
  isLocalMessage,
  type Message,
  MessageType,
  message,
  type PeerId,
  Role,
  SnapshotStatus,
  type SoftState,
} from './types.js';

/** A Ready whose entries are durable but not yet readable from storage (storedSeparately). */
interface Unstored {
  readonly number: number;
  readonly lastEntry: { index: number; term: number };
}

/** What a handed-out Ready asked to persist, remembered until persisted() confirms it. */
interface Outstanding {
  readonly number: number;
  readonly lastEntry?: { index: number; term: number };
  readonly snapshotIndex?: number;
  readonly selfMessages: Message[];
}

export interface PeerProgress {
  readonly matchIndex: number;
  readonly nextIndex: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
}

export interface Status {
  readonly id: PeerId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: PeerId;
  /** Only on the leader. */
  readonly progress?: ReadonlyMap<PeerId, PeerProgress>;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private nextNumber = 1;
  private outstanding: Outstanding[] = [];
  /** Readys persisted but not yet stored (storedSeparately only), oldest first. */
  private unstored: Unstored[] = [];

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): PeerId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (the host's choice, e.g. at bootstrap). */
  campaign(): void {
    this.raft.step(message({ type: MessageType.Hup, from: this.id }));
  }

  /** Proposes one entry. Throws RaftError ProposalDropped (with the leader hint) if refused. */
  propose(data: Uint8Array): void {
    this.proposeMany([data]);
  }

  /** Proposes several entries at once; they are appended together or not at all. */
  proposeMany(data: readonly Uint8Array[]): void {
    this.raft.step(
      message({
        type: MessageType.Propose,
        from: this.id,
        entries: data.map((d) => ({ term: 0, index: 0, type: EntryType.Normal, data: d })),
      }),
    );
  }

  /** Proposes a membership change. Throws ProposalDropped if one is pending or it is invalid. */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      message({
        type: MessageType.Propose,
        from: this.id,
        entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }],
      }),
    );
  }

  /**
   * Applies a committed membership change; call it when applying its entry and persist the
   * returned ConfState with the applied index. Throws InvalidConfChange, changing nothing,
   * if the change does not fit (every replica decides alike; treat it as a no-op).
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Feeds a message from another peer. Local message types are refused. */
  step(m: Message): void {
    if (isLocalMessage(m.type)) {
      throw new RaftError(
        RaftErrorCode.StepLocalMessage,
        `${MessageType[m.type]} is a local message`,
      );
    }
    if (isResponse(m.type) && !this.raft.trk.progress.has(m.from)) {
      // A response from a peer no longer in the configuration: nothing to update.
      return;
    }
    try {
      this.raft.step(m);
    } catch (e) {
      // A request forwarded by another peer (proposal, read, transfer) was refused here, e.g.
      // because this peer lost track of the leader meanwhile; that peer's client times out.
      const forwarded =
        m.type === MessageType.Propose ||
        m.type === MessageType.ReadIndex ||
        m.type === MessageType.TransferLeader;
      if (isRaftError(e, RaftErrorCode.ProposalDropped) && forwarded) return;
      throw e;
    }
  }

  /**
   * Requests a linearizable read point tagged `context` (unique per request). The answer
   * arrives in a later Ready's readStates. Throws ProposalDropped if no leader is known.
   */
  readIndex(context: Uint8Array): void {
    this.raft.step(
      message({
        type: MessageType.ReadIndex,
        from: this.id,
        entries: [{ term: 0, index: 0, type: EntryType.Normal, data: context }],
      }),
    );
  }

  /** Asks the leader to hand leadership to `transferee` (Raft thesis §3.10). */
  transferLeader(transferee: PeerId): void {
    this.raft.step(message({ type: MessageType.TransferLeader, from: transferee }));
  }

  /**
   * As leader, sends every follower the commit index now (an append, empty if need be), e.g.
   * after a split or membership change, which followers should apply without waiting for
   * the next heartbeat (RaftConfig.lazyCommitNotice). Does nothing on a follower.
   */
  broadcastCommit(): void {
    if (this.raft.role === Role.Leader) bcastAppend(this.raft);
  }

  reportUnreachable(id: PeerId): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: id }));
  }

  reportSnapshot(id: PeerId, status: SnapshotStatus): void {
    this.raft.step(
      message({
        type: MessageType.SnapshotStatus,
        from: id,
        reject: status === SnapshotStatus.Failure,
      }),
    );
  }

  hasReady(): boolean {
    const r = this.raft;
    if (!sameSoftState(r.softState(), this.prevSoftState)) return true;
    if (!sameHardState(r.hardState(), this.prevHardState)) return true;
    if (r.log.nextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.selfAfterPersist.length > 0)
      return true;
    if (r.log.hasNextUnstableEntries() || r.log.hasNextCommittedEntries()) return true;
    return r.readStates.length > 0 || r.appendPending;
  }

  /** Collects the next Ready. The host must eventually call persisted() with its number. */
  ready(): Ready {
    const r = this.raft;
    r.flushPendingAppends();
    const softState = r.softState();
    const hardState = r.hardState();
    const entries = r.log.nextUnstableEntries();
    const snapshot = r.log.nextUnstableSnapshot();
    const committedEntries = r.log.nextCommittedEntries();
    const hardChanged = !sameHardState(hardState, this.prevHardState);
    const rd: Ready = {
      number: this.nextNumber++,
      ...(sameSoftState(softState, this.prevSoftState) ? {} : { softState }),
      ...(hardChanged ? { hardState } : {}),
      entries,
      ...(snapshot ? { snapshot } : {}),
      messages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      committedEntries,
      readStates: r.readStates,
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hardState.term !== this.prevHardState.term ||
        hardState.vote !== this.prevHardState.vote,
    };

    const last = entries[entries.length - 1];
    this.outstanding.push({
      number: rd.number,
      ...(last ? { lastEntry: { index: last.index, term: last.term } } : {}),
      ...(snapshot ? { snapshotIndex: snapshot.metadata.index } : {}),
      selfMessages: r.selfAfterPersist,
    });
    r.log.unstable.acceptInProgress();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted) {
      r.log.acceptApplying(lastCommitted.index);
      r.reduceUncommittedBytes(payloadBytes(committedEntries));
    }
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.selfAfterPersist = [];
    r.readStates = [];
    this.prevSoftState = softState;
    this.prevHardState = hardState;
    return rd;
  }

  /**
   * Reports that Ready `number` and all before it are durable: hard state, entries,
   * snapshot. Now its messagesAfterPersist may be sent.
   */
  persisted(number: number): void {
    assert(number < this.nextNumber, () => `Ready ${number} was never handed out`);
    const r = this.raft;
    while (this.outstanding.length > 0 && this.outstanding[0]!.number <= number) {
      const done = this.outstanding.shift()!;
      if (done.snapshotIndex !== undefined) {
        // The host installed the snapshot into its state machine: that counts as applied.
        r.log.unstable.stableSnapshotTo(done.snapshotIndex);
        if (done.snapshotIndex > r.log.applied) r.log.appliedTo(done.snapshotIndex);
      }
      if (done.snapshotIndex !== undefined) r.log.markSnapshotDurable(done.snapshotIndex);
      if (done.lastEntry) {
        const { index, term } = done.lastEntry;
        if (r.log.storedSeparately) {
          r.log.markDurable(index, term);
          this.unstored.push({ number: done.number, lastEntry: done.lastEntry });
        } else {
          r.log.unstable.stableTo(index, term);
        }
        // Stale if the entry was overwritten meanwhile: then it does not count.
        if (r.log.durableLastIndex() >= index && r.log.termOrZero(index) === term)
          r.selfPersisted(index);
      }
      for (const m of done.selfMessages) r.step(m);
    }
  }

  /**
   * storedSeparately only: Ready `number` and all before it, already reported persisted,
   * are readable from storage now, so their entries may leave memory.
   */
  stored(number: number): void {
    assert(this.raft.log.storedSeparately, 'stored() needs storedSeparately');
    while (this.unstored.length > 0 && this.unstored[0]!.number <= number) {
      const { index, term } = this.unstored.shift()!.lastEntry;
      this.raft.log.unstable.stableTo(index, term);
    }
  }

  /** Reports that committed entries up to `index` are applied to the state machine. */
  applied(index: number): void {
    this.raft.appliedTo(index);
  }

  /** For hosts that persist and apply a Ready before taking the next: both reports at once. */
  advance(rd: Ready): void {
    this.persisted(rd.number);
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last) this.applied(last.index);
  }

  status(): Status {
    const r = this.raft;
    let progress: Map<PeerId, PeerProgress> | undefined;
    if (r.role === Role.Leader) {
      progress = new Map();
      r.trk.visit((id, pr) => {
        progress!.set(id, {
          matchIndex: pr.matchIndex,
          nextIndex: pr.nextIndex,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
        });
      });
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      confState: r.trk.confState(),
      leadTransferee: r.leadTransferee,
      ...(progress ? { progress } : {}),
    };
  }
}

function isResponse(type: MessageType): boolean {
  return (
    type === MessageType.AppendResponse ||
    type === MessageType.HeartbeatResponse ||
    type === MessageType.VoteResponse ||
    type === MessageType.PreVoteResponse
  );
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leaderId === b.leaderId && a.role === b.role;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
