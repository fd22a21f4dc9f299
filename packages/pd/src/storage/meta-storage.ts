/**
 * The metadata storage the PD core persists to: an injected, asynchronous, ordered
 * key-value map over bytes. In production it is the key space of the region the PD's own
 * Raft group hosts; in tests, MemoryMetaStorage (testing/).
 *
 * Not here: replication or leadership. The wiring layer makes a write durable on a quorum
 * before its promise resolves, and makes writes fail once this PD is no longer the leader.
 */

/** One stored pair. */
export interface MetaEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * What the wiring layer provides. Contract:
 * - `put` and `delete` resolve only once the write is durable and replicated (committed by
 *   the PD's Raft group); they reject if it may not be (e.g. leadership was lost).
 * - `get` and `scan` see every write whose promise resolved, from this leader or a previous
 *   one (the new leader reads after its first committed entry of its term).
 * - Writes issued one after another (each awaited) apply in that order. The core never has
 *   two writes in flight at once (storage/meta-writer.ts serializes them).
 */
export interface MetaStorage {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  delete(key: Uint8Array): Promise<void>;
  /** Entries with start <= key < end (end empty = unbounded), in key order, at most `limit`. */
  scan(start: Uint8Array, end: Uint8Array, limit: number): Promise<MetaEntry[]>;
}

/** One write the core asks for. */
export type MetaWrite =
  | { readonly kind: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly kind: 'delete'; readonly key: Uint8Array };
