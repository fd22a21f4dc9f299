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

/** A fresh, empty in-memory engine. */
export function openMemoryEngine(
  options: MemoryBackendOptions & StorageEngineOptions = {},
): StorageEngine {
  return new StorageEngine(new MemoryBackend(options), options);
}
