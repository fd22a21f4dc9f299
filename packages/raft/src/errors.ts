/**
 * The Raft core's error catalog: every operating error it can report, with a stable code.
 *
 * Programmer errors (a broken invariant) are not here: they fail an assertion (assert.ts).
 * Codes are stable across releases; docs/errors.md documents each one.
 */

import type { PeerId } from './types.js';

export const RaftErrorCode = {
  /** A proposal was not accepted: see `details.reason`; the leader hint may help. */
  ProposalDropped: 'RAFT_ERR_PROPOSAL_DROPPED',
  /** Storage: the requested index precedes the first index still kept (it was compacted). */
  Compacted: 'RAFT_ERR_COMPACTED',
  /** Storage: the requested index is past the last index. */
  Unavailable: 'RAFT_ERR_UNAVAILABLE',
  /** Storage: a snapshot is being generated; try again later. */
  SnapshotTemporarilyUnavailable: 'RAFT_ERR_SNAPSHOT_TEMPORARILY_UNAVAILABLE',
  /** Storage: the snapshot is older than the one already held. */
  SnapshotOutOfDate: 'RAFT_ERR_SNAPSHOT_OUT_OF_DATE',
  /** A configuration is invalid. */
  InvalidConfig: 'RAFT_ERR_INVALID_CONFIG',
  /** A membership change cannot be applied to the current configuration. */
  InvalidConfChange: 'RAFT_ERR_INVALID_CONF_CHANGE',
  /** A step was refused: e.g. a response from a peer that is not in the configuration. */
  StepPeerNotFound: 'RAFT_ERR_STEP_PEER_NOT_FOUND',
  /** A local message type was given to step() as if it came from the wire. */
  StepLocalMessage: 'RAFT_ERR_STEP_LOCAL_MESSAGE',
} as const;

export type RaftErrorCode = (typeof RaftErrorCode)[keyof typeof RaftErrorCode];

/** Why a proposal was dropped. */
export type ProposalDropReason =
  /** This peer is not the leader and forwarding is off, or no leader is known. */
  | 'not-leader'
  /** The leader is handing over to another peer (Raft thesis §3.10). */
  | 'leadership-transfer'
  /** Too many bytes proposed but not committed yet. */
  | 'uncommitted-limit'
  /** A membership change is already pending, or this one does not fit the config. */
  | 'conf-change-pending'
  /** The leader is not part of the configuration any more. */
  | 'removed';

export interface RaftErrorDetails {
  reason?: ProposalDropReason;
  /** The leader this peer knows of, or 0. */
  leaderId?: PeerId;
  index?: number;
}

/** A typed operating error of the Raft core. `retryable` says whether trying again may work. */
export class RaftError extends Error {
  override readonly name = 'RaftError';
  constructor(
    readonly code: RaftErrorCode,
    message: string,
    readonly details: RaftErrorDetails = {},
    readonly retryable = false,
  ) {
    super(message);
  }
}

export function proposalDropped(reason: ProposalDropReason, leaderId: PeerId): RaftError {
  return new RaftError(
    RaftErrorCode.ProposalDropped,
    `proposal dropped: ${reason}${leaderId ? ` (leader is ${leaderId})` : ''}`,
    { reason, leaderId },
    reason !== 'removed',
  );
}

export function isRaftError(e: unknown, code?: RaftErrorCode): e is RaftError {
  return e instanceof RaftError && (code === undefined || e.code === code);
}
