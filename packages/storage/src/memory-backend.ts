/**
 * The in-memory backend: the same tables and transaction semantics as LMDB, on sorted arrays.
 * For fast tests and the deterministic simulator. A commit applies in a later microtask (so,
 * as on LMDB, nothing is visible when commit() returns), commits apply in call order, and a
 * throwing operation rolls the whole transaction back through an undo log.
 *
 * Power failures are modelled as LMDB recovers from them: a prefix of the transactions
 * survives. Every durable commit makes everything before it durable; transactions committed
 * only "visible" since the last durable one are lost by loseUnsyncedWrites(). Not here:
 * persistence across processes.
 */

import { assert } from '@atoll/raft';
import {
  ALL_TABLES,
  type Backend,
  Durability,
  type KeyValue,
  type PinnedView,
  type ReadView,
  type Table,
  type TableScan,
  type TxnOp,
  type WriteTxn,
} from './backend.js';
import { closedError, StorageError, StorageErrorCode } from './errors.js';
import { SortedBytesMap } from './sorted-bytes-map.js';

/** Options of the memory backend. */
export interface MemoryBackendOptions {
  /**
   * Total key + value bytes the engine may hold; a commit that could exceed it fails with
   * STORAGE_ERR_MAP_FULL, as a full LMDB map would. Undefined = no cap.
   */
  readonly capacityBytes?: number;
}

type Tables = Map<Table, SortedBytesMap>;

function emptyTables(): Tables {
  return new Map(ALL_TABLES.map((t) => [t, new SortedBytesMap()]));
}

class TablesView implements ReadView {
  constructor(protected readonly tables: Tables) {}

  protected table(t: Table): SortedBytesMap {
    return this.tables.get(t)!;
  }

  get(table: Table, key: Uint8Array): Uint8Array | undefined {
    return this.table(table).get(key);
  }

  scan(table: Table, range: TableScan): Iterable<KeyValue> {
    return this.table(table).scan(range);
  }
}

interface Undo {
  readonly table: Table;
  readonly key: Uint8Array;
  /** The value before the change, or undefined if the key was absent. */
  readonly before: Uint8Array | undefined;
}

/** A transaction over the live tables that remembers how to undo itself. */
class MemoryTxn extends TablesView implements WriteTxn {
  readonly undo: Undo[] = [];
  /** Net change of stored bytes. */
  bytesDelta = 0;

  put(table: Table, key: Uint8Array, value: Uint8Array): void {
    // Copy: callers may reuse their buffers after the batch is built.
    const k = key.slice();
    const before = this.table(table).set(k, value.slice());
    this.undo.push({ table, key: k, before });
    this.bytesDelta += value.byteLength - (before ? before.byteLength : -k.byteLength);
  }

  del(table: Table, key: Uint8Array): void {
    const before = this.table(table).delete(key);
    if (before === undefined) return;
    this.undo.push({ table, key, before });
    this.bytesDelta -= key.byteLength + before.byteLength;
  }

  deleteRange(table: Table, start: Uint8Array, end: Uint8Array | undefined): number {
    const gone = this.table(table).deleteRange(start, end);
    for (const { key, value } of gone) {
      this.undo.push({ table, key, before: value });
      this.bytesDelta -= key.byteLength + value.byteLength;
    }
    return gone.length;
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const u = this.undo[i]!;
      if (u.before === undefined) this.table(u.table).delete(u.key);
      else this.table(u.table).set(u.key, u.before);
    }
  }
}

/** The in-memory backend. */
export class MemoryBackend extends TablesView implements Backend {
  readonly kind = 'memory';
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private usedBytes = 0;
  private committed = 0;
  /** Undo logs of the visible-only transactions since the last durable one, oldest first. */
  private unsynced: { undo: Undo[]; bytesDelta: number }[] = [];

  constructor(private readonly options: MemoryBackendOptions = {}) {
    super(emptyTables());
  }

  commit(ops: readonly TxnOp[], durability: Durability, putBytes: number): Promise<void> {
    if (this.closed) return Promise.reject(closedError('closed'));
    const done = this.tail.then(() => this.apply(ops, durability, putBytes));
    this.tail = done.catch(() => {});
    return done;
  }

  private apply(ops: readonly TxnOp[], durability: Durability, putBytes: number): void {
    const cap = this.options.capacityBytes;
    if (cap !== undefined && putBytes > 0 && this.usedBytes + putBytes > cap) {
      throw new StorageError(
        StorageErrorCode.MapFull,
        `memory engine full: ${this.usedBytes} + ${putBytes} bytes > cap ${cap}`,
        { limitBytes: cap, sizeBytes: putBytes },
      );
    }
    const txn = new MemoryTxn(this.tables);
    try {
      for (const op of ops) op(txn);
    } catch (e) {
      txn.rollback();
      throw e;
    }
    this.usedBytes += txn.bytesDelta;
    this.committed++;
    if (durability === Durability.Durable) this.unsynced = [];
    else this.unsynced.push({ undo: txn.undo, bytesDelta: txn.bytesDelta });
    assert(this.usedBytes >= 0, 'memory engine byte count went negative');
  }

  flushed(): Promise<void> {
    return this.tail;
  }

  /**
   * A power failure: rolls back, newest first, every transaction committed only "visible"
   * since the last durable one. Call it with no commit pending.
   */
  loseUnsyncedWrites(): number {
    const lost = this.unsynced.length;
    for (let i = this.unsynced.length - 1; i >= 0; i--) {
      const t = this.unsynced[i]!;
      const txn = new MemoryTxn(this.tables);
      txn.undo.push(...t.undo);
      txn.rollback();
      this.usedBytes -= t.bytesDelta;
    }
    this.unsynced = [];
    return lost;
  }

  pin(): PinnedView {
    const copy: Tables = new Map([...this.tables].map(([t, m]) => [t, m.clone()]));
    const view = new TablesView(copy);
    return {
      get: (t, k) => view.get(t, k),
      scan: (t, r) => view.scan(t, r),
      release: () => {},
    };
  }

  transactions(): number {
    return this.committed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}
