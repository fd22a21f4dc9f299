import { describe, expect, it } from 'vitest';
import { isPdError, PD_DEFAULTS, PdErrorCode, type RegionMeta } from '../src/index.js';
import { Harness, short } from './harness.js';
import { failover, k, peers, region } from './helpers.js';

const MIB = 1024 * 1024;
const NO_BALANCE = { schedulerLimits: { 'balance-region': 0, 'balance-leader': 0 } } as const;

function r1(version = 1): RegionMeta {
  return region(1, '', '', peers([101, 1], [102, 2], [103, 3]), version, 5);
}

describe('split', () => {
  it('splits a region over the size limit at the reported middle key, with fresh ids', async () => {
    const h = await Harness.create(3, NO_BALANCE);
    await h.beat(r1(), { approximateSize: PD_DEFAULTS.regionMaxBytes + 1, splitKeyHint: k('m') });
    const [c] = await h.schedule();
    expect(c?.command.kind).toBe('split-region');
    if (c?.command.kind !== 'split-region') return;
    expect(c.command.splitKey).toEqual(k('m'));
    expect(c.command.newPeerIds).toHaveLength(3);
    expect(new Set([c.command.newRegionId, ...c.command.newPeerIds]).size).toBe(4);
    // Re-sent unchanged until the split shows up, then done.
    const again = await h.beat(r1(), { approximateSize: PD_DEFAULTS.regionMaxBytes + 1 });
    expect(again?.command).toEqual(c.command);
    expect(await h.beat(region(1, '', 'm', r1().peers as never, 2, 5))).toBeUndefined();
    expect(h.pd.operators().history.at(-1)?.status).toBe('success');
  });

  it('lets the store pick the key when none is known, and splits on key count too', async () => {
    const h = await Harness.create(3, NO_BALANCE);
    await h.beat(r1(), { approximateKeys: PD_DEFAULTS.regionMaxKeys + 1 });
    const [c] = await h.schedule();
    expect(c?.command.kind === 'split-region' && c.command.splitKey.length).toBe(0);
  });

  it('ignores a split key hint outside the region', async () => {
    const h = await Harness.create(3, NO_BALANCE);
    const r = region(1, '', 'm', r1().peers as never, 2, 5);
    await h.beat(r, { approximateSize: PD_DEFAULTS.regionMaxBytes + 1, splitKeyHint: k('x') });
    const [c] = await h.schedule();
    expect(c?.command.kind === 'split-region' && c.command.splitKey.length).toBe(0);
  });

  it('splits a region written too fast for loadSplitDurationMs, not a burst', async () => {
    const h = await Harness.create(3, NO_BALANCE);
    const hot = { bytesWritten: 40 * MIB * 10, intervalMs: 10_000, approximateKeys: 1000 };
    await h.beat(r1(), hot);
    h.advance(5_000);
    await h.beat(r1(), { bytesWritten: 0, intervalMs: 5_000 }); // the streak breaks
    h.advance(5_000);
    await h.beat(r1(), hot);
    h.advance(5_000);
    await h.beat(r1(), hot);
    expect(await h.schedule()).toEqual([]);
    h.advance(5_000);
    await h.beat(r1(), hot);
    expect((await h.schedule()).map(short)).toEqual([expect.stringMatching(/^split/)]);
  });

  it('never load-splits a single hot key', async () => {
    const h = await Harness.create(3, NO_BALANCE);
    const hot = { keysWritten: 100_000, intervalMs: 10_000, approximateKeys: 1 };
    await h.beat(r1(), hot);
    h.advance(20_000);
    await h.beat(r1(), hot);
    expect(await h.schedule()).toEqual([]);
  });

  it('hands out ids for a split the store decided itself (AskSplit)', async () => {
    const h = await Harness.create(3);
    await h.beat(r1());
    const ids = await h.pd.askSplit(r1());
    expect(ids.newPeerIds).toHaveLength(3);
    const err = await h.pd.askSplit(region(9, '', '', peers([1, 1]))).catch((e: unknown) => e);
    expect(isPdError(err, PdErrorCode.RegionNotFound)).toBe(true);
    const stale = await h.pd
      .askSplit(region(1, '', '', peers([101, 1]), 1, 1))
      .catch((e: unknown) => e);
    expect(isPdError(stale, PdErrorCode.StaleEpoch)).toBe(true);
  });
});

