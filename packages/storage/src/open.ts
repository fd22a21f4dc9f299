/**
 * The two ways to get a storage engine: on LMDB (production, the crash test, the bench) and in
 * memory (unit tests, the simulator). Both return the same StorageEngine class.
 */

import { StorageEngine, type StorageEngineOptions } from './engine.js';
import { LmdbBackend, type LmdbBackendOptions } from './lmdb-backend.js';
import { MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';

/** Opens (or creates) the LMDB environment at `options.path`. */
export function openLmdbEngine(options: LmdbBackendOptions & StorageEngineOptions): StorageEngine {
  return new StorageEngine(new LmdbBackend(options), options);
}

/** The in-memory engine, with what only memory can do: simulate a power failure. */
export class MemoryStorageEngine extends StorageEngine {
  constructor(
    private readonly memory: MemoryBackend,
    options: StorageEngineOptions,
  ) {
    super(memory, options);
  }

  /**
   * Loses what a power failure would: the transactions committed only "visible" since the
   * last durable one (LMDB recovers a prefix of its transactions). Returns how many were
   * lost. Raft peers on this engine must be rebuilt from it afterwards, as after a restart.
   */
  async simulatePowerLoss(): Promise<number> {
    await this.memory.flushed();
    const lost = this.memory.loseUnsyncedWrites();
    this.forgetCaches();
    return lost;
  }
}

/** A fresh, empty in-memory engine. */
export function openMemoryEngine(
  options: MemoryBackendOptions & StorageEngineOptions = {},
): MemoryStorageEngine {
  return new MemoryStorageEngine(new MemoryBackend(options), options);
}
