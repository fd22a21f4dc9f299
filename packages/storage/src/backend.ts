/**
 * The narrow key-value interface the engine is written against, implemented twice: on LMDB
 * (lmdb-backend.ts) and in memory (memory-backend.ts). Everything above it (log engine, MVCC,
 * group commit, snapshots) exists once, so the conformance suite that runs against both
 * engines tests the same code paths, and only this seam differs.
 *
 * Reads are synchronous and see committed state. Writes are transaction operations: closures
 * that run inside one backend transaction, in order, and may read what earlier ones wrote.
 * Not here: durability policy (write-batch.ts decides which commits must be synced).
 */

/** The four tables of an environment (see keys.ts for their key layouts). */
export const Table = {
  Log: 'log',
  State: 'state',
  Data: 'data',
  Stage: 'stage',
} as const;
export type Table = (typeof Table)[keyof typeof Table];

/** Every table, in a fixed order. */
export const ALL_TABLES: readonly Table[] = [Table.Log, Table.State, Table.Data, Table.Stage];

/** One stored pair. */
export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A scan over table keys in [start, end); `end` undefined runs to the end of the table. */
export interface TableScan {
  readonly start: Uint8Array;
  readonly end?: Uint8Array | undefined;
  /** Iterate from the end of the range downwards. */
  readonly reverse?: boolean;
  /** At most this many pairs (undefined = all). */
  readonly limit?: number;
  /** Values are returned empty (cheaper on LMDB). */
  readonly keysOnly?: boolean;
}

/**
 * Synchronous reads of one consistent state. Returned bytes must not be mutated (the memory
 * engine shares them with its maps).
 */
export interface ReadView {
  get(table: Table, key: Uint8Array): Uint8Array | undefined;
  scan(table: Table, range: TableScan): Iterable<KeyValue>;
}

/** The view a transaction operation gets: reads see the transaction's own earlier writes. */
export interface WriteTxn extends ReadView {
  put(table: Table, key: Uint8Array, value: Uint8Array): void;
  del(table: Table, key: Uint8Array): void;
  /** Deletes every key in [start, end) (`end` undefined = to the end); returns how many. */
  deleteRange(table: Table, start: Uint8Array, end: Uint8Array | undefined): number;
}

/** One step of a transaction. A throw aborts the whole transaction (nothing is written). */
export type TxnOp = (txn: WriteTxn) => void;

/** A read view that pins one state until released (snapshot export). */
export interface PinnedView extends ReadView {
  release(): void;
}

/** How far a commit must get before its promise resolves. */
export const Durability = {
  /** Committed and visible to reads; may be lost by a power failure. */
  Visible: 'visible',
  /** Visible and synced to disk (fsync done). */
  Durable: 'durable',
} as const;
export type Durability = (typeof Durability)[keyof typeof Durability];

/** A storage backend: an environment of tables with transactional, ordered commits. */
export interface Backend extends ReadView {
  /** 'lmdb' or 'memory', for messages and the bench. */
  readonly kind: string;
  /**
   * Runs `ops` as ONE transaction. Transactions commit in call order; the promise resolves
   * once this one has reached `durability`, and rejects (with nothing written) on failure.
   */
  commit(ops: readonly TxnOp[], durability: Durability, putBytes: number): Promise<void>;
  /** Resolves once everything committed so far is durable. */
  flushed(): Promise<void>;
  /** Pins the current committed state for reads that span event-loop turns. */
  pin(): PinnedView;
  /** Releases the environment; pending commits finish first. */
  close(): Promise<void>;
  /**
   * Backend transactions committed so far, where the backend counts them (LMDB with
   * `trackMetrics`). Each durable LMDB transaction costs one fdatasync.
   */
  transactions(): number | undefined;
}
