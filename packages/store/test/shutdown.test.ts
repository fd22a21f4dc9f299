import { describe, expect, it } from 'vitest';
import { regionOn, StoreCluster } from '../src/testing/index.js';

describe('graceful shutdown', () => {
  it('moves every leader away before the store stops', async () => {
    const regions = Array.from({ length: 12 }, (_, i) =>
      regionOn(
        i + 1,
        [1, 2, 3],
        i === 0 ? '' : `k${String(i).padStart(2, '0')}`,
        i === 11 ? '' : `k${String(i + 1).padStart(2, '0')}`,
      ),
    );
    const c = await StoreCluster.create({ stores: 3, regions, seed: 8 });
    await c.tickUntil(() => regions.every((r) => c.leaderOf(r.id)), 300, 'leaders');
    const counts = [1, 2, 3].map(
      (s) => regions.filter((r) => c.leaderStore(r.id)!.id === s).length,
    );
    const busiest = counts.indexOf(Math.max(...counts)) + 1;
    expect(counts[busiest - 1]).toBeGreaterThan(0);

    let done = false;
    void c
      .node(busiest)
      .store.shutdown(100)
      .then(() => {
        done = true;
      });
    await c.tickUntil(() => done, 150, 'shutdown to finish');
    c.node(busiest).up = false;
    c.hub.unregister(busiest);
    for (const r of regions) {
      const leader = c.leaderStore(r.id);
      expect(leader?.id, `region ${r.id}`).not.toBe(busiest);
      expect(leader).toBeDefined();
    }
    await c.put('k05x', 'after-shutdown');
    expect(await c.get('k05x')).toBe('after-shutdown');
  });
});
