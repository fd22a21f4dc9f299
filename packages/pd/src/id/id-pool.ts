/**
 * A small stock of allocated ids that synchronous code (a scheduling pass) can draw from
 * without awaiting. The pass refills it first, then runs without interruption, so it sees
 * one consistent view of the cluster. Ids left in the pool when a leader term ends are
 * simply never used: they were allocated, so no later leader hands them out.
 */

import type { IdAllocator } from './id-allocator.js';

/**
 * Ids kept in stock before a scheduling pass. A pass creates at most the sum of the
 * schedulers' limits in operators (about a hundred by default), each needing at most
 * 1 + (replicas + 1) ids (a split of a region with a learner): 1024 covers that. A pass that
 * runs dry stops creating operators and continues on the next pass.
 */
export const ID_POOL_TARGET = 1024;

/** Ids drawn in order from allocated ranges. */
export class IdPool {
  private next = 0;
  private end = 0;
  private readonly queued: { first: number; end: number }[] = [];

  constructor(private readonly allocator: IdAllocator) {}

  /** Ids available without awaiting. */
  get available(): number {
    return this.end - this.next + this.queued.reduce((n, r) => n + r.end - r.first, 0);
  }

  /** Tops the pool up to `target` ids. */
  async refill(target = ID_POOL_TARGET): Promise<void> {
    const missing = target - this.available;
    if (missing <= 0) return;
    const range = await this.allocator.alloc(missing);
    this.queued.push({ first: range.first, end: range.first + range.count });
  }

  /** `count` ids, or undefined (taking none) if fewer are available. */
  take(count: number): number[] | undefined {
    if (this.available < count) return undefined;
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.next === this.end) {
        const r = this.queued.shift()!;
        this.next = r.first;
        this.end = r.end;
      }
      ids.push(this.next++);
    }
    return ids;
  }
}
