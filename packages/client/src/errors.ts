/**
 * The client's errors: one class, a stable code, whether a retry may help, and details.
 * Errors a store reports (STORE_ERR_*) keep their code; the client adds its own (CLIENT_ERR_*).
 * docs/errors.md lists them all.
 */

export const ClientErrorCode = {
  /** An argument is invalid (empty key, wrong type, ...); nothing was sent. */
  InvalidArgument: 'CLIENT_ERR_INVALID_ARGUMENT',
  /** The deadline passed before a definitive answer; reads may be retried. */
  Timeout: 'CLIENT_ERR_TIMEOUT',
  /**
   * A write was sent but its outcome is unknown (the connection broke, or the store timed out
   * waiting for it). It may or may not have been applied. Never retried silently.
   */
  AmbiguousResult: 'CLIENT_ERR_AMBIGUOUS_RESULT',
  /** No placement driver answered. */
  PdUnavailable: 'CLIENT_ERR_PD_UNAVAILABLE',
  /** No store of the region could be reached before the deadline. */
  RegionUnavailable: 'CLIENT_ERR_REGION_UNAVAILABLE',
  /** The client was closed. */
  Closed: 'CLIENT_ERR_CLOSED',
  /** The cluster answered with the wrong cluster id. */
  ClusterMismatch: 'CLIENT_ERR_CLUSTER_MISMATCH',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class AtollError extends Error {
  override readonly name = 'AtollError';
  constructor(
    /** A ClientErrorCode, or a code reported by a store (STORE_ERR_*) or PD (PD_ERR_*). */
    readonly code: string,
    message: string,
    readonly retryable = false,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isAtollError(e: unknown, code?: string): e is AtollError {
  return e instanceof AtollError && (code === undefined || e.code === code);
}

export function invalidArgument(message: string): AtollError {
  return new AtollError(ClientErrorCode.InvalidArgument, message);
}
