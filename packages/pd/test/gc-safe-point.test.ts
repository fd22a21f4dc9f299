import { describe, expect, it } from 'vitest';
import { failover, startPd } from './helpers.js';

describe('GC safe point', () => {
  it('only moves forward, and survives a failover', async () => {
    const { pd, storage, clock } = await startPd();
    expect(pd.getGcSafePoint()).toBe(0n);
    const big = (1_700_000_000_000n << 18n) + 5n;
    expect(await pd.updateGcSafePoint(big)).toBe(big);
    expect(await pd.updateGcSafePoint(big - 1n)).toBe(big);
    const pd2 = await failover(pd, storage, clock);
    expect(pd2.getGcSafePoint()).toBe(big);
  });

  it('never lets concurrent updates leave a smaller value in storage', async () => {
    const { pd, storage, clock } = await startPd();
    storage.holdWrites();
    const a = pd.updateGcSafePoint(10n);
    const b = pd.updateGcSafePoint(5n);
    const c = pd.updateGcSafePoint(7n);
    expect(pd.getGcSafePoint()).toBe(0n); // nothing durable yet
    storage.release();
    expect(await Promise.all([a, b, c])).toEqual([10n, 10n, 10n]);
    const pd2 = await failover(pd, storage, clock);
    expect(pd2.getGcSafePoint()).toBe(10n);
  });
});
