/**
 * Read-your-writes across the batches in flight. Applying entry n+1 may read what entry n
 * wrote (a compare-and-swap after a put) before storage shows it: with a write-ahead log a
 * batch is durable long before the engine commits it (store-wal.ts holds batches back to
 * commit many together), so the write may sit in any earlier batch still in flight.
 *
 * One index for all of them, so a read costs the same however many batches are in flight
 * (there may be thousands). Most batches are never read back (plain puts), so writes are
 * indexed by key only when a read comes. A batch's writes leave the index once storage
 * shows the batch (release), unless a later batch wrote the same key since.
 */

import { compareBytes } from './region.js';
import type { StoreBatch, StoreStorage } from './storage-port.js';

interface Point {
  readonly seq: number;
  readonly value: Uint8Array | undefined;
  readonly owner: WriteOverlay;
}

interface RangeDelete {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly seq: number;
  readonly owner: WriteOverlay;
}

interface PointWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** The writes of every batch applied and not yet visible in storage, newest first. */
export class PendingWrites {
  private seq = 0;
  private readonly points = new Map<string, Point>();
  private ranges: RangeDelete[] = [];
  /** Overlays not released yet, oldest first. */
  private readonly open: WriteOverlay[] = [];
  /** Some open overlay has writes not in `points` yet. */
  private unindexed = false;

  /** A view for the next batch; batches are opened in the order they commit. */
  overlay(batch: StoreBatch): WriteOverlay {
    const o = new WriteOverlay(batch, this);
    this.open.push(o);
    return o;
  }

  /** Batches whose writes are still held here. */
  get size(): number {
    return this.open.length;
  }

  /** The value as of every write applied so far, then storage. */
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
    return storage.get(key);
  }

  /** Storage shows the overlay's batch now: forget what only it wrote. */
  release(o: WriteOverlay): void {
    const at = this.open.indexOf(o);
    if (at < 0) return;
    this.open.splice(at, 1);
    for (const k of o.indexedKeys) {
      if (this.points.get(k)?.owner === o) this.points.delete(k);
    }
    if (o.hasRanges) this.ranges = this.ranges.filter((r) => r.owner !== o);
  }

  /** @internal A write was added to an open overlay. */
  noteWrite(): void {
    this.unindexed = true;
  }

  /** @internal A range delete: later than every write before it, in any batch. */
  addRange(start: Uint8Array, end: Uint8Array, owner: WriteOverlay): void {
    this.index();
    this.ranges.push({ start, end, seq: ++this.seq, owner });
  }

  private index(): void {
    if (!this.unindexed) return;
    this.unindexed = false;
    for (const o of this.open) {
      for (const w of o.takeUnindexed()) {
        const k = hex(w.key);
        this.points.set(k, { seq: ++this.seq, value: w.value, owner: o });
        o.indexedKeys.push(k);
      }
    }
  }
}

/** One batch's writes: passed to the batch, and readable by later applies until released. */
export class WriteOverlay {
  /** Keys (hex) this overlay put in the index. */
  readonly indexedKeys: string[] = [];
  hasRanges = false;
  private unindexed: PointWrite[] = [];

  constructor(
    private readonly batch: StoreBatch,
    private readonly pending: PendingWrites,
  ) {}

  put(key: Uint8Array, value: Uint8Array): void {
    this.unindexed.push({ key, value });
    this.pending.noteWrite();
    this.batch.put(key, value);
  }

  delete(key: Uint8Array): void {
    this.unindexed.push({ key, value: undefined });
    this.pending.noteWrite();
    this.batch.delete(key);
  }

  deleteRange(start: Uint8Array, end: Uint8Array, _storage: StoreStorage): void {
    if (end.length > 0 && compareBytes(start, end) >= 0) return;
    this.hasRanges = true;
    this.pending.addRange(start, end, this);
    this.batch.deleteRange(start, end);
  }

  /** The value as of everything written so far, in this batch and the ones before it. */
  get(key: Uint8Array, storage: StoreStorage): Uint8Array | undefined {
    return this.pending.get(key, storage);
  }

  /** @internal Hands the writes not yet indexed to the index, in order. */
  takeUnindexed(): PointWrite[] {
    const w = this.unindexed;
    if (w.length > 0) this.unindexed = [];
    return w;
  }
}

function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}
