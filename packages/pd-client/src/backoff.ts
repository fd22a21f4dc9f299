/**
 * Capped exponential back-off with jitter, and a sleep that a closing client can cut short.
 * Not here: what is retried (pd-client.ts decides).
 */

import { PD_BACKOFF_BASE_MS, PD_BACKOFF_CAP_MS } from './limits.js';

/**
 * Delays grow from `baseMs`, doubling up to `capMs`; each is drawn from the upper half of its
 * ceiling ("equal jitter"), so clients that lost the same leader at once do not all come
 * back in lock-step, yet no delay collapses to zero.
 */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly baseMs = PD_BACKOFF_BASE_MS,
    private readonly capMs = PD_BACKOFF_CAP_MS,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    // Past 2^20 times the base any sane cap applies: stop doubling to keep the number finite.
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempts, 20));
    this.attempts++;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  /** Success: the next failure starts from the base delay again. */
  reset(): void {
    this.attempts = 0;
  }
}

/** Sleeps that close() can wake all at once (the sleepers then see the client closed). */
export class Sleeper {
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  /** Resolves after `ms`, or at once when wakeAll() is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          resolve();
        },
        Math.max(0, ms),
      );
      this.timers.set(timer, resolve);
    });
  }

  /** Ends every sleep now. */
  wakeAll(): void {
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }
}
