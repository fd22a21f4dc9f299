/**
 * Read-your-writes within one write batch. Applying entry n+1 may read what entry n wrote
 * (a compare-and-swap after a put) before the batch is committed; the overlay answers from
 * the batch's own writes first and falls back to committed storage. Most batches are never
 * read back (plain puts), so writes are indexed by key only on the first read.
 */

import { compareBytes } from './region.js';
import type { StoreBatch, StoreStorage } from './storage-port.js';

interface RangeDelete {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly seq: number;
}

export class WriteOverlay {
  private seq = 0;
  private readonly points = new Map<string, { seq: number; value: Uint8Array | undefined }>();
  /** Point writes not indexed in `points` yet, in order. */
  private unindexed: { key: Uint8Array; value: Uint8Array | undefined }[] = [];
  private readonly ranges: RangeDelete[] = [];

  constructor(
    private readonly batch: StoreBatch,
    /** The overlay of the batch committing before this one, until it is durable. */
    private parent: WriteOverlay | undefined = undefined,
  ) {}

  /** The parent's batch is durable: its writes are visible in storage now. */
  detachParent(): void {
    this.parent = undefined;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.unindexed.push({ key, value });
    this.batch.put(key, value);
  }

  delete(key: Uint8Array): void {
    this.unindexed.push({ key, value: undefined });
    this.batch.delete(key);
  }

  deleteRange(start: Uint8Array, end: Uint8Array, _storage: StoreStorage): void {
    if (end.length > 0 && compareBytes(start, end) >= 0) return;
    // Point writes before the range delete must get lower sequence numbers than it.
    this.index();
    this.ranges.push({ start, end, seq: ++this.seq });
    this.batch.deleteRange(start, end);
  }

  /** The value as of everything written so far in this batch. */
  get(key: Uint8Array, storage: StoreStorage): Uint8Array | undefined {
    this.index();
    const point = this.points.get(hex(key));
    let rangeSeq = 0;
    for (const r of this.ranges) {
      if (compareBytes(key, r.start) >= 0 && (r.end.length === 0 || compareBytes(key, r.end) < 0)) {
        rangeSeq = Math.max(rangeSeq, r.seq);
      }
    }
    if (point && point.seq > rangeSeq) return point.value;
    if (rangeSeq > 0) return undefined;
    return this.parent ? this.parent.get(key, storage) : storage.get(key);
  }

  private index(): void {
    if (this.unindexed.length === 0) return;
    for (const w of this.unindexed)
      this.points.set(hex(w.key), { seq: ++this.seq, value: w.value });
    this.unindexed = [];
  }
}

function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}
