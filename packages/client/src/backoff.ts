/** Retry pacing: exponential back-off with full jitter and a cap (AWS's "full jitter"). */

import type { ClientEnv } from './ports.js';

/** First wait: short, since most re-routes succeed at once. */
export const BACKOFF_BASE_MS = 2;
/** Longest single wait: keeps retries responsive under long outages. */
export const BACKOFF_CAP_MS = 500;

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly env: ClientEnv,
    private readonly baseMs = BACKOFF_BASE_MS,
    private readonly capMs = BACKOFF_CAP_MS,
  ) {}

  /** Waits before the next attempt; never past `deadline`. `atLeastMs` honours a server hint. */
  async wait(deadline: number, atLeastMs = 0): Promise<void> {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt++;
    const ms = Math.max(atLeastMs, Math.floor(this.env.random() * ceiling));
    const left = deadline - this.env.now();
    if (left > 0) await this.env.sleep(Math.min(ms, left));
  }
}
