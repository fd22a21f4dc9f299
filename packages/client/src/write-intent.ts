/**
 * One logical write as the client retries it. Every attempt, and every region piece of a
 * batch, carries the same request id, so a store that already applied it answers from its
 * record instead of applying it again (the store's request-table.ts). That makes a retry
 * after an unknown outcome (connection broken after sending, store timeout) safe, within
 * the window the stores remember ids for.
 */

import { randomBytes } from 'node:crypto';

/**
 * How long after its first attempt a write may still be retried after an unknown outcome.
 * Stores remember request ids for 60 s of their leaders' clocks; half of that leaves room
 * for clock differences between this client and the leaders.
 */
export const REQUEST_RETRY_WINDOW_MS = 30_000;

export class WriteIntent {
  /** Why the outcome of some attempt is unknown (undefined: every attempt was refused). */
  uncertain: string | undefined;

  constructor(
    readonly requestId: Uint8Array,
    private readonly startedAt: number,
  ) {}

  /** Whether a retry after an unknown outcome is still de-duplicated by the stores. */
  mayRetry(now: number): boolean {
    return now - this.startedAt < REQUEST_RETRY_WINDOW_MS;
  }
}

/** Request ids unique across clients: a random 8-byte client id and a 8-byte sequence. */
export class RequestIds {
  private readonly clientId = randomBytes(8);
  private sequence = 0n;

  next(): Uint8Array {
    const id = Buffer.alloc(16);
    this.clientId.copy(id, 0);
    id.writeBigUInt64BE(++this.sequence, 8);
    return id;
  }
}
