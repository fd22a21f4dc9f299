/**
 * The placement driver's error catalog: every operating error the PD core reports, each
 * with a stable code, a retryable flag and typed details. docs/errors.md documents them;
 * the wiring layer sends them as atoll.error.Error and the PD client rebuilds the same
 * typed error. Programmer errors are not here: they fail an assertion (assert.ts).
 */

import type { RegionMeta } from './meta/types.js';

/** Every PD error code; stable across releases (docs/errors.md). */
export const PdErrorCode = {
  /** This PD is not serving (not the leader, or it stopped after a storage failure). */
  NotLeader: 'PD_ERR_NOT_LEADER',
  /** The request names another cluster. */
  ClusterMismatch: 'PD_ERR_CLUSTER_MISMATCH',
  /** The cluster has not been bootstrapped yet. */
  NotBootstrapped: 'PD_ERR_NOT_BOOTSTRAPPED',
  /** Bootstrap was asked for a second time. */
  AlreadyBootstrapped: 'PD_ERR_ALREADY_BOOTSTRAPPED',
  /** Another live store already uses this address. */
  DuplicateAddress: 'PD_ERR_DUPLICATE_ADDRESS',
  /** No store with this id is registered. */
  StoreNotFound: 'PD_ERR_STORE_NOT_FOUND',
  /** The store was removed for good; it may not come back under the same id. */
  StoreTombstone: 'PD_ERR_STORE_TOMBSTONE',
  /** A region description older than what the PD knows (a late or replayed heartbeat). */
  StaleEpoch: 'PD_ERR_STALE_EPOCH',
  /**
   * Accepting this region report alone would leave keys without a region (half of a split
   * whose other half is not reported yet): retry; it is taken after a grace period.
   */
  SplitPending: 'PD_ERR_SPLIT_PENDING',
  /** A region description that cannot be right (bad range, no peers, leader not a voter). */
  InvalidRegion: 'PD_ERR_INVALID_REGION',
  /** No region with this id is known. */
  RegionNotFound: 'PD_ERR_REGION_NOT_FOUND',
  /** An argument is out of range (a count of 0, a malformed store). */
  InvalidArgument: 'PD_ERR_INVALID_ARGUMENT',
  /** Metadata storage failed; this PD stopped serving and another leader must take over. */
  Storage: 'PD_ERR_STORAGE',
  /** A configuration value is invalid. */
  InvalidConfig: 'PD_ERR_INVALID_CONFIG',
  /** A request failed with an error outside this catalog (a bug); the server logged it. */
  Internal: 'PD_ERR_INTERNAL',
} as const;

/** One of PdErrorCode's values. */
export type PdErrorCode = (typeof PdErrorCode)[keyof typeof PdErrorCode];

/** Typed details some errors carry. */
export interface PdErrorDetails {
  /** PD_ERR_STALE_EPOCH: what the PD knows of the region(s) the stale report overlaps. */
  readonly currentRegions?: readonly RegionMeta[];
  readonly storeId?: number;
  readonly regionId?: number;
  readonly clusterId?: number;
  readonly address?: string;
}

/** A typed operating error of the PD core. */
export class PdError extends Error {
  override readonly name = 'PdError';
  constructor(
    readonly code: PdErrorCode,
    message: string,
    readonly retryable = false,
    readonly details: PdErrorDetails = {},
  ) {
    super(message);
  }
}

/** Whether `e` is a PdError, optionally with a given code. */
export function isPdError(e: unknown, code?: PdErrorCode): e is PdError {
  return e instanceof PdError && (code === undefined || e.code === code);
}

/** PD_ERR_NOT_LEADER: retryable at the current leader, which the wiring layer names. */
export function notLeader(): PdError {
  return new PdError(PdErrorCode.NotLeader, 'this PD is not serving as leader', true);
}

/** PD_ERR_INVALID_ARGUMENT. */
export function invalidArgument(message: string): PdError {
  return new PdError(PdErrorCode.InvalidArgument, message);
}
