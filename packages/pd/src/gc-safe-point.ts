/**
 * The GC safe point: the timestamp below which old MVCC versions may be dropped. It only
 * moves forward, and a value is reported only once it is durable, so no store ever collects
 * versions that a reader below a previously reported safe point could still need, and a new
 * PD leader never reports a smaller one.
 */

import { assert } from './assert.js';
import { decodeDecimal, encodeDecimal, GC_SAFE_POINT_KEY } from './storage/meta-keys.js';
import type { MetaStorage } from './storage/meta-storage.js';
import type { MetaWriter } from './storage/meta-writer.js';

/** The persisted GC safe point of one leader term. */
export class GcSafePoint {
  /** The largest value asked for. Invariant: proposed >= durable. */
  private proposed: bigint;
  /** The largest value known durable. */
  private durable: bigint;
  /** The write of `proposed`; the writer applies writes in order, so it is the last one. */
  private lastWrite: Promise<void> = Promise.resolve();

  private constructor(
    private readonly writer: MetaWriter,
    initial: bigint,
  ) {
    this.proposed = initial;
    this.durable = initial;
  }

  /** Loads the safe point (0 if none was ever set). */
  static async load(storage: MetaStorage, writer: MetaWriter): Promise<GcSafePoint> {
    const stored = await storage.get(GC_SAFE_POINT_KEY);
    const value = stored === undefined ? 0n : decodeDecimal(stored);
    assert(value !== undefined, 'stored GC safe point is corrupt');
    return new GcSafePoint(writer, value);
  }

  /** The durable safe point as a 64-bit timestamp value. */
  get value(): bigint {
    return this.durable;
  }

  /**
   * Moves the safe point to `proposed` if that is later, and returns the safe point in force
   * once it is durable (the old one when `proposed` is not later: it never moves back).
   * Concurrent calls are safe: memory moves first, writes go out in order, and each call
   * waits for the write that covers the value it reports.
   */
  async update(proposed: bigint): Promise<bigint> {
    assert(proposed >= 0n && proposed < 1n << 64n, 'safe point out of 64-bit range');
    if (proposed > this.proposed) {
      this.proposed = proposed;
      const write = this.writer.write([
        { kind: 'put', key: GC_SAFE_POINT_KEY, value: encodeDecimal(proposed) },
      ]);
      this.lastWrite = write.then(() => {
        if (proposed > this.durable) this.durable = proposed;
      });
    }
    const value = this.proposed;
    await this.lastWrite;
    return value;
  }
}
