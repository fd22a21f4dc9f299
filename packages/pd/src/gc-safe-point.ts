/**
 * The GC safe point: the timestamp below which old MVCC versions may be dropped. It only
 * moves forward and is persisted before it is reported, so no store ever collects versions a
 * reader below a previously reported safe point could still need.
 */

import { assert } from './assert.js';
import { decodeDecimal, encodeDecimal, GC_SAFE_POINT_KEY } from './storage/meta-keys.js';
import type { MetaStorage } from './storage/meta-storage.js';
import type { MetaWriter } from './storage/meta-writer.js';

/** The persisted GC safe point of one leader term. */
export class GcSafePoint {
  private constructor(
    private readonly writer: MetaWriter,
    private current: bigint,
  ) {}

  /** Loads the safe point (0 if none was ever set). */
  static async load(storage: MetaStorage, writer: MetaWriter): Promise<GcSafePoint> {
    const stored = await storage.get(GC_SAFE_POINT_KEY);
    const value = stored === undefined ? 0n : decodeDecimal(stored);
    assert(value !== undefined, 'stored GC safe point is corrupt');
    return new GcSafePoint(writer, value);
  }

  /** The current safe point as a 64-bit timestamp value. */
  get value(): bigint {
    return this.current;
  }

  /**
   * Moves the safe point to `proposed` if that is later, and returns the safe point now in
   * force (which is the old one when `proposed` is not later: it never moves back).
   */
  async update(proposed: bigint): Promise<bigint> {
    assert(proposed >= 0n && proposed < 1n << 64n, 'safe point out of 64-bit range');
    if (proposed <= this.current) return this.current;
    await this.writer.write([
      { kind: 'put', key: GC_SAFE_POINT_KEY, value: encodeDecimal(proposed) },
    ]);
    if (proposed > this.current) this.current = proposed;
    return this.current;
  }
}
