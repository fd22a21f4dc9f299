import { describe, expect, it } from 'vitest';
import { PD_DEFAULTS, type RegionMeta } from '../src/index.js';
import { Harness, short } from './harness.js';
import { peers, region } from './helpers.js';

const DOWN = PD_DEFAULTS.maxStoreDownTimeMs;
const NO_BALANCE = { schedulerLimits: { 'balance-region': 0, 'balance-leader': 0 } };

/** Region 1 over everything with voters on stores 1-3 (peers 101-103). */
function r1(confVer = 5, extra: [number, number, boolean?][] = []): RegionMeta {
  return region(1, '', '', peers([101, 1], [102, 2], [103, 3], ...extra), 1, confVer);
}

/** The peer id the command names. */
function peerIdOf(c: Awaited<ReturnType<Harness['beat']>>): number {
  if (c?.command.kind !== 'change-peer') throw new Error(`not a peer change: ${short(c)}`);
  return c.command.peer.id;
}

describe('operators', () => {
  it('replace a dead peer: add learner, wait for it to catch up, promote, remove', async () => {
    const h = await Harness.create(4);
    await h.beat(r1());
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    const [add] = await h.schedule();
    expect(short(add)).toMatch(/^add-learner \d+@4$/);
    const id = peerIdOf(add);
    const withLearner = r1(6, [[id, 4, true]]);
    const down = { downPeers: [{ peer: withLearner.peers[2]!, downSeconds: 70 }] };
    // Still receiving its snapshot: nothing to do yet.
    expect(
      await h.beat(withLearner, { ...down, pendingPeers: [withLearner.peers[3]!] }),
    ).toBeUndefined();
    expect(short(await h.beat(withLearner, down))).toBe(`add-voter ${id}@4`);
    const promoted = r1(7, [[id, 4, false]]);
    expect(short(await h.beat(promoted, down))).toBe('remove 103@3');
    const done = region(1, '', '', peers([101, 1], [102, 2], [id, 4]), 1, 8);
    expect(await h.beat(done)).toBeUndefined();
    const { running, history } = h.pd.operators();
    expect(running).toEqual([]);
    expect(history.at(-1)?.status).toBe('success');
  });

  it('move leadership away before removing the leader peer', async () => {
    const h = await Harness.create(4);
    await h.beat(r1(), { leaderStoreId: 3 });
    await h.pd.removeStore(3); // decommission: its peers move away
    const [add] = await h.schedule();
    const id = peerIdOf(add);
    const promoted = r1(7, [[id, 4, false]]);
    const c = await h.beat(promoted, { leaderStoreId: 3 });
    expect(c?.command.kind).toBe('transfer-leader');
    expect(c?.storeId).toBe(3);
    expect(short(await h.beat(promoted, { leaderStoreId: 1 }))).toBe('remove 103@3');
    await h.beat(region(1, '', '', peers([101, 1], [102, 2], [id, 4]), 1, 8));
    await h.schedule();
    expect(h.pd.getStore(3)?.meta.state).toBe('tombstone');
  });

  it('time out when the region does not progress', async () => {
    const h = await Harness.create(4);
    await h.beat(r1());
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    expect(await h.schedule()).toHaveLength(1);
    h.advance(PD_DEFAULTS.peerOperatorTimeoutMs + 1_000);
    expect(await h.beat(r1())).toBeUndefined();
    expect(h.pd.operators().history.at(-1)?.status).toBe('timeout');
    // The next pass tries again.
    expect(await h.schedule()).toHaveLength(1);
  });

  it('are cancelled when the region splits under them', async () => {
    const h = await Harness.create(4);
    await h.beat(r1());
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    await h.schedule();
    const left = region(1, '', 'm', peers([101, 1], [102, 2], [103, 3]), 2, 5);
    expect(await h.beat(left)).toBeUndefined();
    expect(h.pd.operators().history.at(-1)?.status).toBe('cancelled');
  });

  it('are cancelled when the target store goes down, and the next pass picks another', async () => {
    const h = await Harness.create(5);
    await h.beat(r1());
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    const [add] = await h.schedule();
    const target = add!.command.kind === 'change-peer' ? add!.command.peer.storeId : 0;
    h.alive.delete(target);
    h.advance(DOWN + 10_000);
    expect(await h.beat(r1())).toBeUndefined();
    expect(h.pd.operators().history.at(-1)?.endReason).toMatch(/is down/);
    const [again] = await h.schedule();
    expect(short(again)).toMatch(new RegExp(`@${9 - target}$`)); // stores 4 and 5: the other one
  });

  it('let repair replace a running balance move', async () => {
    const h = await Harness.create(4);
    // Store 4 is empty, so the balancer wants to move something onto it.
    const p = peers([1, 1], [2, 2], [3, 3]);
    for (let i = 0; i < 6; i++) {
      await h.beat(
        region(
          10 + i,
          String.fromCharCode(97 + i),
          i === 5 ? '' : String.fromCharCode(98 + i),
          p.map((q) => ({ ...q, id: q.id + 10 * i })),
          2,
          3,
        ),
      );
    }
    await h.beat(region(1, '', 'a', peers([101, 1], [102, 2], [103, 3]), 2, 5));
    const moves = await h.schedule();
    expect(moves.length).toBeGreaterThan(0);
    const moved = moves[0]!.regionId;
    expect(h.pd.operators().running[0]?.scheduler).toBe('balance-region');
    h.alive.delete(2);
    h.advance(DOWN + 10_000);
    await h.schedule();
    const op = h.pd.operators().running.find((o) => o.regionId === moved);
    expect(op?.scheduler).toBe('replica-repair');
    expect(h.pd.operators().history.some((o) => o.status === 'replaced')).toBe(true);
  });
});

