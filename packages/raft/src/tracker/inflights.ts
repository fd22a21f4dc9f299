/**
 * The window of appends sent to one follower and not yet acknowledged (pipelining).
 * It is full at `capacity` messages or `maxBytes` bytes, whichever comes first; a full
 * window pauses replication to that follower until acknowledgements free it.
 */

import { assert } from '../assert.js';

export class Inflights {
  /** Last entry index of each in-flight message, oldest first. */
  private indexes: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {
    assert(capacity > 0, 'inflight capacity must be positive');
  }

  get count(): number {
    return this.indexes.length - this.head;
  }

  get inflightBytes(): number {
    return this.bytes;
  }

  add(lastIndex: number, bytes: number): void {
    assert(!this.full(), 'cannot add to a full inflight window');
    const last = this.indexes[this.indexes.length - 1];
    assert(
      this.count === 0 || last === undefined || lastIndex > last,
      'inflight indexes must increase',
    );
    this.indexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `index` (they are acknowledged). */
  freeLE(index: number): void {
    while (this.head < this.indexes.length && this.indexes[this.head]! <= index) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    // Compact occasionally so the arrays do not grow without bound.
    if (this.head > 64 && this.head * 2 > this.indexes.length) {
      this.indexes = this.indexes.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  full(): boolean {
    return this.count >= this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.indexes = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }
}
