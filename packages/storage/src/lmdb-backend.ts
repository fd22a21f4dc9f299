/**
 * The LMDB backend (lmdb-js): one environment per store, one named database per table, binary
 * keys and values (no msgpack on any path).
 *
 * Commit path, and why (see the package README for the measurements):
 * - The environment runs with `overlappingSync` (lmdb-js's default on Linux): a transaction
 *   commits without syncing, and a flush (fdatasync of the data file, then a meta page written
 *   through an O_DSYNC descriptor) follows outside the write lock, overlapping the next
 *   transactions. On restart after a power failure LMDB falls back to the last flushed meta
 *   page; after a process crash it keeps the last committed one.
 * - So a commit's promise resolving means "visible", not "durable". A Durable commit waits for
 *   the flush that covers it: the `flushed` promise captured right after the transaction is
 *   queued belongs to the write batch holding it, and resolves after that batch's flush.
 * - Each commit is one `childTransaction`: if an operation throws, only that batch is rolled
 *   back. `eventTurnBatching` is off: batches are explicit, and with it on lmdb-js leaves an
 *   internal promise without a handler that becomes an unhandledRejection when a commit fails
 *   (observed with a full disk).
 *
 * Not here: what needs to be durable (write-batch.ts), or any knowledge of keys.
 */

import { statfsSync } from 'node:fs';
import { type Database, open, type RootDatabase } from 'lmdb';
import {
  ALL_TABLES,
  type Backend,
  Durability,
  type KeyValue,
  type PinnedView,
  type Table,
  type TableScan,
  type TxnOp,
  type WriteTxn,
} from './backend.js';
import { compareBytes, EMPTY_BYTES } from './bytes.js';
import { closedError, StorageError, StorageErrorCode } from './errors.js';
import { LMDB_DATABASES_MAX, LMDB_INITIAL_MAP_BYTES } from './limits.js';

/** Options of the LMDB backend. */
export interface LmdbBackendOptions {
  /** Directory of the environment (created if missing). */
  readonly path: string;
  /**
   * A cap on the live size of the environment. lmdb-js grows the map by itself, so without a
   * cap only a full disk stops it; with one, a commit that would take the live pages past it
   * fails with STORAGE_ERR_MAP_FULL before anything is written. Undefined = no cap.
   */
  readonly mapSizeMaxBytes?: number;
  /**
   * Open on the last *flushed* state instead of the last committed one (LMDB's choice after a
   * reboot). The crash test uses it to check that every acknowledged batch had been flushed,
   * i.e. would survive a power failure too.
   */
  readonly safeRestore?: boolean;
  /** Never fsync (benchmarks of the "no fsync" condition only). Durable commits still wait. */
  readonly noSync?: boolean;
  /** Let LMDB count transactions and sync time (the bench reads them). */
  readonly trackMetrics?: boolean;
}

type Txn = ReturnType<RootDatabase['useReadTransaction']>;
type Db = Database<Buffer, Buffer>;

/** LMDB's MDB_MAP_FULL return code. */
const MDB_MAP_FULL = -30792;
const ENOSPC = 28;
const EDQUOT = 122;
const EIO = 5;
/**
 * Below this many free bytes on the file system, an EIO from a commit is reported as a full
 * disk: LMDB turns a short write (what a full disk causes) into EIO.
 */
const DISK_NEARLY_FULL_BYTES = 1024 * 1024;

function rangeOptions(range: TableScan, txn: Txn | undefined) {
  const base = {
    ...(range.limit !== undefined ? { limit: range.limit } : {}),
    ...(txn ? { transaction: txn } : {}),
  };
  if (!range.reverse) {
    return { ...base, start: Buffer.from(range.start), ...(range.end ? { end: range.end } : {}) };
  }
  // lmdb-js walks a reverse range from `start` (high) down to `end` (low).
  return {
    ...base,
    reverse: true,
    end: range.start,
    inclusiveEnd: true,
    ...(range.end ? { start: range.end, exclusiveStart: true } : {}),
  };
}

/**
 * A plain Uint8Array view of a Buffer lmdb-js returned (a fresh copy, never reused), so both
 * engines hand out the same type.
 */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function getPlain(db: Db, key: Uint8Array, txn?: Txn): Uint8Array | undefined {
  const v = txn ? db.get(key as Buffer, { transaction: txn }) : db.get(key as Buffer);
  return v === undefined ? undefined : plain(v);
}

function* scanDb(db: Db, range: TableScan, txn?: Txn): Iterable<KeyValue> {
  // An empty or inverted range holds nothing (lmdb-js would walk an inverted one).
  if (range.end !== undefined && compareBytes(range.start, range.end) >= 0) return;
  if (range.limit === 0) return;
  const opts = rangeOptions(range, txn);
  if (range.keysOnly) {
    for (const key of db.getKeys(opts as never))
      yield { key: plain(key as Buffer), value: EMPTY_BYTES };
    return;
  }
  for (const { key, value } of db.getRange(opts as never))
    yield { key: plain(key), value: plain(value) };
}

/** The LMDB backend. */
export class LmdbBackend implements Backend {
  readonly kind = 'lmdb';
  private readonly env: RootDatabase;
  private readonly dbs = new Map<Table, Db>();
  private closed = false;

