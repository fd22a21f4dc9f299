/**
 * The PD client's one error class. Errors the PD reports keep their code (PD_ERR_*, see
 * @atoll/pd's catalog); the client adds its own (PD_CLIENT_ERR_*). docs/errors.md lists both.
 */

import type { atoll } from '@atoll/proto';

/** The client's own codes; stable across releases. */
export const PdClientErrorCode = {
  /** No PD leader answered before the call's deadline (every member down, or no quorum). */
  Unavailable: 'PD_CLIENT_ERR_UNAVAILABLE',
  /** A PD member answered for another cluster than the one this client belongs to. */
  ClusterMismatch: 'PD_CLIENT_ERR_CLUSTER_MISMATCH',
  /** The client was closed; nothing more is sent. */
  Closed: 'PD_CLIENT_ERR_CLOSED',
  /**
   * A TSO answer was not above the previous one (a PD bug, or the leader-lease assumption
   * broken by clocks far out of spec). Those timestamps were not handed out; a retry gets
   * fresh ones.
   */
  TsoOutOfOrder: 'PD_CLIENT_ERR_TSO_OUT_OF_ORDER',
} as const;

/** One of PdClientErrorCode's values. */
export type PdClientErrorCode = (typeof PdClientErrorCode)[keyof typeof PdClientErrorCode];

/** A typed PD error: a PD_ERR_* code from the server or a PD_CLIENT_ERR_* code. */
export class PdClientError extends Error {
  override readonly name = 'PdClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `e` is a PdClientError, optionally with a given code. */
export function isPdClientError(e: unknown, code?: string): e is PdClientError {
  return e instanceof PdClientError && (code === undefined || e.code === code);
}

/** Rebuilds the typed error a PD sent in a response header (details arrive as JSON). */
export function fromWireError(error: atoll.error.IError): PdClientError {
  let details: Record<string, unknown> = {};
  if (error.detailsJson) {
    try {
      const parsed: unknown = JSON.parse(error.detailsJson);
      if (parsed && typeof parsed === 'object') details = parsed as Record<string, unknown>;
    } catch {
      details = { raw: error.detailsJson };
    }
  }
  return new PdClientError(
    error.code || 'PD_ERR_UNKNOWN',
    error.message || 'the placement driver reported an error',
    error.retryable ?? false,
    details,
  );
}

/** PD_CLIENT_ERR_UNAVAILABLE, naming the last failure seen. */
export function unavailable(what: string, cause?: unknown): PdClientError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new PdClientError(
    PdClientErrorCode.Unavailable,
    `placement driver unavailable (${what})${why}`,
    true,
    {},
    cause === undefined ? undefined : { cause },
  );
}

/** PD_CLIENT_ERR_CLOSED. */
export function closedError(): PdClientError {
  return new PdClientError(PdClientErrorCode.Closed, 'the PD client is closed');
}

/** PD_CLIENT_ERR_CLUSTER_MISMATCH. */
export function clusterMismatch(address: string, expected: number, got: number): PdClientError {
  return new PdClientError(
    PdClientErrorCode.ClusterMismatch,
    `PD at ${address} serves cluster ${got}, this client belongs to cluster ${expected}`,
    false,
    { address, expected, got },
  );
}
