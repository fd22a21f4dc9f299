/**
 * Majority math for one voter set (Raft §5.2, §5.3). Pure functions; the property tests in
 * test/quorum.test.ts check them against a naive model.
 */

import type { PeerId } from '../types.js';
import { VoteResult } from './vote-result.js';

/** What a peer acknowledged: its match index, or undefined if unknown. */
export type AckedIndexer = (id: PeerId) => number | undefined;

/**
 * The highest index acknowledged by a majority of `voters`. An empty set commits everything
 * (Infinity) so that it is neutral inside a joint config.
 */
export function majorityCommittedIndex(voters: ReadonlySet<PeerId>, acked: AckedIndexer): number {
  const n = voters.size;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const indexes: number[] = [];
  for (const id of voters) indexes.push(acked(id) ?? 0);
  indexes.sort((a, b) => b - a);
  // The (n/2+1)-th highest index is held by a majority.
  return indexes[Math.floor(n / 2)]!;
}

/** Counts votes: true granted, false rejected, absent still outstanding. */
export function majorityVoteResult(
  voters: ReadonlySet<PeerId>,
  votes: ReadonlyMap<PeerId, boolean>,
): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return VoteResult.Won;
  if (granted + missing >= quorum) return VoteResult.Pending;
  return VoteResult.Lost;
}
