/**
 * The timestamp oracle: strictly increasing hybrid timestamps, across calls and across PD
 * leader changes, handed out in contiguous batches.
 *
 * Safety rests on one persisted number, the window end: every physical time this leader
 * hands out is below the window end that is durable at that moment. A new leader reads the
 * last window end and starts strictly above it (and never below its own clock), so its
 * timestamps exceed everything any earlier leader handed out, whatever the clocks say.
 * The window is renewed ahead of time, so at steady state no request waits for a write.
 *
 * Not here: the leader lease. The wiring layer must stop the old leader (stop()) before a
 * new one can start: a deposed leader that kept serving from memory would break ordering.
 */

import { assert } from '../assert.js';
import type { Clock } from '../clock.js';
import { invalidArgument, notLeader } from '../errors.js';
import { decodeDecimal, encodeDecimal, TSO_WINDOW_END_KEY } from '../storage/meta-keys.js';
import type { MetaStorage } from '../storage/meta-storage.js';
import type { MetaWriter } from '../storage/meta-writer.js';
import { LOGICAL_PER_MS, MAX_PHYSICAL_MS, type Timestamp, timestampValue } from './timestamp.js';

/**
 * Length of a persisted window. 3 s (PD's default) costs one metadata write per 3 s while
 * serving, and a failover makes physical time jump at most 3 s ahead of the new leader's
 * clock: harmless for timestamps, which only need to increase.
 */
export const TSO_WINDOW_MS = 3_000;

/**
 * Renew the window when fewer than this many ms remain. 1 s is hundreds of times a metadata
 * write's latency, so the renewal lands long before a request needs it.
 */
export const TSO_RENEW_AHEAD_MS = 1_000;

/** Most timestamps per request: one millisecond's worth, so a batch shares one physical time. */
export const TSO_MAX_BATCH = LOGICAL_PER_MS;

/**
 * `count` contiguous timestamps: same physical time, logical values first.logical to
 * last.logical. Both the pairs and their 64-bit values are given.
 */
export interface TsoBatch {
  readonly count: number;
  readonly first: Timestamp;
  readonly last: Timestamp;
  readonly firstValue: bigint;
  readonly lastValue: bigint;
}

/** The timestamp oracle of one leader term. */
export class TimestampOracle {
  /** The physical time in use. Invariant: physical < windowEnd once started. */
  private physical: number;
  /** The next logical value to hand out at `physical`. Invariant: <= LOGICAL_PER_MS. */
  private nextLogical = 0;
  /** Invariant: a window end at least this large is durable. */
  private windowEnd: number;
  private renewal: Promise<void> | undefined;
  private stopped = false;
  /** The last value handed out (checked, never trusted). */
  private lastValue = -1n;

  private constructor(
    private readonly writer: MetaWriter,
    private readonly clock: Clock,
    start: number,
  ) {
    this.physical = start;
    this.windowEnd = start;
  }

  /**
   * Starts serving for a new leader term: reads the last persisted window end, starts above
   * it and above the local clock, and persists the first window before resolving.
   */
  static async start(
    storage: MetaStorage,
    writer: MetaWriter,
    clock: Clock,
  ): Promise<TimestampOracle> {
    const stored = await storage.get(TSO_WINDOW_END_KEY);
    const lastEnd = stored === undefined ? 0 : Number(decodeDecimal(stored));
    assert(Number.isSafeInteger(lastEnd) && lastEnd >= 0, 'stored TSO window end is corrupt');
    const oracle = new TimestampOracle(writer, clock, Math.max(clock.now(), lastEnd + 1));
    await oracle.renew(oracle.physical);
    return oracle;
  }

  /** The durable window end (exclusive bound of every physical time handed out). */
  get persistedWindowEnd(): number {
    return this.windowEnd;
  }

  /**
   * Hands out `count` contiguous timestamps, all greater than every timestamp handed out
   * before by this or any earlier leader. Waits for a window renewal only when the clock ran
   * past the window (after an idle period without tick(), or a clock jump).
   */
  async next(count = 1): Promise<TsoBatch> {
    if (!Number.isSafeInteger(count) || count < 1 || count > TSO_MAX_BATCH) {
      throw invalidArgument(`timestamp count must be an integer in [1, ${TSO_MAX_BATCH}]`);
    }
    for (;;) {
      if (this.stopped) throw notLeader();
      let physical = this.physical;
      let logical = this.nextLogical;
      const now = this.clock.now();
      // Follow the clock forward, never backward: a clock that steps back just means we
      // keep counting logically on the last physical time.
      if (now > physical) {
        physical = now;
        logical = 0;
      }
      // Out of logical values in this millisecond: move to the next one, even ahead of the
      // clock (the clock catches up; the window still bounds how far ahead we go).
      if (logical + count > LOGICAL_PER_MS) {
        physical += 1;
        logical = 0;
      }
      if (physical < this.windowEnd) return this.hand(physical, logical, count);
      await this.renew(physical);
    }
  }

  /**
   * Renews the window ahead of time if it ends within TSO_RENEW_AHEAD_MS of now. The wiring
   * layer calls it periodically (every 50-100 ms) so that requests after an idle spell do
   * not wait for a write.
   */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const base = Math.max(this.clock.now(), this.physical);
    if (this.windowEnd - base <= TSO_RENEW_AHEAD_MS) await this.renew(base);
  }

  /** Stops serving (leadership lost). Later and waiting calls fail with PD_ERR_NOT_LEADER. */
  stop(): void {
    this.stopped = true;
  }

  private hand(physical: number, logical: number, count: number): TsoBatch {
    assert(physical <= MAX_PHYSICAL_MS, 'TSO physical time out of range');
    this.physical = physical;
    this.nextLogical = logical + count;
    const first = { physical, logical };
    const last = { physical, logical: logical + count - 1 };
    const firstValue = timestampValue(first);
    const lastValue = timestampValue(last);
    assert(firstValue > this.lastValue, 'TSO went backwards');
    this.lastValue = lastValue;
    if (this.windowEnd - physical <= TSO_RENEW_AHEAD_MS) {
      // Renew in the background; a failure stops the whole leader term via the writer.
      this.renew(physical).catch(() => {});
    }
    return { count, first, last, firstValue, lastValue };
  }

  /**
   * Makes a window end beyond `physical` durable. If a renewal is already under way, waits
   * for it instead (callers re-check and renew again if it did not reach far enough).
   */
  private renew(physical: number): Promise<void> {
    if (this.renewal) return this.renewal;
    const end = Math.max(physical, this.clock.now()) + TSO_WINDOW_MS;
    const write = this.writer.write([
      { kind: 'put', key: TSO_WINDOW_END_KEY, value: encodeDecimal(end) },
    ]);
    this.renewal = write
      .then(() => {
        this.windowEnd = Math.max(this.windowEnd, end);
      })
      .finally(() => {
        this.renewal = undefined;
      });
    return this.renewal;
  }
}
