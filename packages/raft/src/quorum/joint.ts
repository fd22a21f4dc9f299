/**
 * Quorum math for a joint configuration (Raft thesis §4.3): a decision needs a majority
 * of the incoming AND of the outgoing voter set. Outside a joint config the outgoing set is
 * empty, which is neutral.
 */

import type { PeerId } from '../types.js';
import { type AckedIndexer, majorityCommittedIndex, majorityVoteResult } from './majority.js';
import { VoteResult } from './vote-result.js';

export interface JointConfig {
  readonly incoming: ReadonlySet<PeerId>;
  readonly outgoing: ReadonlySet<PeerId>;
}

export function jointCommittedIndex(config: JointConfig, acked: AckedIndexer): number {
  return Math.min(
    majorityCommittedIndex(config.incoming, acked),
    majorityCommittedIndex(config.outgoing, acked),
  );
}

export function jointVoteResult(
  config: JointConfig,
  votes: ReadonlyMap<PeerId, boolean>,
): VoteResult {
  const a = majorityVoteResult(config.incoming, votes);
  const b = majorityVoteResult(config.outgoing, votes);
  if (a === b) return a;
  if (a === VoteResult.Lost || b === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}

/** Every voter of either half, sorted. */
export function jointVoterIds(config: JointConfig): PeerId[] {
  const ids = new Set([...config.incoming, ...config.outgoing]);
  return [...ids].sort((a, b) => a - b);
}

export function isJoint(config: JointConfig): boolean {
  return config.outgoing.size > 0;
}
