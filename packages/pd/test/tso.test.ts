import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Clock,
  isPdError,
  LOGICAL_PER_MS,
  MetaWriter,
  PdErrorCode,
  TimestampOracle,
  TSO_RENEW_AHEAD_MS,
  TSO_WINDOW_MS,
  type TsoBatch,
  timestampFromValue,
  timestampValue,
} from '../src/index.js';
import { ManualClock, MemoryMetaStorage } from '../src/testing/index.js';

/** Storage that records, synchronously, the window end that is durable. */
class WatchedStorage extends MemoryMetaStorage {
  durableWindowEnd = 0;
  override async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await super.put(key, value);
    if (new TextDecoder().decode(key) === '/pd/tso-window-end') {
      this.durableWindowEnd = Number(new TextDecoder().decode(value));
    }
  }
}

async function oracle(storage: MemoryMetaStorage, clock: Clock): Promise<TimestampOracle> {
  return TimestampOracle.start(storage, new MetaWriter(storage, () => {}), clock);
}

function checkBatch(b: TsoBatch, count: number): void {
  expect(b.count).toBe(count);
  expect(b.first.physical).toBe(b.last.physical);
  expect(b.last.logical - b.first.logical).toBe(count - 1);
  expect(b.lastValue - b.firstValue).toBe(BigInt(count - 1));
  expect(timestampValue(b.first)).toBe(b.firstValue);
}