  constructor(private readonly options: LmdbBackendOptions) {
    // `safeRestore` and `trackMetrics` are lmdb-js options missing from its type declarations.
    const lmdbOptions: Parameters<typeof open>[0] & {
      safeRestore: boolean;
      trackMetrics: boolean;
    } = {
      path: options.path,
      maxDbs: LMDB_DATABASES_MAX,
      mapSize: LMDB_INITIAL_MAP_BYTES,
      overlappingSync: !options.noSync,
      noSync: options.noSync === true,
      eventTurnBatching: false,
      safeRestore: options.safeRestore === true,
      trackMetrics: options.trackMetrics === true,
      compression: false,
      keyEncoding: 'binary',
      encoding: 'binary',
    };
    this.env = open(lmdbOptions);
    for (const t of ALL_TABLES) {
      this.dbs.set(
        t,
        this.env.openDB<Buffer, Buffer>(t, { keyEncoding: 'binary', encoding: 'binary' }),
      );
    }
  }

  private db(t: Table): Db {
    return this.dbs.get(t)!;
  }

  get(table: Table, key: Uint8Array): Uint8Array | undefined {
    if (this.closed) throw closedError('closed');
    return getPlain(this.db(table), key);
  }

  scan(table: Table, range: TableScan): Iterable<KeyValue> {
    if (this.closed) throw closedError('closed');
    return scanDb(this.db(table), range);
  }

  async commit(ops: readonly TxnOp[], durability: Durability, putBytes: number): Promise<void> {
    if (this.closed) throw closedError('closed');
    if (putBytes > 0) this.checkCap(putBytes);
    const txn = this.writeTxn();
    const committed = this.env.childTransaction(() => {
      for (const op of ops) op(txn);
    });
    // Captured now, in the same turn: the flush promise of the write batch holding this
    // transaction (read later, it could belong to a batch that has no flush pending).
    // (`then` is called synchronously here: Promise.resolve(thenable) would defer it.)
    const flushed =
      durability === Durability.Durable
        ? new Promise<unknown>((resolve, reject) => {
            this.env.flushed.then(resolve, reject);
          })
        : undefined;
    flushed?.catch(() => {});
    try {
      await committed;
      if (flushed) await flushed;
    } catch (e) {
      throw await this.translate(e);
    }
  }

  private writeTxn(): WriteTxn {
    return {
      get: (t, k) => getPlain(this.db(t), k),
      scan: (t, r) => scanDb(this.db(t), r),
      put: (t, k, v) => {
        this.db(t).putSync(k as Buffer, v as Buffer);
      },
      del: (t, k) => {
        this.db(t).removeSync(k as Buffer);
      },
      deleteRange: (t, start, end) => {
        const db = this.db(t);
        // Keys are collected first: removing under a live cursor is not safe in lmdb-js.
        const keys = [...db.getKeys(rangeOptions({ start, end }, undefined) as never)];
        for (const k of keys) db.removeSync(k as Buffer);
        return keys.length;
      },
    };
  }

  /** Live pages of every database (what is not free) times the page size. */
  liveBytes(): number {
    const stats = this.env.getStats() as LmdbStats;
    let pages = pagesOf(stats.root) + pagesOf(stats.free);
    for (const db of this.dbs.values()) pages += pagesOf(db.getStats() as LmdbTreeStats);
    return pages * stats.pageSize;
  }

  private checkCap(putBytes: number): void {
    const cap = this.options.mapSizeMaxBytes;
    if (cap === undefined) return;
    const live = this.liveBytes();
    // A B-tree page holds at most a page of pairs: twice the payload bounds what it adds.
    if (live + 2 * putBytes > cap) {
      throw new StorageError(
        StorageErrorCode.MapFull,
        `environment full: ${live} live bytes + ${putBytes} to write > cap ${cap}`,
        { limitBytes: cap, sizeBytes: putBytes },
      );
    }
  }

  /** Maps lmdb-js failures to the catalog; anything else (our own throws) passes through. */
  private async translate(e: unknown): Promise<unknown> {
    if (!(e instanceof Error)) return e;
    const inner = (e as { commitError?: Promise<unknown> }).commitError;
    let cause: unknown = e;
    if (inner)
      cause = await inner.then(
        () => e,
        (x: unknown) => x,
      );
    const code = (cause as { code?: unknown }).code;
    if (code === MDB_MAP_FULL) {
      return new StorageError(StorageErrorCode.MapFull, 'LMDB map full', { errno: MDB_MAP_FULL });
    }
    if (code === ENOSPC || code === EDQUOT || (code === EIO && this.diskNearlyFull())) {
      return new StorageError(
        StorageErrorCode.DiskFull,
        `disk full while committing (errno ${code})`,
        { errno: code },
        true,
      );
    }
    if (typeof code === 'number' && inner) {
      return new StorageError(StorageErrorCode.Io, `commit failed: ${String(cause)}`, {
        errno: code,
      });
    }
    return e;
  }

  private diskNearlyFull(): boolean {
    try {
      const s = statfsSync(this.options.path);
      return s.bavail * s.bsize < DISK_NEARLY_FULL_BYTES;
    } catch {
      return false;
    }
  }

  flushed(): Promise<void> {
    return Promise.resolve(this.env.flushed).then(() => {});
  }

  transactions(): number | undefined {
    if (!this.options.trackMetrics) return undefined;
    return (this.env.getStats() as { txns?: number }).txns;
  }

  pin(): PinnedView {
    const txn = this.env.useReadTransaction();
    let released = false;
    return {
      get: (t, k) => getPlain(this.db(t), k, txn),
      scan: (t, r) => scanDb(this.db(t), r, txn),
      release: () => {
        if (released) return;
        released = true;
        txn.done();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.close();
  }
}

interface LmdbTreeStats {
  readonly treeBranchPageCount: number;
  readonly treeLeafPageCount: number;
  readonly overflowPages: number;
}

interface LmdbStats {
  readonly pageSize: number;
  readonly root: LmdbTreeStats;
  readonly free: LmdbTreeStats;
}

function pagesOf(s: LmdbTreeStats): number {
  return s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
}
