/**
 * A byte-rate limiter that paces transfers (snapshots) to a bytes/second budget. It reserves
 * time slots back to back: a take of n bytes occupies n / rate seconds starting when the
 * previous reservation ends (or now, if the limiter was idle). Idle time earns no credit, so
 * the bytes let through by time t never exceed rate * t plus the one take in progress: the
 * burst is one chunk, not one second. Shared by concurrent takers, which then split the budget.
 * The clock is injected so tests can drive it; production uses the monotonic clock.
 */

import { performance } from 'node:perf_hooks';

/** Time for the limiter: now in milliseconds, and an abortable sleep. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real monotonic clock and timers. */
export const realLimiterClock: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Paces bytes to `bytesPerSecond`; a non-positive or infinite budget means unlimited. */
export class ByteRateLimiter {
  /** When the last reservation ends, in clock milliseconds. */
  private freeAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: LimiterClock = realLimiterClock,
  ) {}

  /** Waits until `bytes` may go out. Rejects with the signal's reason if aborted. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!(this.bytesPerSecond > 0) || this.bytesPerSecond === Number.POSITIVE_INFINITY) return;
    const now = this.clock.now();
    const start = Math.max(now, this.freeAtMs);
    this.freeAtMs = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await this.clock.sleep(start - now, signal);
  }
}