describe('replica repair', () => {
  it('grows a region to the replica count one voter at a time', async () => {
    const h = await Harness.create(3);
    await h.beat(region(1, '', '', peers([101, 1]), 1, 1));
    const [c] = await h.schedule();
    expect(short(c)).toMatch(/^add-learner \d+@2$/);
  });

  it('removes a surplus voter from the fullest store, and orphan learners', async () => {
    const h = await Harness.create(4);
    await h.beat(region(1, '', '', peers([101, 1], [102, 2], [103, 3], [104, 4]), 1, 6));
    expect((await h.schedule()).map(short)).toEqual(['remove 104@4']);
    const h2 = await Harness.create(4);
    await h2.beat(r1(6, [[104, 4, true]]));
    expect((await h2.schedule()).map(short)).toEqual(['remove 104@4']);
  });

  it('promotes an orphan learner when voters are missing', async () => {
    const h = await Harness.create(3);
    await h.beat(region(1, '', '', peers([101, 1], [102, 2], [103, 3, true]), 1, 6));
    expect((await h.schedule()).map(short)).toEqual(['add-voter 103@3']);
  });

  it('reuses a caught-up learner to replace a dead voter', async () => {
    const h = await Harness.create(4);
    await h.beat(r1(6, [[104, 4, true]]));
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    expect((await h.schedule()).map(short)).toEqual(['add-voter 104@4']);
  });

  it('replaces a peer its leader reports down for too long, though its store is up', async () => {
    const h = await Harness.create(4);
    const r = r1();
    await h.beat(r, { downPeers: [{ peer: r.peers[1]!, downSeconds: 30 }] });
    expect(await h.schedule()).toEqual([]);
    await h.beat(r, { downPeers: [{ peer: r.peers[1]!, downSeconds: DOWN / 1000 }] });
    expect((await h.schedule()).map(short)).toEqual([expect.stringMatching(/^add-learner \d+@4$/)]);
  });

  it('leaves alone a region that lost its quorum (no membership change could commit)', async () => {
    const h = await Harness.create(5, NO_BALANCE);
    await h.beat(r1());
    h.alive.delete(2);
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    expect(await h.schedule()).toEqual([]);
  });

  it('removes a lost learner', async () => {
    const h = await Harness.create(4);
    await h.beat(r1(6, [[104, 4, true]]));
    h.alive.delete(4);
    h.advance(DOWN + 10_000);
    expect((await h.schedule()).map(short)).toEqual(['remove 104@4']);
  });

  it('chooses the store with the fewest regions, skipping full, busy and silent ones', async () => {
    const h = await Harness.create(7, NO_BALANCE);
    const p = (ids: number[]) =>
      peers(...ids.map((s, i): [number, number] => [500 + s * 10 + i, s]));
    await h.beat(region(1, '', 'b', peers([101, 1], [102, 2], [103, 3]), 2, 5));
    await h.beat(region(2, 'b', 'c', p([1, 2, 4]), 2, 3));
    await h.beat(region(3, 'c', '', p([1, 2, 4]), 2, 3));
    h.stats.set(5, { available: 2 ** 40 * 0.1 }); // under minAvailableRatio
    h.stats.set(6, { isBusy: true });
    h.alive.delete(7);
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    // Store 4 holds 2 regions, 5 is full, 6 busy, 7 silent: only 4 fits.
    const cmds = await h.schedule();
    expect(cmds.map(short)).toEqual([expect.stringMatching(/^add-learner \d+@4$/)]);
  });

  it('prefers fewer regions, then more free space, then the lower store id', async () => {
    const setup = async (available5: number) => {
      const h = await Harness.create(6, NO_BALANCE);
      await h.beat(region(1, '', 'b', peers([101, 1], [102, 2], [103, 3]), 2, 5));
      await h.beat(region(2, 'b', '', peers([201, 1], [202, 2], [204, 4]), 2, 3));
      h.stats.set(5, { available: available5 });
      h.alive.delete(3);
      h.advance(DOWN + 10_000);
      return (await h.schedule()).map(short);
    };
    // Store 4 holds a region; 5 and 6 hold none: the one with more free space wins.
    expect(await setup(2 ** 39 + 1)).toEqual([expect.stringMatching(/@5$/)]);
    expect(await setup(2 ** 39 - 1)).toEqual([expect.stringMatching(/@6$/)]);
    expect(await setup(2 ** 39)).toEqual([expect.stringMatching(/@5$/)]);
  });

  it('respects its scheduler limit and the per-store limit', async () => {
    const h = await Harness.create(4, {
      schedulerLimits: { 'replica-repair': 2, 'balance-region': 0, 'balance-leader': 0 },
    });
    const p = (i: number) => peers([100 + 10 * i, 1], [101 + 10 * i, 2], [102 + 10 * i, 3]);
    const keys = ['', 'b', 'c', 'd', 'e'];
    for (let i = 0; i < 5; i++)
      await h.beat(region(i + 1, keys[i]!, keys[i + 1] ?? '', p(i), 2, 3));
    h.alive.delete(3);
    h.advance(DOWN + 10_000);
    expect(await h.schedule()).toHaveLength(2);
    expect(await h.schedule()).toHaveLength(0);
    const h2 = await Harness.create(4, { ...NO_BALANCE, storeOperatorLimit: 3 });
    for (let i = 0; i < 5; i++)
      await h2.beat(region(i + 1, keys[i]!, keys[i + 1] ?? '', p(i), 2, 3));
    h2.alive.delete(3);
    h2.advance(DOWN + 10_000);
    expect(await h2.schedule()).toHaveLength(3); // store 4 takes part in at most 3
    expect(h2.pd.operators().stats.runningByStore.get(4)).toBe(3);
    expect(h2.pd.operators().stats.runningByStore.has(3)).toBe(false); // down: no work there
  });
});
