/**
 * A StoreEnv for tests: time moves only when the test ticks it, deferred work runs as
 * microtasks, randomness is seeded. With the test hub as transport and in-memory storage,
 * a cluster run depends only on the seed and the test's actions.
 */

import { SeededRandom } from '@atoll/raft';
import type { StoreEnv } from '../store-env.js';

export class VirtualEnv implements StoreEnv {
  private nowMs = 0;
  private readonly timers = new Set<{ ms: number; fn: () => void }>();
  readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  now(): number {
    return this.nowMs;
  }

  every(ms: number, fn: () => void): () => void {
    const t = { ms, fn };
    this.timers.add(t);
    return () => this.timers.delete(t);
  }

  defer(fn: () => void): void {
    queueMicrotask(fn);
  }

  /** Moves the clock without firing timers: a wall clock stepped forward (NTP, skew). */
  jump(ms: number): void {
    this.nowMs += ms;
  }

  /** Fires every timer once (one store tick) and advances the clock by its period. */
  fire(): void {
    for (const t of [...this.timers]) {
      this.nowMs += t.ms;
      t.fn();
    }
  }
}
