/**
 * Placement-driver benchmark, two parts:
 * 1. TSO: timestamps/s one PdClient gets from a 3-member PD (real processes, Raft over
 *    LMDB) at several concurrencies; the client batches concurrent requests into one
 *    in-flight RPC, so the RPC count is printed beside the timestamps. Every loop checks
 *    its timestamps strictly increase.
 * 2. Region heartbeats: how many heartbeats/s the PD core absorbs (in one process, memory
 *    metadata storage, scheduling step included) for clusters of simulated regions growing
 *    toward a million, to show the cost per heartbeat does not grow with the region count.
 *
 *   pnpm bench:pd [--seconds 5] [--concurrency 1,16,256,4096] [--regions 10000,100000,1000000]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PlacementDriver, type RegionHeartbeat, type RegionMeta, type StoreMeta } from '@atoll/pd';
import { ManualClock, MemoryMetaStorage } from '@atoll/pd/testing';
import { PdClient } from '@atoll/pd-client';
import { AtollProcess, cpuSeconds, freePort, killAll } from '@atoll/store/testing';
import { machineConditions, printConditions, printTable } from './conditions.js';

const USAGE = `Usage: pnpm bench:pd [options]

Timestamps/s from a 3-member PD to one client, and region heartbeats/s the PD core absorbs.

Options:
  --seconds <s>          seconds measured per row (default: 5)
  --concurrency <list>   concurrent timestamp requests to sweep (default: 1,16,256,4096)
  --regions <list>       simulated region counts for the heartbeat part (default:
                         10000,100000,1000000)
  --only <part>          run only "tso" or "heartbeats"
  -h, --help             this text`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}
const list = (s: string) => s.split(',').map(Number);
const seconds = Number(arg('seconds', '5'));
const concurrencies = list(arg('concurrency', '1,16,256,4096'));
const regionCounts = list(arg('regions', '10000,100000,1000000'));
const only = arg('only', '');

async function tsoPart(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-pd-bench-'));
  const ids = [1, 2, 3];
  const ports = new Map<number, { grpc: number; status: number }>();
  for (const id of ids) ports.set(id, { grpc: await freePort(), status: await freePort() });
  const initial = ids.map((id) => `${id}=127.0.0.1:${ports.get(id)!.grpc}`).join(',');
  const procs = ids.map(
    (id) =>
      new AtollProcess(`pd-${id}`, [
        'pd',
        '--id',
        String(id),
        '--initial-cluster',
        initial,
        '--initial-cluster-token',
        'bench',
        '--status',
        `127.0.0.1:${ports.get(id)!.status}`,
        '--data-dir',
        join(dir, `pd-${id}`),
        '--log-level',
        'info',
      ]),
  );
  try {
    await Promise.all(procs.map((p) => p.start('pd ready')));
    const client = await PdClient.connect({
      endpoints: ids.map((id) => `127.0.0.1:${ports.get(id)!.grpc}`),
    });
    await client.getTimestamp(); // a leader is serving
    const rows: Record<string, string | number>[] = [];
    for (const conc of concurrencies) {
      const before = client.stats().tso;
      const cpu0 = procs.map((p) => cpuSeconds(p.pid!));
      let got = 0;
      let disorder = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: conc }, async () => {
          let last = -1n;
          while (performance.now() - t0 < seconds * 1000) {
            const ts = await client.getTimestamp();
            const v = (BigInt(ts.physical) << 18n) | BigInt(ts.logical);
            if (v <= last) disorder++;
            last = v;
            got++;
          }
        }),
      );
      const elapsed = (performance.now() - t0) / 1000;
      const after = client.stats().tso;
      const rpcs = after.requests - before.requests;
      rows.push({
        concurrency: conc,
        'timestamps/s': Math.round(got / elapsed),
        'RPCs/s': Math.round(rpcs / elapsed),
        'timestamps per RPC': rpcs > 0 ? (got / rpcs).toFixed(1) : '-',
        'not increasing': disorder,
        'PD CPU %': procs
          .map((p, i) => Math.round(((cpuSeconds(p.pid!) - cpu0[i]!) / elapsed) * 100))
          .join('/'),
      });
    }
    await client.close();
    printTable(rows);
  } finally {
    for (const p of procs) await p.stop('SIGTERM');
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const encoder = new TextEncoder();
/** Region i's start key: fixed width, so keys sort as the numbers do. */
const keyOf = (i: number) =>
  i === 0 ? new Uint8Array() : encoder.encode(`r${String(i).padStart(8, '0')}`);

