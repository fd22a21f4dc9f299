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

  private constructor(
    private readonly log: WriteAheadLog,
    private readonly engine: StorageEngine,
    mark: number,
  ) {
    this.seq = mark;
  }

  /** Opens the log in `dir` and replays into `engine` the batches it lacks. */
  static async open(
    dir: string,
    engine: StorageEngine,
    options: WalOptions = {},
  ): Promise<{ wal: StoreWal; recovery: WalRecovery }> {
    const log = await WriteAheadLog.open(dir, options);
    const recovery = await recoverFromWal(engine, log.replay());
    return { wal: new StoreWal(log, engine, recovery.mark), recovery };
  }

  /** Logs and commits a batch built through recordingBatch; call in the order batches are built. */
  commit(rec: RecordingBatch): BatchCommit {
    const seq = ++this.seq;
    const redo = rec.redo();
    rec.batch.setWalMark(seq);
    if (redo) rec.batch.durableInWal();
    else rec.batch.requireSync();
    // Both started now, in sequence order: the log and the engine see batches alike.
    const logged = this.log.append(encodeLoggedBatch(redo ? { seq, redo } : { seq }));
    const visible = rec.batch.commit().then(() => {});
    const both = Promise.all([logged, visible]);
    const durable = redo ? logged.then(() => {}) : both.then(() => {});
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

  close(): Promise<void> {
    return this.log.close();
  }
}
