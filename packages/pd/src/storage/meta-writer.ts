/**
 * The one queue every persistent change of a leader term goes through. Writes run one at a
 * time in the order they were asked for, so storage order equals the order in which the
 * in-memory state changed. The first failure stops the queue for good (fail-stop): memory
 * may then be ahead of storage, so the leader term must end and the next leader reload.
 *
 * Not here: what the keys mean (meta-keys.ts) or how records are encoded (meta-codec.ts).
 */

import { PdError, PdErrorCode } from '../errors.js';
import type { MetaStorage, MetaWrite } from './meta-storage.js';

/** Serial, fail-stop writer over a MetaStorage. */
export class MetaWriter {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped: PdError | undefined;

  /** `onFailure` is called once, with the first storage error. */
  constructor(
    private readonly storage: MetaStorage,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Whether the writer has stopped (after a failure or close()). */
  get isStopped(): boolean {
    return this.stopped !== undefined;
  }

  /** Writes queued or in flight. */
  get pendingWrites(): number {
    return this.pending;
  }

  /**
   * Queues `writes` (applied in order, after everything queued before) and resolves once all
   * are durable. Rejects with PD_ERR_STORAGE if this or an earlier write failed, or if the
   * writer was closed before the writes started.
   */
  write(writes: readonly MetaWrite[]): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    this.pending++;
    const run = this.tail.then(async () => {
      if (this.stopped) throw this.stopped;
      try {
        for (const w of writes) {
          if (w.kind === 'put') await this.storage.put(w.key, w.value);
          else await this.storage.delete(w.key);
        }
      } catch (cause) {
        this.fail(cause);
        throw this.stopped;
      }
    });
    const settled = run.finally(() => {
      this.pending--;
    });
    this.tail = settled.catch(() => {});
    return settled;
  }

  /** Resolves once every queued write has finished (successfully or not). */
  drain(): Promise<void> {
    return this.tail;
  }

  /** Refuses every write from now on; queued writes that have not started are refused too. */
  close(): void {
    this.stopped ??= new PdError(PdErrorCode.NotLeader, 'the leader term ended', true);
  }

  private fail(cause: unknown): void {
    if (this.stopped && this.stopped.code === PdErrorCode.Storage) return;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.stopped = new PdError(PdErrorCode.Storage, `metadata storage failed: ${message}`, true);
    this.onFailure(cause);
  }
}