function storeMeta(id: number): StoreMeta {
  return {
    id,
    address: `10.0.0.${id}:20160`,
    statusAddress: `10.0.0.${id}:20180`,
    state: 'up',
    version: 'bench',
  };
}

function regionMeta(i: number, n: number): RegionMeta {
  const id = i + 1;
  return {
    id,
    startKey: keyOf(i),
    endKey: i + 1 === n ? new Uint8Array() : keyOf(i + 1),
    epoch: { confVer: 3, version: 2 },
    peers: [1, 2, 3].map((s) => ({ id: id * 10 + s, storeId: s, isLearner: false })),
  };
}

function heartbeatOf(region: RegionMeta, leaderIndex: number): RegionHeartbeat {
  return {
    region,
    leader: region.peers[leaderIndex]!,
    approximateSize: 32 * 1024 * 1024,
    approximateKeys: 100_000,
    bytesWritten: 4096,
    keysWritten: 32,
    intervalMs: 60_000,
  };
}

async function heartbeatPart(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const n of regionCounts) {
    const clock = new ManualClock();
    const pd = new PlacementDriver({
      clusterId: 1,
      storage: new MemoryMetaStorage(),
      clock,
      // The regions below are created by reporting them one by one.
      config: { splitReportGraceMs: 0 },
    });
    await pd.becomeLeader();
    await pd.bootstrap(storeMeta(1), {
      id: 1,
      startKey: new Uint8Array(),
      endKey: new Uint8Array(),
      epoch: { confVer: 1, version: 1 },
      peers: [{ id: 11, storeId: 1, isLearner: false }],
    });
    await pd.putStore(storeMeta(2));
    await pd.putStore(storeMeta(3));
    // Reserve the ids the simulated regions and peers use (the PD hands out at most 10,000 a call).
    for (let left = n * 10 + 100; left > 0; left -= 10_000)
      await pd.allocId(Math.min(10_000, left));
    const regions = Array.from({ length: n }, (_, i) => regionMeta(i, n));
    // Created in key order (the first region last): each new region lands at the end of the
    // sorted index, so loading stays linear.
    const tLoad = performance.now();
    for (let i = 1; i < n; i++) await pd.regionHeartbeat(heartbeatOf(regions[i]!, i % 3));
    await pd.regionHeartbeat(heartbeatOf(regions[0]!, 0));
    const loadS = (performance.now() - tLoad) / 1000;
    for (const s of [1, 2, 3]) {
      pd.storeHeartbeat({ storeId: s, capacity: 2 ** 40, available: 2 ** 39, isBusy: false });
    }
    const memBefore = process.memoryUsage().heapUsed;
    let beats = 0;
    let i = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      // Steady state: every region reports again with the same shape (statistics only).
      for (let k = 0; k < 1000; k++) {
        await pd.regionHeartbeat(heartbeatOf(regions[i]!, i % 3));
        i = (i + 1) % n;
        beats++;
      }
      clock.advance(1);
    }
    const elapsed = (performance.now() - t0) / 1000;
    rows.push({
      regions: n.toLocaleString('en-US'),
      'heartbeats/s': Math.round(beats / elapsed).toLocaleString('en-US'),
      'µs per heartbeat': ((elapsed / beats) * 1e6).toFixed(1),
      'load (first reports) s': loadS.toFixed(1),
      'heap MiB': Math.round(Math.max(memBefore, process.memoryUsage().heapUsed) / 2 ** 20),
    });
    await pd.resign();
  }
  printTable(rows);
}

async function main(): Promise<void> {
  printConditions('PD benchmark', {
    ...machineConditions(),
    tso: '3 PD processes on one machine, loopback gRPC, Raft over LMDB with fsync; one PdClient',
    heartbeats:
      'PD core in this process, memory metadata storage, 3 stores, scheduling step per heartbeat',
    secondsPerRow: seconds,
    concurrency: concurrencies.join(', '),
    regions: regionCounts.join(', '),
  });
  if (only !== 'heartbeats') await tsoPart();
  if (only !== 'tso') await heartbeatPart();
}

await main();
