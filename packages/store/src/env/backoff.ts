/**
 * Capped exponential back-off with jitter, for reconnecting a broken stream. Pure: the random
 * source is injected and the caller owns the timer. Not here: the reconnect itself
 * (raft-link.ts).
 */

/**
 * Delays grow from `baseMs` doubling up to `capMs`; each is drawn from the upper half of its
 * ceiling ("equal jitter"), so stores that lost the same peer at the same moment do not all
 * reconnect in lock-step, yet no delay collapses to zero.
 */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempts;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    // 2^20 * base is far past any sane cap: stop doubling there to keep the number finite.
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempts, 20));
    this.attempts++;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  /** The connection works again: the next failure starts from the base delay. */
  reset(): void {
    this.attempts = 0;
  }
}
