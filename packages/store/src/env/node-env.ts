/** The production StoreEnv: Node's clock and timers, randomness seeded from the OS. */

import { randomInt } from 'node:crypto';
import { SeededRandom } from '@atoll/raft';
import type { StoreEnv } from '../store-env.js';

/** Calls `fn` once after `ms` milliseconds; returns a cancel function. */
export function nodeAfter(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

export function nodeEnv(seed: number = randomInt(0, 2 ** 32)): StoreEnv {
  return {
    now: () => Date.now(),
    every(ms, fn) {
      const timer = setInterval(fn, ms);
      return () => clearInterval(timer);
    },
    defer: (fn) => setImmediate(fn),
    random: new SeededRandom(seed),
  };
}