describe('timestamps', () => {
  it('combine as physical << 18 | logical, exactly, beyond 2^53', () => {
    const ts = { physical: 1_700_000_000_123, logical: LOGICAL_PER_MS - 1 };
    const v = timestampValue(ts);
    expect(v).toBe((1_700_000_000_123n << 18n) | 262_143n);
    expect(v > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(timestampFromValue(v)).toEqual(ts);
    expect(() => timestampValue({ physical: 1, logical: LOGICAL_PER_MS })).toThrow();
  });
});

describe('timestamp oracle', () => {
  it('hands out strictly increasing, contiguous batches', async () => {
    const clock = new ManualClock();
    const tso = await oracle(new MemoryMetaStorage(), clock);
    let last = -1n;
    for (const n of [1, 5, 1000, 1, 3]) {
      const b = await tso.next(n);
      checkBatch(b, n);
      expect(b.firstValue > last).toBe(true);
      last = b.lastValue;
      clock.advance(n % 2);
    }
  });

  it('moves to the next millisecond when the logical counter would overflow', async () => {
    const clock = new ManualClock();
    const tso = await oracle(new MemoryMetaStorage(), clock);
    const a = await tso.next(LOGICAL_PER_MS - 10);
    const b = await tso.next(20);
    checkBatch(b, 20);
    expect(b.first).toEqual({ physical: a.first.physical + 1, logical: 0 });
    const c = await tso.next(LOGICAL_PER_MS);
    expect(c.first).toEqual({ physical: b.first.physical + 1, logical: 0 });
  });

  it('never goes back when the clock does', async () => {
    const clock = new ManualClock();
    const tso = await oracle(new MemoryMetaStorage(), clock);
    const a = await tso.next();
    clock.advance(-10_000);
    const b = await tso.next();
    expect(b.first).toEqual({ physical: a.first.physical, logical: 1 });
  });

  it('waits for the window to be durable before handing out time beyond it', async () => {
    const clock = new ManualClock();
    const storage = new WatchedStorage();
    const tso = await oracle(storage, clock);
    expect(storage.durableWindowEnd).toBe(clock.now() + TSO_WINDOW_MS);
    storage.holdWrites();
    clock.advance(TSO_WINDOW_MS + 5); // past the window, with no tick() in between
    let done = false;
    const p = tso.next().then((b) => {
      done = true;
      return b;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    storage.release();
    const b = await p;
    expect(b.first.physical).toBe(clock.now());
    expect(storage.durableWindowEnd).toBeGreaterThan(b.first.physical);
  });

  it('renews the window ahead of time, so steady requests never wait', async () => {
    const clock = new ManualClock();
    const storage = new WatchedStorage();
    const tso = await oracle(storage, clock);
    const startEnd = storage.durableWindowEnd;
    clock.advance(TSO_WINDOW_MS - TSO_RENEW_AHEAD_MS + 1);
    await tso.next(); // inside the window: served at once, renewal kicked off
    await new Promise((r) => setImmediate(r));
    expect(storage.durableWindowEnd).toBeGreaterThan(startEnd);
    // tick() renews too, without any request.
    const before = storage.durableWindowEnd;
    clock.advance(TSO_WINDOW_MS - TSO_RENEW_AHEAD_MS + 1);
    await tso.tick();
    expect(storage.durableWindowEnd).toBeGreaterThan(before);
  });

  it('starts a new leader above the persisted window, even with a clock far behind', async () => {
    const storage = new MemoryMetaStorage();
    const fast = new ManualClock(2_000_000_000_000);
    const old = await oracle(storage, fast);
    const last = await old.next(10);
    old.stop();
    const slow = new ManualClock(1_000_000_000_000);
    const fresh = await oracle(storage, slow);
    const first = await fresh.next();
    expect(first.firstValue > last.lastValue).toBe(true);
    expect(first.first.physical).toBeGreaterThan(fast.now() + TSO_WINDOW_MS - 1);
    const err = await old.next().catch((e: unknown) => e);
    expect(isPdError(err, PdErrorCode.NotLeader)).toBe(true);
  });

  it('starts a new leader at its own clock when that is ahead of the window', async () => {
    const storage = new MemoryMetaStorage();
    const old = await oracle(storage, new ManualClock(1_000));
    old.stop();
    const clock = new ManualClock(50_000);
    const b = await (await oracle(storage, clock)).next();
    expect(b.first).toEqual({ physical: 50_000, logical: 0 });
  });

  it('refuses counts out of range', async () => {
    const tso = await oracle(new MemoryMetaStorage(), new ManualClock());
    for (const n of [0, LOGICAL_PER_MS + 1, 2.5]) {
      const err = await tso.next(n).catch((e: unknown) => e);
      expect(isPdError(err, PdErrorCode.InvalidArgument)).toBe(true);
    }
  });

  it('is strictly increasing across calls, clock jumps and leader changes with skewed clocks (property)', async () => {
    const op = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          next: fc.oneof(
            fc.integer({ min: 1, max: 10 }),
            fc.integer({ min: 1, max: LOGICAL_PER_MS }),
          ),
        }),
      },
      { weight: 3, arbitrary: fc.record({ advance: fc.integer({ min: 0, max: 5_000 }) }) },
      { weight: 1, arbitrary: fc.record({ jump: fc.integer({ min: -20_000, max: 20_000 }) }) },
      { weight: 1, arbitrary: fc.record({ tick: fc.constant(true) }) },
      { weight: 1, arbitrary: fc.record({ failover: fc.integer({ min: -30_000, max: 30_000 }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        // True time moves forward; each leader reads it through its own skew, and "jump"
        // moves one leader's clock (NTP stepping it back or forth).
        let trueTime = 1_700_000_000_000;
        let skew = 0;
        const clock: Clock = { now: () => trueTime + skew };
        const storage = new WatchedStorage();
        let tso = await oracle(storage, clock);
        // The naive model: every timestamp handed out so far lies at or below `highest`.
        let highest = -1n;
        for (const o of ops) {
          if ('next' in o) {
            const b = await tso.next(o.next);
            checkBatch(b, o.next);
            if (b.firstValue <= highest)
              throw new Error(`TSO went back: ${b.firstValue} <= ${highest}`);
            if (b.last.physical >= storage.durableWindowEnd)
              throw new Error('handed out beyond the durable window');
            highest = b.lastValue;
          } else if ('advance' in o) {
            trueTime += o.advance;
          } else if ('jump' in o) {
            skew += o.jump;
          } else if ('tick' in o) {
            await tso.tick();
          } else {
            tso.stop();
            skew = o.failover;
            tso = await oracle(storage, clock);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
