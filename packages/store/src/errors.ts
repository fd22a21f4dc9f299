/**
 * The store's error catalog. Region errors (NotLeader, EpochNotMatch, ...) are not here:
 * they are routing answers and travel as atoll.error.RegionError (region-errors.ts). These
 * are the other operating errors, each with a stable code; docs/errors.md documents them.
 */

export const StoreErrorCode = {
  /** The request is malformed: a field is missing or of the wrong shape. */
  Malformed: 'STORE_ERR_MALFORMED_REQUEST',
  /** A key is empty where one is required. */
  EmptyKey: 'STORE_ERR_EMPTY_KEY',
  KeyTooLarge: 'STORE_ERR_KEY_TOO_LARGE',
  ValueTooLarge: 'STORE_ERR_VALUE_TOO_LARGE',
  /** The whole request (e.g. a batch put) is over the size limit. */
  RequestTooLarge: 'STORE_ERR_REQUEST_TOO_LARGE',
  /** A range whose start is after its end. */
  InvalidRange: 'STORE_ERR_INVALID_RANGE',
  /** The store is stopping; nothing was done. */
  ShuttingDown: 'STORE_ERR_SHUTTING_DOWN',
  /** The request did not finish in time; a write may or may not have been applied. */
  Timeout: 'STORE_ERR_TIMEOUT',
  /** Storage failed (disk full, I/O error); details say which. */
  Storage: 'STORE_ERR_STORAGE',
  /** A message from another cluster. */
  ClusterMismatch: 'STORE_ERR_CLUSTER_MISMATCH',
  /** A message addressed to another store. */
  StoreMismatch: 'STORE_ERR_STORE_MISMATCH',
  /** The connection broke after a request was sent: its outcome is unknown. */
  StreamBroken: 'STORE_ERR_STREAM_BROKEN',
  /** A request was never written to the wire (no connection, too many pending): safe to retry. */
  NotSent: 'STORE_ERR_NOT_SENT',
  /** The transport or client was closed; nothing more is sent or received. */
  TransportClosed: 'STORE_ERR_TRANSPORT_CLOSED',
  /** Another store cannot be reached (address unknown, connection refused, link cut). */
  StoreUnreachable: 'STORE_ERR_STORE_UNREACHABLE',
  /** A snapshot chunk or the whole stream failed its CRC check. */
  SnapshotChecksum: 'STORE_ERR_SNAPSHOT_CHECKSUM',
  /** The receiving store refused a snapshot (its handler failed, or the stream was incomplete). */
  SnapshotRefused: 'STORE_ERR_SNAPSHOT_REFUSED',
  /** A snapshot chunk is over the transport's chunk limit. */
  SnapshotChunkTooLarge: 'STORE_ERR_SNAPSHOT_CHUNK_TOO_LARGE',
  /** Too many snapshots are being sent or received at once; try again later. */
  TooManySnapshots: 'STORE_ERR_TOO_MANY_SNAPSHOTS',
  /** A handler failed with an unexpected (non-catalog) error. */
  Internal: 'STORE_ERR_INTERNAL',
  /** An invalid admin request (split outside the region, unknown peer, ...). */
  InvalidAdmin: 'STORE_ERR_INVALID_ADMIN',
  /** Another live process holds the data folder. */
  DataDirLocked: 'STORE_ERR_DATA_DIR_LOCKED',
  /** A listen address is taken. */
  AddressInUse: 'STORE_ERR_ADDRESS_IN_USE',
  /** A configuration value is missing or invalid. */
  InvalidConfig: 'STORE_ERR_INVALID_CONFIG',
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly retryable = false,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const codes: ReadonlySet<string> = new Set(Object.values(StoreErrorCode));

/** True when `code` is one of this catalog's codes (e.g. one read off the wire). */
export function isStoreErrorCode(code: string | null | undefined): code is StoreErrorCode {
  return codes.has(code ?? '');
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
