/**
 * A PD-run cluster of real processes (1 PD, stores over gRPC and LMDB): stores started one
 * by one from empty grow region 1 to 3 replicas; concurrent writes split regions repeatedly
 * while every key stays readable through PD's routing and regions stay contiguous; a fourth
 * store receives regions and leaders; a killed store has its replicas rebuilt elsewhere, and
 * when it comes back on its old data its stale peers are collected; no acknowledged write is
 * lost.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, isAtollError } from '@atoll/client';
import { PdClient } from '@atoll/pd-client';
import { AtollProcess, freePort, killAll } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.js';

describe('PD-run cluster of processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-pdc-'));
  afterAll(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bootstraps, grows, splits, balances and repairs', async () => {
    const pdPort = await freePort();
    const pdAddr = `127.0.0.1:${pdPort}`;
    const config = join(dir, 'pd.json');
    writeFileSync(
      config,
      JSON.stringify({
        pdConfig: {
          regionMaxKeys: 400,
          maxStoreDownTimeMs: 4_000,
          storeDisconnectMs: 2_000,
          balanceWarmupMs: 2_000,
        },
      }),
    );
    // Each phase's duration is printed: the test's budget is mostly waiting on PD.
    let phaseStart = Date.now();
    const phaseDone = (name: string) => {
      console.log(`${name}: ${((Date.now() - phaseStart) / 1000).toFixed(1)} s`);
      phaseStart = Date.now();
    };
    const pdProc = new AtollProcess('pd', [
      'pd',
      '--id',
      '1',
      '--listen',
      pdAddr,
      '--status',
      `127.0.0.1:${await freePort()}`,
      '--data-dir',
      join(dir, 'pd'),
      '--config',
      config,
      '--tick-ms',
      '20',
    ]);
    await pdProc.start('pd ready');
    const stores: AtollProcess[] = [];
    const statusPorts = new Map<number, number>();
    const startStore = async (i: number) => {
      const statusPort = await freePort();
      const p = new AtollProcess(`store-${i}`, [
        'store',
        '--pd',
        pdAddr,
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--status',
        `127.0.0.1:${statusPort}`,
        '--data-dir',
        join(dir, `store-${i}`),
        '--tick-ms',
        '20',
      ]);
      const ready = await p.start('store ready');
      stores.push(p);
      statusPorts.set(Number(ready.storeId), statusPort);
      return Number(ready.storeId);
    };
    const pd = await PdClient.connect({ endpoints: [pdAddr] });
    const regions = async () => pd.scanRegions(new Uint8Array(), new Uint8Array(), 10_000);
    const voterStores = (r: Awaited<ReturnType<typeof regions>>[number]) =>
      (r.region.peers ?? []).filter((p) => p.role !== 1).map((p) => Number(p.storeId));
    // What a failed wait prints: every region's voters and leader, and the PD log's tail.
    const clusterView = async () => {
      const lines = (await regions()).map(
        (r) =>
          `region ${r.region.id} voters ${voterStores(r).join(',')} leader store ${r.leader?.storeId}` +
          ` peers ${(r.region.peers ?? []).map((p) => `${p.id}@${p.storeId}${p.role === 1 ? 'L' : ''}`).join(' ')}`,
      );
      return [...lines, '-- pd log --', ...pdProc.lines.slice(-40)].join('\n');
    };
    const contiguous = (list: Awaited<ReturnType<typeof regions>>) => {
      if (list.length === 0 || (list[0]!.region.startKey?.length ?? 0) !== 0) return false;
      if ((list[list.length - 1]!.region.endKey?.length ?? 0) !== 0) return false;
      return list.every(
        (x, i) => i === 0 || Buffer.compare(list[i - 1]!.region.endKey!, x.region.startKey!) === 0,
      );
    };

    const ids = [await startStore(1)];
    const client = await connect({ pd: [pdAddr], timeoutMs: 30_000 });
    await client.put('first', 'one store');
    ids.push(await startStore(2));
    ids.push(await startStore(3));
    await waitFor(
      async () => {
        const list = await regions();
        return list.length === 1 && voterStores(list[0]!).sort().join() === [...ids].sort().join();
      },
      60_000,
      'region 1 on 3 replicas on 3 stores',
    );
    phaseDone('3 stores, region 1 on 3 replicas');

    // Concurrent writes until regions have split several times.
    const acked = new Map<string, string>();
    let n = 0;
    let stop = false;
    let sawGap = false;
    const writers = Array.from({ length: 16 }, async (_, w) => {
      while (!stop) {
        const key = `user/${String((n++ * 7919) % 100_000).padStart(5, '0')}/${w}`;
        const value = `v${n}`;
        try {
          await client.put(key, value);
          acked.set(key, value);
        } catch (e) {
          if (
            !isAtollError(e, 'CLIENT_ERR_AMBIGUOUS_RESULT') &&
            !isAtollError(e, 'CLIENT_ERR_TIMEOUT')
          )
            throw e;
        }
      }
    });
    await waitFor(
      async () => {
        const list = await regions();
        if (!contiguous(list)) sawGap = true;
        return list.length >= 5 && acked.size >= 2_500;
      },
      120_000,
      'at least 5 regions',
    );
    stop = true;
    await Promise.all(writers);
    expect(sawGap).toBe(false);
    expect(contiguous(await regions())).toBe(true);
    phaseDone(`writes split into ${(await regions()).length} regions`);

    // A fourth store joins and gets its share.
    const fourth = await startStore(4);
    ids.push(fourth);
    await waitFor(
      async () => {
        const list = await regions();
        const onFourth = list.filter((r) => voterStores(r).includes(fourth)).length;
        const leading = list.filter((r) => Number(r.leader?.storeId) === fourth).length;
        return (
          onFourth >= Math.floor((list.length * 3) / 4) - 2 &&
          leading >= Math.floor(list.length / 4) - 1
        );
      },
      120_000,
      'store 4 to receive regions and leaders',
      clusterView,
    );
    phaseDone('store 4 balanced in');

    // One store dies for good: its replicas are rebuilt on the others.
    const victim = ids[1]!;
    await stores[1]!.stop('SIGKILL');
    await waitFor(
      async () => {
        const list = await regions();
        return list.every((r) => voterStores(r).length === 3 && !voterStores(r).includes(victim));
      },
      120_000,
      'every region back to 3 replicas without the dead store',
      clusterView,
    );
    phaseDone('dead store repaired');

    // PD says so on the wire (what `atoll ctl stores` shows).
    const { health } = await pd.getAllStores(false);
    expect(health.get(victim)).toBe('down');
    expect(ids.filter((id) => id !== victim).map((id) => health.get(id))).toEqual(
      ids.filter((id) => id !== victim).map(() => 'up'),
    );

    // The dead store comes back on its old data: its peers were removed meanwhile, so each
    // must be collected as stale (not campaign forever), and PD sees the store up again.
    expect(await startStore(2)).toBe(victim);
    const peersOnVictim = async () => {
      const expected = new Map<number, number>();
      for (const r of await regions())
        for (const p of r.region.peers ?? [])
          if (Number(p.storeId) === victim) expected.set(Number(r.region.id), Number(p.id));
      return expected;
    };
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${statusPorts.get(victim)}/status`);
        const status = (await res.json()) as { regions: { regionId: number; peerId: number }[] };
        const expected = await peersOnVictim();
        return status.regions.every((r) => expected.get(r.regionId) === r.peerId);
      },
      60_000,
      'the returned store to drop every stale peer',
    );
    phaseDone('stale peers collected');
    await waitFor(
      async () => (await pd.getAllStores(false)).health.get(victim) === 'up',
      30_000,
      'PD to see the returned store up',
    );

    for (const [k, v] of acked) expect((await client.get(k))?.toString(), k).toBe(v);
    expect((await client.get('first'))?.toString()).toBe('one store');
    console.log(`acknowledged ${acked.size} writes over ${(await regions()).length} regions`);
    await client.close();
    await pd.close();
  }, 400_000);
});
