/**
 * Property tests of the quorum math (Raft §5.2-5.3, thesis §4.3) against naive models:
 * committed indexes by counting, vote results by trying every way the outstanding votes
 * could still go. The models share no code with src/quorum.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
  type PeerId,
  VoteResult,
} from '../src/index.js';

/** Peer ids drawn from 1..PEER_ID_MAX, so voter sets overlap often. */
const PEER_ID_MAX = 9;
/** Up to 7 voters: 3- and 5-peer groups, joint configs and some more. */
const VOTERS_MAX = 7;
const RUNS = 2000;

const voterSet = fc
  .uniqueArray(fc.integer({ min: 1, max: PEER_ID_MAX }), { maxLength: VOTERS_MAX })
  .map((ids) => new Set<PeerId>(ids));

/** Match index per peer id (index = id), undefined where the leader knows none. */
const acks = fc.array(fc.option(fc.nat({ max: 20 }), { nil: undefined }), {
  minLength: PEER_ID_MAX + 1,
  maxLength: PEER_ID_MAX + 1,
});

/** Vote per peer id: granted, rejected, or not yet in. Ids outside the voter set vote too. */
const votesArb = fc
  .array(fc.constantFrom(true, false, undefined), {
    minLength: PEER_ID_MAX + 1,
    maxLength: PEER_ID_MAX + 1,
  })
  .map((vs) => {
    const m = new Map<PeerId, boolean>();
    vs.forEach((v, id) => {
      if (id > 0 && v !== undefined) m.set(id, v);
    });
    return m;
  });

// ---- naive models ------------------------------------------------------------------------

function isMajority(count: number, of: number): boolean {
  return 2 * count > of;
}

/** Whether index `i` is held by a majority of every non-empty set in `sets`. */
function heldByQuorums(sets: ReadonlySet<PeerId>[], match: (id: PeerId) => number, i: number) {
  return sets.every((s) => {
    if (s.size === 0) return true;
    let n = 0;
    for (const id of s) if (match(id) >= i) n++;
    return isMajority(n, s.size);
  });
}

/** The largest index held by quorums of all sets; Infinity when every set is empty. */
function naiveCommitted(sets: ReadonlySet<PeerId>[], acked: (number | undefined)[]): number {
  if (sets.every((s) => s.size === 0)) return Number.POSITIVE_INFINITY;
  const match = (id: PeerId) => acked[id] ?? 0;
  const candidates = [0, ...acked.filter((a): a is number => a !== undefined)];
  return Math.max(...candidates.filter((i) => heldByQuorums(sets, match, i)));
}

/**
 * Won if every way the outstanding votes could go wins all sets, Lost if none does,
 * Pending otherwise. Votes of non-voters are ignored; an empty set always wins.
 */
function naiveVoteResult(sets: ReadonlySet<PeerId>[], votes: ReadonlyMap<PeerId, boolean>) {
  const voters = [...new Set(sets.flatMap((s) => [...s]))];
  const missing = voters.filter((id) => !votes.has(id));
  let wins = 0;
  const outcomes = 2 ** missing.length;
  for (let mask = 0; mask < outcomes; mask++) {
    const complete = new Map(votes);
    missing.forEach((id, bit) => {
      complete.set(id, ((mask >> bit) & 1) === 1);
    });
    const won = sets.every((s) => {
      if (s.size === 0) return true;
      let granted = 0;
      for (const id of s) if (complete.get(id)) granted++;
      return isMajority(granted, s.size);
    });
    if (won) wins++;
  }
  if (wins === outcomes) return VoteResult.Won;
  if (wins === 0) return VoteResult.Lost;
  return VoteResult.Pending;
}

// ---- properties --------------------------------------------------------------------------

describe('quorum math against naive models (Raft §5.2-5.3, thesis §4.3)', () => {
  it('majorityCommittedIndex is the largest index a majority has acknowledged', () => {
    fc.assert(
      fc.property(voterSet, acks, (voters, acked) => {
        expect(majorityCommittedIndex(voters, (id) => acked[id])).toBe(
          naiveCommitted([voters], acked),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('jointCommittedIndex needs both majorities; an empty half is neutral', () => {
    fc.assert(
      fc.property(voterSet, voterSet, acks, (incoming, outgoing, acked) => {
        expect(jointCommittedIndex({ incoming, outgoing }, (id) => acked[id])).toBe(
          naiveCommitted([incoming, outgoing], acked),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('majorityVoteResult is decided only when the outstanding votes cannot change it', () => {
    fc.assert(
      fc.property(voterSet, votesArb, (voters, votes) => {
        expect(majorityVoteResult(voters, votes)).toBe(naiveVoteResult([voters], votes));
      }),
      { numRuns: RUNS },
    );
  });

  it('jointVoteResult is won only with both majorities, lost once either is out of reach', () => {
    fc.assert(
      fc.property(voterSet, voterSet, votesArb, (incoming, outgoing, votes) => {
        expect(jointVoteResult({ incoming, outgoing }, votes)).toBe(
          naiveVoteResult([incoming, outgoing], votes),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('a committed index never exceeds what some voter acknowledged (no invented indexes)', () => {
    fc.assert(
      fc.property(voterSet, voterSet, acks, (incoming, outgoing, acked) => {
        fc.pre(incoming.size + outgoing.size > 0);
        const c = jointCommittedIndex({ incoming, outgoing }, (id) => acked[id]);
        const voters = [...incoming, ...outgoing];
        expect(c === 0 || voters.some((id) => acked[id] === c)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('adding an acknowledgement never lowers the committed index (monotonicity)', () => {
    fc.assert(
      fc.property(
        voterSet,
        voterSet,
        acks,
        fc.integer({ min: 1, max: PEER_ID_MAX }),
        fc.nat({ max: 20 }),
        (incoming, outgoing, acked, id, more) => {
          const before = jointCommittedIndex({ incoming, outgoing }, (p) => acked[p]);
          const raised = acked.slice();
          raised[id] = Math.max(acked[id] ?? 0, more);
          const after = jointCommittedIndex({ incoming, outgoing }, (p) => raised[p]);
          expect(after).toBeGreaterThanOrEqual(before);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
