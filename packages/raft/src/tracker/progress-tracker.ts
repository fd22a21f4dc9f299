/**
 * The leader's view of the group: the active configuration, every peer's Progress, and the
 * votes of an election in progress.
 */

import {
  isJoint,
  type JointConfig,
  jointCommittedIndex,
  jointVoteResult,
  jointVoterIds,
} from '../quorum/joint.js';
import { VoteResult } from '../quorum/vote-result.js';
import type { ConfState, PeerId } from '../types.js';
import { Progress } from './progress.js';

/** A membership configuration. Invariant: learners and voters are disjoint. */
export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: ReadonlySet<PeerId>;
  /**
   * Voters of the outgoing config that turn into learners when the joint config is left
   * (a voter cannot be a learner at the same time). Invariant: each is an outgoing voter.
   */
  readonly learnersNext: ReadonlySet<PeerId>;
  readonly autoLeave: boolean;
}

export function emptyTrackerConfig(): TrackerConfig {
  return {
    voters: { incoming: new Set(), outgoing: new Set() },
    learners: new Set(),
    learnersNext: new Set(),
    autoLeave: false,
  };
}

export function configToConfState(c: TrackerConfig): ConfState {
  const sorted = (s: ReadonlySet<PeerId>) => [...s].sort((a, b) => a - b);
  return {
    voters: sorted(c.voters.incoming),
    votersOutgoing: sorted(c.voters.outgoing),
    learners: sorted(c.learners),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress = new Map<PeerId, Progress>();
  votes = new Map<PeerId, boolean>();

  constructor(
    readonly inflightMessagesMax: number,
    readonly inflightBytesMax: number,
  ) {}

  confState(): ConfState {
    return configToConfState(this.config);
  }

  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && !isJoint(this.config.voters);
  }

  /** The highest index replicated on a quorum (Raft §5.3). */
  committed(): number {
    return jointCommittedIndex(this.config.voters, (id) => this.progress.get(id)?.matchIndex);
  }

  /** Calls `fn` for every peer in id order, so runs are deterministic. */
  visit(fn: (id: PeerId, pr: Progress) => void): void {
    const ids = [...this.progress.keys()].sort((a, b) => a - b);
    for (const id of ids) fn(id, this.progress.get(id)!);
  }

  /** Check-quorum (Raft thesis §6.2): has a quorum of voters been heard from recently? */
  quorumActive(selfId: PeerId): boolean {
    const votes = new Map<PeerId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, id === selfId || pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === VoteResult.Won;
  }

  voterIds(): PeerId[] {
    return jointVoterIds(this.config.voters);
  }

  isVoter(id: PeerId): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records the first vote from `id`; later duplicates do not change it. */
  recordVote(id: PeerId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, v] of this.votes) {
      if (!this.isVoter(id)) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }

  newProgress(nextIndex: number, isLearner: boolean): Progress {
    return new Progress(nextIndex, this.inflightMessagesMax, this.inflightBytesMax, isLearner);
  }
}
