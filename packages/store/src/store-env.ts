/**
 * The store's window on the world besides storage and transport: time, timers and
 * randomness. Production uses env/node-env.ts; a simulator can supply a virtual one, and
 * then a whole store runs deterministically from a seed.
 */

import type { RandomSource } from '@atoll/raft';

export interface StoreEnv {
  /**
   * Wall-clock milliseconds (Unix time in production): for metrics, logs and rate limits, and
   * to stamp proposals, which only bounds how long retries are de-duplicated
   * (request-table.ts); no decision of a replica reads it directly.
   */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /** Runs `fn` soon, after the current callback returns (the loop's coalescing point). */
  defer(fn: () => void): void;
  readonly random: RandomSource;
}
