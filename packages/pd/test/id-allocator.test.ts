import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PERSIST_STEP, isPdError, PdErrorCode } from '../src/index.js';
import { failover, startPd } from './helpers.js';

function ids(range: { first: number; count: number }): number[] {
  return Array.from({ length: range.count }, (_, i) => range.first + i);
}

describe('id allocation', () => {
  it('hands out consecutive ranges and persists the mark once per step', async () => {
    const { pd, storage } = await startPd();
    const writes = storage.writes;
    const a = await pd.allocId(3);
    const b = await pd.allocId(1);
    expect(b.first).toBe(a.first + 3);
    expect(storage.writes).toBe(writes + 1);
    for (let i = 0; i < ID_PERSIST_STEP; i++) await pd.allocId();
    expect(storage.writes).toBe(writes + 2);
  });

  it('never reissues an id after a failover', async () => {
    const { pd, storage, clock } = await startPd();
    const before = ids(await pd.allocId(10));
    const pd2 = await failover(pd, storage, clock);
    const after = await pd2.allocId(1);
    expect(after.first).toBeGreaterThan(Math.max(...before));
  });

  it('gives concurrent callers disjoint ranges', async () => {
    const { pd } = await startPd();
    const ranges = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pd.allocId(1 + (i % 7) * 100)),
    );
    const all = ranges.flatMap(ids);
    expect(new Set(all).size).toBe(all.length);
  });

  it('hands nothing out before the mark covering it is durable', async () => {
    const { pd, storage } = await startPd();
    storage.holdWrites();
    let done = false;
    const p = pd.allocId(1).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    storage.release();
    expect((await p).count).toBe(1);
  });

  it('fails, and stops the PD, when the mark cannot be persisted; the next leader skips past it', async () => {
    const { pd, storage, clock } = await startPd();
    const first = await pd.allocId(5);
    storage.failWrites();
    // More than the persisted surplus (at most one step): needs a write, which fails.
    const err = await pd.allocId(ID_PERSIST_STEP + 1).catch((e: unknown) => e);
    expect(isPdError(err, PdErrorCode.Storage)).toBe(true);
    expect(pd.isServing).toBe(false);
    storage.healWrites();
    const pd2 = await failover(pd, storage, clock);
    expect((await pd2.allocId(1)).first).toBeGreaterThanOrEqual(first.first + first.count);
  });

  it('refuses counts out of range', async () => {
    const { pd } = await startPd();
    for (const n of [0, -1, 1.5, 10_001]) {
      const err = await pd.allocId(n).catch((e: unknown) => e);
      expect(isPdError(err, PdErrorCode.InvalidArgument)).toBe(true);
    }
  });

  it('ids stay unique over random allocations and failovers (property)', async () => {
    const op = fc.oneof(
      fc.record({ alloc: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ failover: fc.constant(true) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        let { pd, storage, clock } = await startPd();
        // Ranges that only ever move up are disjoint: that is the uniqueness check.
        let highest = 0;
        for (const o of ops) {
          if ('failover' in o) {
            pd = await failover(pd, storage, clock);
            continue;
          }
          const r = await pd.allocId(o.alloc);
          if (r.first <= highest) throw new Error(`id ${r.first} reissued (highest ${highest})`);
          highest = r.first + r.count - 1;
        }
        void storage;
        void clock;
      }),
      { numRuns: 100 },
    );
  });
});
