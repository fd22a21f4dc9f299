/**
 * Client writes a leader receives in one loop turn travel as one Raft entry, and each is
 * still applied and answered on its own: a refused request does not fail its neighbours, a
 * compare-and-swap sees the writes before it in the entry, a retry inside the same entry is
 * applied once, and entries in the format before batching still apply. In-process, seeded.
 */

import { atoll } from '@atoll/proto';
import { describe, expect, it } from 'vitest';
import { decodeCommand } from '../src/command-codec.js';
import type { WriteOutcome } from '../src/region-peer.js';
import { key, regionOn, StoreCluster } from '../src/testing/index.js';
import { ENTRY_REQUESTS_MAX } from '../src/write-proposals.js';

const put = (k: string, v: string): atoll.store.IWriteOp => ({
  put: { key: key(k), value: key(v) },
});

async function cluster(seed: number, end = '') {
  const c = await StoreCluster.create({
    stores: 3,
    regions: [regionOn(1, [1, 2, 3], '', end)],
    seed,
  });
  await c.tickUntil(() => c.leaderOf(1) !== undefined, 200, 'a leader');
  for (const s of c.stores.values()) s.env.jump(1_000_000);
  return c;
}

/** Proposes writes on the leader in one turn and ticks until every one is answered. */
async function proposeTogether(
  c: StoreCluster,
  requests: { writes: atoll.store.IWriteOp[]; requestId?: string; epochVersion?: number }[],
): Promise<WriteOutcome[]> {
  const leader = c.leaderStore(1)!;
  const peer = leader.store.peers.get(1)!;
  const outcomes: (WriteOutcome | undefined)[] = requests.map(() => undefined);
  requests.forEach((r, i) => {
    const epoch = { ...peer.region.epoch, version: r.epochVersion ?? peer.region.epoch.version };
    void leader.store
      .proposeWrites({ regionId: 1, epoch }, r.writes, r.requestId ? key(r.requestId) : undefined)
      .then((o) => {
        outcomes[i] = o;
      });
  });
  await c.tickUntil(() => outcomes.every((o) => o !== undefined), 200, 'every write answered');
  return outcomes as WriteOutcome[];
}

/** The client-write entries (not empty, not membership changes) in the leader's log. */
function writeEntries(c: StoreCluster) {
  const peer = c.leaderOf(1)!;
  const log = peer.node.raft.log;
  return log
    .slice(log.firstIndex(), log.lastIndex() + 1, Number.POSITIVE_INFINITY)
    .filter((e) => e.data.length > 0)
    .map((e) => decodeCommand(e.data))
    .filter((cmd) => cmd.requests.length > 0);
}

describe('write batching', () => {
  it('writes proposed in one turn share one entry, and every one is applied', async () => {
    const c = await cluster(41);
    const before = writeEntries(c).length;
    const outcomes = await proposeTogether(
      c,
      Array.from({ length: 100 }, (_, i) => ({ writes: [put(`k${i}`, `v${i}`)] })),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const entries = writeEntries(c).slice(before);
    expect(entries.map((e) => e.requests.length)).toEqual([100]);
    for (const i of [0, 50, 99]) expect(await c.get(`k${i}`)).toBe(`v${i}`);
  });

  it('a batch larger than one entry is split into several, in order', async () => {
    const c = await cluster(42);
    const before = writeEntries(c).length;
    const n = ENTRY_REQUESTS_MAX + 10;
    const outcomes = await proposeTogether(
      c,
      Array.from({ length: n }, (_, i) => ({ writes: [put('same', `v${i}`)] })),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const entries = writeEntries(c).slice(before);
    expect(entries.map((e) => e.requests.length)).toEqual([ENTRY_REQUESTS_MAX, 10]);
    // Applied in the order proposed: the last write wins.
    expect(await c.get('same')).toBe(`v${n - 1}`);
  });

  it('a request refused at apply fails alone; its neighbours apply', async () => {
    const c = await cluster(43, 'm');
    const outcomes = await proposeTogether(c, [
      { writes: [put('a', '1')] },
      // Outside the region [, m): refused whole, including its first write.
      { writes: [put('b', '2'), put('z', '3')] },
      { writes: [put('c', '4')] },
    ]);
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]!.ok).toBe(false);
    expect(
      !outcomes[1]!.ok && 'regionError' in outcomes[1]! && outcomes[1].regionError.keyNotInRegion,
    ).toBeTruthy();
    expect(outcomes[2]!.ok).toBe(true);
    expect(await c.get('a')).toBe('1');
    expect(await c.get('b')).toBeUndefined();
    expect(await c.get('c')).toBe('4');
  });

  it('a request routed under an older epoch is refused before it is proposed', async () => {
    const c = await cluster(44);
    const current = c.leaderOf(1)!.region.epoch.version;
    const outcomes = await proposeTogether(c, [
      { writes: [put('a', '1')] },
      { writes: [put('b', '2')], epochVersion: current + 1 },
    ]);
    expect(outcomes[0]!.ok).toBe(true);
    expect(
      !outcomes[1]!.ok && 'regionError' in outcomes[1]! && outcomes[1].regionError.epochNotMatch,
    ).toBeTruthy();
    expect(await c.get('b')).toBeUndefined();
  });

  it('a compare-and-swap sees the writes before it in the same entry; a retry applies once', async () => {
    const c = await cluster(45);
    const outcomes = await proposeTogether(c, [
      { writes: [put('k', 'one')], requestId: 'r1' },
      {
        writes: [{ cas: { key: key('k'), previousValue: key('one'), value: key('two') } }],
        requestId: 'r2',
      },
      // A retry of r1 in the same entry: answered from r1's record, not applied again.
      { writes: [put('k', 'one')], requestId: 'r1' },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(outcomes[1]!.ok && outcomes[1]!.cas?.succeeded).toBe(true);
    expect(await c.get('k')).toBe('two');
  });

  it('an entry in the format before batching decodes to one request', () => {
    const data = atoll.store.RaftCommand.encode({
      regionId: 7,
      epoch: { confVer: 1, version: 2 },
      writes: [put('old', 'format')],
      requestId: key('legacy'),
      proposedAtMs: 5,
    }).finish();
    const cmd = decodeCommand(data);
    expect(cmd.requests).toHaveLength(1);
    expect(Buffer.from(cmd.requests[0]!.requestId!).toString()).toBe('legacy');
    expect(Buffer.from(cmd.requests[0]!.writes[0]!.put!.key!).toString()).toBe('old');
  });
});
