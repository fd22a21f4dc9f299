import { describe, expect, it } from 'vitest';
import { regionOn, StoreCluster } from '../src/testing/index.js';

describe('store: in-process cluster', () => {
  it('elects a leader for a bootstrapped region and serves writes and reads', async () => {
    const c = await StoreCluster.create({ stores: 3, regions: [regionOn(1, [1, 2, 3])] });
    await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
    const resp = await c.put('a', '1');
    expect(resp.error ?? null).toBeNull();
    expect(await c.get('a')).toBe('1');
    await c.tick(3);
    for (const id of [1, 2, 3]) expect(c.dataOf(id)).toEqual(['a=1']);
  });
});
