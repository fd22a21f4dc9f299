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
});