/** Regions 1..n over keys a, b, ... with peers on `stores` and leaders on `leader(i)`. */
async function layout(
  h: Harness,
  n: number,
  stores: (i: number) => number[],
  leader: (i: number) => number,
) {
  for (let i = 0; i < n; i++) {
    const start = i === 0 ? '' : `k${String(i).padStart(3, '0')}`;
    const end = i === n - 1 ? '' : `k${String(i + 1).padStart(3, '0')}`;
    const id = i === 0 ? 1 : 1000 + i;
    const p = peers(...stores(i).map((s): [number, number] => [id * 10 + s, s]));
    await h.beat(region(id, start, end, p, 2, 3), { leaderStoreId: leader(i) });
  }
}

describe('balance', () => {
  it('moves regions onto an empty store, follower peers first, within the limits', async () => {
    const h = await Harness.create(4, { schedulerLimits: { 'balance-region': 3 } });
    await layout(
      h,
      12,
      () => [1, 2, 3],
      (i) => 1 + (i % 3),
    );
    const cmds = await h.schedule();
    const moves = h.pd.operators().running.filter((o) => o.scheduler === 'balance-region');
    expect(moves).toHaveLength(3);
    for (const op of moves) {
      expect(op.steps.map((s) => s.kind)).toEqual([
        'add-learner',
        'promote-learner',
        'remove-peer',
      ]);
      expect(op.steps[0]).toMatchObject({ storeId: 4 });
      const removed = op.steps[2]!;
      const region = h.pd.getRegionById(op.regionId)!;
      expect(removed.kind === 'remove-peer' && region.leader?.storeId !== removed.storeId).toBe(
        true,
      );
    }
    expect(cmds.filter((c) => short(c)?.endsWith('@4')).length).toBeGreaterThanOrEqual(3);
  });

  it('moves leaders from the busiest store to the least busy voter store', async () => {
    const h = await Harness.create(3, { schedulerLimits: { 'balance-leader': 2 } });
    await layout(
      h,
      9,
      () => [1, 2, 3],
      () => 1,
    );
    const cmds = await h.schedule();
    expect(cmds.map(short)).toEqual([
      expect.stringMatching(/^transfer-leader \d+@2$/),
      expect.stringMatching(/^transfer-leader \d+@3$/),
    ]);
  });

  it('leaves a cluster within tolerance alone', async () => {
    const h = await Harness.create(3);
    await layout(
      h,
      9,
      () => [1, 2, 3],
      (i) => 1 + (i % 3),
    );
    expect(await h.schedule()).toEqual([]);
  });

  it('waits after a failover until the regions have reported', async () => {
    const h = await Harness.create(3, { schedulerLimits: { 'balance-leader': 2 } });
    await layout(
      h,
      9,
      () => [1, 2, 3],
      () => 1,
    );
    const pd2 = await failover(h.pd, h.storage, h.clock, {
      schedulerLimits: { 'balance-leader': 2 },
    });
    for (const id of [1, 2, 3]) pd2.storeHeartbeat({ storeId: id, capacity: 100, available: 50 });
    expect(await pd2.schedule()).toEqual([]); // no region has reported: leaders unknown
    const all = pd2.clusterMeta.allRegions();
    for (const r of all.slice(0, 8))
      await pd2.regionHeartbeat({ region: r.meta, leader: r.meta.peers[0]! });
    expect(await pd2.schedule()).toEqual([]); // 8 of 9 reported
    const last = all[8]!.meta;
    await pd2.regionHeartbeat({ region: last, leader: last.peers[0]! });
    expect(await pd2.schedule()).toHaveLength(2);
  });
});
