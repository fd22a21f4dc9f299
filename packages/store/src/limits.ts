/** Size limits on client input, and why each is what it is. */

/**
 * Longest user key. LMDB keys are at most 1978 bytes here; the encoded key adds a key-space
 * prefix, memcomparable escaping (9 bytes per 8) and an 8-byte timestamp for MVCC keys. 4 KiB
 * would not fit, 1 KiB does with room to spare.
 */
export const KEY_BYTES_MAX = 1024;

/** Largest value: bounded so one write never dominates a Raft append (1 MiB cap). */
export const VALUE_BYTES_MAX = 1024 * 1024;

/** Largest request (all keys and values of a batch): bounds one Raft entry and its apply. */
export const REQUEST_BYTES_MAX = 8 * 1024 * 1024;

/** Longest client request id (the storage layer's limit for its records). */
export const REQUEST_ID_BYTES_MAX = 64;

/** Most keys in one batch get/put. */
export const BATCH_KEYS_MAX = 10_000;

/** Most pairs one scan returns; clients page beyond it. */
export const SCAN_LIMIT_MAX = 10_000;
