/**
 * The store's write-ahead log (docs/write-path-plan.md): every batch the store writes gets a
 * sequence number, its redo record is appended to the log, and the batch is committed to
 * the engine at once without waiting for the disk. The batch is durable when its log record
 * is synced (about 0.5 ms) and visible when the engine's transaction is, usually later.
 *
 * A batch that cannot be recorded (it ingests a snapshot) is made durable by the engine
 * itself; its log record only keeps the numbering whole. Segments are freed once the engine
 * has flushed every batch they hold. Opening replays into the engine what it lacks.
 */

import {
  encodeLoggedBatch,
  type RecordingBatch,
  recoverFromWal,
  type StorageEngine,
  type WalOptions,
  type WalRecovery,
  WriteAheadLog,
} from '@atoll/storage';

/** Batches between two attempts to free log segments (each waits for an engine flush). */
const RELEASE_EVERY_BATCHES = 256;
/**
 * How long a logged batch waits for others before the engine commits them together. The
 * log makes batches durable; the engine's commits only make them readable from storage, and
 * each costs a flush of every B-tree page it touched: random 4 KiB pages, which this disk
 * writes at about 20,000/s for all stores together. A long hold lets one commit cover many
 * writes to the same leaves and branch pages, and leaves the disk to the log's syncs between
 * commits. Nothing waits for it meanwhile: applying reads the writes in flight
 * (write-overlay.ts), and whatever needs storage to show a batch (reads, membership changes,
 * splits, snapshots, a full commit, stopping) hands the held ones over at once (commitHeld).
 * Measured alternating (bench, 3 stores, 1,000,000 keys): 1 s against 20 ms took put c256
 * from 5,408/5,648 to 8,800/9,686 writes/s and batched puts at c1 from 4,575/5,400 to
 * 8,275/10,713 keys/s.
 */
export const ENGINE_HOLD_MS = 1000;
/** Batches held at most (LOGGED_INFLIGHT_MAX in store-loop.ts leaves room for them). */
export const ENGINE_HOLD_BATCHES_MAX = 4096;
/** Log record bytes held at most: a bound on the memory the held batches keep. */
export const ENGINE_HOLD_BYTES_MAX = 64 * 1024 * 1024;

/** Holding batches back for the engine: how long, and a timer (from the environment). */
export interface EngineHold {
  readonly ms: number;
  /** Calls `fn` after `ms` milliseconds; returns a cancel function. */
  readonly after: (ms: number, fn: () => void) => () => void;
  /** Log record bytes held at most (default ENGINE_HOLD_BYTES_MAX). */
  readonly bytesMax?: number;
}

interface Held {
  readonly rec: RecordingBatch;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** What committing a batch promises, in two steps. */
export interface BatchCommit {
  /** The batch survives a crash. */
  readonly durable: Promise<void>;
  /** Reads of the storage see the batch. */
  readonly visible: Promise<void>;
  /** Whether the engine made the batch durable itself (then durable implies visible). */
  readonly engineDurable: boolean;
}

export class StoreWal {
  private seq: number;
  private sinceRelease = 0;
  /** Logged batches not yet handed to the engine, in sequence order. */
  private held: Held[] = [];
  private heldBytes = 0;
  private cancelHold: (() => void) | undefined;

  private constructor(
    private readonly log: WriteAheadLog,
    private readonly engine: StorageEngine,
    mark: number,
    /** Undefined: every batch goes to the engine at once. */
    private readonly hold: EngineHold | undefined,
  ) {
    this.seq = mark;
  }

  /**
   * Opens the log in `dir` and replays into `engine` the batches it lacks. With `hold`,
   * batches wait up to hold.ms for others before the engine commits them (ENGINE_HOLD_MS).
   */
  static async open(
    dir: string,
    engine: StorageEngine,
    options: WalOptions = {},
    hold?: EngineHold,
  ): Promise<{ wal: StoreWal; recovery: WalRecovery }> {
    const log = await WriteAheadLog.open(dir, options);
    const recovery = await recoverFromWal(engine, log.replay());
    return { wal: new StoreWal(log, engine, recovery.mark, hold), recovery };
  }

  /** Logs and commits a batch built through recordingBatch; call in the order batches are built. */
  commit(rec: RecordingBatch): BatchCommit {
    const seq = ++this.seq;
    const redo = rec.redo();
    // Read before durableInWal(), which makes the engine's commit skip its sync.
    const needsSync = rec.batch.mustSync;
    rec.batch.setWalMark(seq);
    if (redo) rec.batch.durableInWal();
    else rec.batch.requireSync();
    // Both in sequence order: the log and the engine see batches alike. A batch only the
    // engine can make durable goes at once (after the held ones).
    // A batch that needs no sync is written without one: the next synced batch, or the
    // segment's end, makes it durable; power loss may take it, as it may the engine's copy.
    const record = encodeLoggedBatch(redo ? { seq, redo } : { seq });
    const logged = this.log.append(record, needsSync || !redo);
    const visible = this.toEngine(rec, redo !== undefined, record.length);
    const both = Promise.all([logged, visible]);
    // A batch that needs no sync (applied data, a commit index: rebuilt from the log after a
    // crash) is acknowledged without waiting for the log's sync, as the engine would commit
    // it without one. If the log failed, it stays failed: the next batch needing it fails.
    logged.catch(() => {});
    const durable = !redo
      ? both.then(() => {})
      : needsSync
        ? logged.then(() => {})
        : Promise.resolve();
    if (++this.sinceRelease >= RELEASE_EVERY_BATCHES) {
      this.sinceRelease = 0;
      both
        .then(async ([position]) => {
          await this.engine.flushed();
          await this.log.releaseBefore(position);
        })
        .catch(() => {
          // A failed append or commit fails its batch (and the store); nothing to free.
        });
    }
    return { durable, visible, engineDurable: !redo };
  }

  /** Hands every held batch to the engine now (someone waits to read what they wrote). */
  commitHeld(): void {
    this.cancelHold?.();
    this.cancelHold = undefined;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    // In one turn: lmdb-js commits them in one transaction, with one flush.
    for (const h of held) h.rec.batch.commit().then(() => h.resolve(), h.reject);
  }

  /**
   * Closes the log. Batches still held never reach the engine (their promises stay
   * pending): they are in the log, and opening it replays them, as after a crash.
   */
  close(): Promise<void> {
    this.cancelHold?.();
    this.cancelHold = undefined;
    this.held = [];
    this.heldBytes = 0;
    return this.log.close();
  }

  private toEngine(rec: RecordingBatch, mayWait: boolean, bytes: number): Promise<void> {
    const visible = new Promise<void>((resolve, reject) => {
      this.held.push({ rec, resolve, reject });
    });
    this.heldBytes += bytes;
    const hold = this.hold;
    const full =
      this.held.length >= ENGINE_HOLD_BATCHES_MAX ||
      this.heldBytes >= (hold?.bytesMax ?? ENGINE_HOLD_BYTES_MAX);
    if (!hold || !mayWait || full) this.commitHeld();
    else this.cancelHold ??= hold.after(hold.ms, () => this.commitHeld());
    return visible;
  }
}
