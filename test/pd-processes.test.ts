/**
 * Three PD processes (`atoll pd`) over real gRPC and LMDB on loopback. A client streams
 * timestamp requests while the PD leader is killed with SIGKILL: every timestamp is strictly
 * above the one before across the failover, and service resumes within a bound (the gap is
 * printed). A store-less cluster answers isBootstrapped = false, bootstraps once, and
 * allocates ids that stay unique across a leader kill and the killed member's restart.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPdClientError, PdClient, type Timestamp } from '@atoll/pd-client';
import { AtollProcess, freePort, killAll } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.js';

/** Service must be back within this long after the leader dies (measured gap is printed). */
const FAILOVER_BOUND_MS = 10_000;

interface PdProcesses {
  readonly procs: Map<number, AtollProcess>;
  readonly endpoints: string[];
  status(id: number): Promise<{ serving: boolean; raft: { applied: number } }>;
  leader(): Promise<number>;
}

async function startPds(dir: string, name: string): Promise<PdProcesses> {
  const ids = [1, 2, 3];
  const ports = new Map<number, { grpc: number; status: number }>();
  for (const id of ids) ports.set(id, { grpc: await freePort(), status: await freePort() });
  const initial = ids.map((id) => `${id}=127.0.0.1:${ports.get(id)!.grpc}`).join(',');
  const procs = new Map(
    ids.map((id) => [
      id,
      new AtollProcess(`${name}-pd-${id}`, [
        'pd',
        '--id',
        String(id),
        '--initial-cluster',
        initial,
        '--initial-cluster-token',
        name,
        '--status',
        `127.0.0.1:${ports.get(id)!.status}`,
        '--data-dir',
        join(dir, `${name}-pd-${id}`),
        '--log-level',
        'info',
      ]),
    ]),
  );
  await Promise.all([...procs.values()].map((p) => p.start('pd ready')));
  const status = async (id: number) =>
    (await (await fetch(`http://127.0.0.1:${ports.get(id)!.status}/status`)).json()) as {
      serving: boolean;
      raft: { applied: number };
    };
  return {
    procs,
    endpoints: ids.map((id) => `127.0.0.1:${ports.get(id)!.grpc}`),
    status,
    async leader() {
      let leader = 0;
      await waitFor(
        async () => {
          for (const id of ids) {
            if (!procs.get(id)!.running) continue;
            if ((await status(id)).serving) leader = id;
          }
          return leader !== 0;
        },
        20_000,
        'a serving PD leader',
      );
      return leader;
    },
  };
}

const above = (a: Timestamp, b: Timestamp) =>
  a.physical > b.physical || (a.physical === b.physical && a.logical > b.logical);

describe('PD processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-pd-procs-'));
  afterAll(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('timestamps stay strictly increasing across a SIGKILL of the PD leader', async () => {
    const pds = await startPds(dir, 'tso');
    const victim = await pds.leader();
    const client = await PdClient.connect({ endpoints: pds.endpoints });
    const seen: { ts: Timestamp; at: number }[] = [];
    let retryable = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const ts = await client.getTimestamp();
          seen.push({ ts, at: performance.now() });
        } catch (e) {
          if (!isPdClientError(e) || !e.retryable || e.code === 'PD_CLIENT_ERR_TSO_OUT_OF_ORDER')
            throw e;
          retryable++;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await waitFor(() => seen.length >= 2_000, 10_000, '2,000 timestamps before the kill');

    await pds.procs.get(victim)!.stop('SIGKILL');
    const killedAt = performance.now();
    const atKill = seen.length;
    await waitFor(() => seen.length >= atKill + 2_000, 20_000, '2,000 timestamps after the kill');
    stop = true;
    await Promise.all(workers);

    for (let i = 1; i < seen.length; i++) {
      if (!above(seen[i]!.ts, seen[i - 1]!.ts)) {
        throw new Error(
          `timestamp ${i} is not above the one before: ${JSON.stringify(seen.slice(i - 1, i + 1))}`,
        );
      }
    }
    const firstAfter = seen.slice(atKill).find((s) => s.at > killedAt)!;
    const gapMs = firstAfter.at - killedAt;
    const newLeader = await pds.leader();
    console.log(
      `PD failover: leader ${victim} killed, member ${newLeader} took over; no timestamps for ${gapMs.toFixed(0)} ms; ` +
        `${seen.length} timestamps strictly increasing, ${retryable} retryable failures, ` +
        `${client.stats().tso.requests} TSO requests`,
    );
    expect(newLeader).not.toBe(victim);
    expect(gapMs).toBeLessThan(FAILOVER_BOUND_MS);

    await client.close();
    for (const p of pds.procs.values()) await p.stop('SIGTERM');
  }, 60_000);

  it('bootstraps once and keeps ids unique across a leader kill and restart', async () => {
    const pds = await startPds(dir, 'ids');
    const client = await PdClient.connect({ endpoints: pds.endpoints });
    expect(await client.isBootstrapped()).toBe(false);

    const ids = new Set<number>();
    const take = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const first = await client.allocId(3);
        for (const id of [first, first + 1, first + 2]) {
          expect(ids.has(id), `id ${id} handed out twice`).toBe(false);
          ids.add(id);
        }
      }
    };
    await take(50);
    const [storeId, regionId, peerId] = [...ids].slice(0, 3) as [number, number, number];
    const store = { id: storeId, address: '127.0.0.1:1', version: 'test' };
    const region = {
      id: regionId,
      startKey: new Uint8Array(),
      endKey: new Uint8Array(),
      epoch: { confVer: 1, version: 1 },
      peers: [{ id: peerId, storeId }],
    };
    await client.bootstrap(store, region);
    const again = await client.bootstrap(store, region).catch((e: unknown) => e);
    expect(isPdClientError(again, 'PD_ERR_ALREADY_BOOTSTRAPPED')).toBe(true);

    const victim = await pds.leader();
    const maxBefore = Math.max(...ids);
    await pds.procs.get(victim)!.stop('SIGKILL');
    await take(50);
    const after = [...ids].filter((id) => id > maxBefore);
    expect(after.length).toBe(150);
    expect(await client.isBootstrapped()).toBe(true);

    // The killed member comes back from its data folder and catches up as a follower.
    await pds.procs.get(victim)!.start('pd ready');
    const leader = await pds.leader();
    expect(leader).not.toBe(victim);
    const leaderApplied = (await pds.status(leader)).raft.applied;
    await waitFor(
      async () => (await pds.status(victim)).raft.applied >= leaderApplied,
      15_000,
      'the restarted member to catch up',
    );
    await take(10);
    expect(Number((await client.getRegionById(regionId))?.region.id)).toBe(regionId);

    // A second process on a member's data folder is refused with one clear line.
    const intruder = new AtollProcess('ids-intruder', [
      'pd',
      '--id',
      '1',
      '--listen',
      `127.0.0.1:${await freePort()}`,
      '--status',
      `127.0.0.1:${await freePort()}`,
      '--data-dir',
      join(dir, 'ids-pd-1'),
    ]);
    await expect(intruder.start('pd ready')).rejects.toThrow(/data folder .* is in use by process/);

    await client.close();
    for (const p of pds.procs.values()) await p.stop('SIGTERM');
  }, 60_000);
});
