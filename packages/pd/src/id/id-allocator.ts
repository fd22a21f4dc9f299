/**
 * Cluster-wide unique ids (stores, regions, peers), unique forever, across PD failovers.
 *
 * The allocator persists a high-water mark before it hands out any id below it, a step at a
 * time: one metadata write buys ID_PERSIST_STEP ids. A new leader starts at the persisted
 * mark, so it never reissues an id the old leader may have handed out; at most one step of
 * ids is skipped per failover.
 */

import { assert } from '../assert.js';
import { invalidArgument } from '../errors.js';
import { decodeDecimal, encodeDecimal, ID_HIGH_WATER_KEY } from '../storage/meta-keys.js';
import type { MetaStorage } from '../storage/meta-storage.js';
import type { MetaWriter } from '../storage/meta-writer.js';

/**
 * Ids bought per persisted write. 1000 makes the write rare (one per thousand regions or
 * peers created) and wastes at most 1000 ids per failover out of 2^53.
 */
export const ID_PERSIST_STEP = 1000;

/** Most ids one call may ask for: far more than any caller needs (a split needs 1 + peers). */
export const ID_ALLOC_MAX_COUNT = 10_000;

/** The first id ever handed out; 0 means "none" on the wire. */
export const FIRST_ID = 1;

/** `count` consecutive ids starting at `first`. */
export interface IdRange {
  readonly first: number;
  readonly count: number;
}

/** Hands out unique ids from a persisted high-water mark. */
export class IdAllocator {
  /** Invariant: next <= persistedEnd; every id handed out is < next. */
  private next: number;
  /** Invariant: the stored high-water mark is >= persistedEnd. */
  private persistedEnd: number;
  private extending: Promise<void> | undefined;

  private constructor(
    private readonly writer: MetaWriter,
    highWater: number,
  ) {
    this.next = highWater;
    this.persistedEnd = highWater;
  }

  /** Loads the high-water mark: ids below it may have been handed out by any earlier leader. */
  static async load(storage: MetaStorage, writer: MetaWriter): Promise<IdAllocator> {
    const stored = await storage.get(ID_HIGH_WATER_KEY);
    const highWater = stored === undefined ? FIRST_ID : Number(decodeDecimal(stored));
    assert(
      Number.isSafeInteger(highWater) && highWater >= FIRST_ID,
      'stored id high-water mark is corrupt',
    );
    return new IdAllocator(writer, highWater);
  }

  /** The next id this allocator would hand out (for tests and status). */
  get nextId(): number {
    return this.next;
  }

  /**
   * Allocates `count` consecutive ids, never handed out before by this or any other leader.
   * Resolves only once the high-water mark covering them is durable.
   */
  async alloc(count = 1): Promise<IdRange> {
    if (!Number.isSafeInteger(count) || count < 1 || count > ID_ALLOC_MAX_COUNT) {
      throw invalidArgument(`id count must be an integer in [1, ${ID_ALLOC_MAX_COUNT}]`);
    }
    for (;;) {
      if (this.next + count <= this.persistedEnd) {
        const first = this.next;
        this.next += count;
        return { first, count };
      }
      await this.extend(this.next + count);
    }
  }

  /** Persists a mark at least `needEnd + ID_PERSIST_STEP`, unless a write is under way. */
  private extend(needEnd: number): Promise<void> {
    if (this.extending) return this.extending;
    const end = needEnd + ID_PERSIST_STEP;
    assert(Number.isSafeInteger(end), 'id space exhausted');
    const write = this.writer.write([
      { kind: 'put', key: ID_HIGH_WATER_KEY, value: encodeDecimal(end) },
    ]);
    this.extending = write
      .then(() => {
        this.persistedEnd = Math.max(this.persistedEnd, end);
      })
      .finally(() => {
        this.extending = undefined;
      });
    return this.extending;
  }
}
