/**
 * Store benchmark: raw put writes/s and latency for a 3-store cluster (real processes, gRPC,
 * LMDB with fsync) by region count and concurrency; and the CPU a store spends holding many
 * idle (hibernating) regions.
 *
 *   pnpm bench:store [--regions 1,16,256] [--concurrency 1,16,64,256] [--seconds 5]
 *                    [--value-bytes 128] [--idle-regions 10000] [--idle-seconds 10]
 */

import { performance } from 'node:perf_hooks';
import { cpuSeconds } from '@atoll/store/testing';
import { machineConditions, printConditions, printTable } from './conditions.js';
import { launchStaticCluster, until } from './static-cluster-launcher.js';

const USAGE = `Usage: pnpm bench:store [options]

Raw put writes/s and latency of 3 store processes (static regions, no PD) by region count
and concurrency, then the CPU of a store holding many idle regions.

Options:
  --regions <list>       region counts to sweep (default: 1,16,256)
  --concurrency <list>   concurrent puts to sweep (default: 1,16,64,256)
  --seconds <s>          seconds measured per row (default: 5)
  --value-bytes <n>      value size (default: 128)
  --idle-regions <n>     regions for the idle-CPU measurement, 0 to skip (default: 10000)
  --idle-seconds <s>     seconds the idle CPU is measured over (default: 10)
  --only <part>          run only "writes" or "idle"
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

const regionCounts = list(arg('regions', '1,16,256'));
const concurrencies = list(arg('concurrency', '1,16,64,256'));
const seconds = Number(arg('seconds', '5'));
const valueBytes = Number(arg('value-bytes', '128'));
const idleRegions = Number(arg('idle-regions', '10000'));
const idleSeconds = Number(arg('idle-seconds', '10'));
const KEY_SPACE = 1_000_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function writeSweep(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const regions of regionCounts) {
    const cluster = await launchStaticCluster({ stores: 3, regions });
    const client = cluster.client();
    try {
      await until(
        async () => {
          let leaders = 0;
          for (const s of cluster.stores) leaders += (await cluster.status(s.id)).leaderCount;
          return leaders === regions;
        },
        120_000,
        'leaders',
      );
      const value = Buffer.alloc(valueBytes, 0x61);
      let seq = 0;
      const nextKey = () => `k${String((seq++ * 7919) % KEY_SPACE).padStart(6, '0')}`;
      for (let i = 0; i < 200; i++) await client.put(nextKey(), value); // warm routes
      for (const conc of concurrencies) {
        const lat: number[] = [];
        let errors = 0;
        const cpu0 = cluster.stores.map((s) => cpuSeconds(s.process.pid!));
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: conc }, async () => {
            while (performance.now() - t0 < seconds * 1000) {
              const s = performance.now();
              try {
                await client.put(nextKey(), value);
                lat.push(performance.now() - s);
              } catch {
                errors++;
              }
            }
          }),
        );
        const elapsed = (performance.now() - t0) / 1000;
        const cpu = cluster.stores.map(
          (s, i) => ((cpuSeconds(s.process.pid!) - cpu0[i]!) / elapsed) * 100,
        );
        lat.sort((a, b) => a - b);
        rows.push({
          regions,
          concurrency: conc,
          'writes/s': Math.round(lat.length / elapsed),
          'p50 ms': percentile(lat, 0.5).toFixed(2),
          'p99 ms': percentile(lat, 0.99).toFixed(2),
          errors,
          'store CPU %': cpu.map((c) => c.toFixed(0)).join('/'),
        });
        console.error(
          `regions ${regions}, concurrency ${conc}: ${rows[rows.length - 1]!['writes/s']}/s`,
        );
      }
    } finally {
      await client.close();
      await cluster.stop();
    }
  }
  printTable(rows);
}

async function idleCpu(): Promise<void> {
  console.error(`starting 3 stores with ${idleRegions} regions each (bootstrap takes a while)...`);
  const cluster = await launchStaticCluster({ stores: 3, regions: idleRegions });
  try {
    // Wait until every region sleeps, or 99% do and have for 20 s: a few regions that keep
    // waking are reported, not waited for forever. Polled once a second: each /status lists
    // every region, which is work for the store.
    let quiescent: number[] = [];
    let mostlySince: number | undefined;
    const deadline = Date.now() + 900_000;
    for (;;) {
      const all = await Promise.all(cluster.stores.map((s) => cluster.status(s.id)));
      quiescent = all.map((st) => st.quiescentCount);
      const total = quiescent.reduce((a, b) => a + b, 0);
      if (total === all.reduce((a, st) => a + st.regionCount, 0)) break;
      if (total >= 0.99 * idleRegions * all.length) mostlySince ??= Date.now();
      else mostlySince = undefined;
      if (mostlySince !== undefined && Date.now() - mostlySince >= 20_000) break;
      if (Date.now() > deadline) throw new Error('regions did not hibernate within 15 minutes');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const wakes0 = await Promise.all(cluster.stores.map((s) => cluster.status(s.id)));
    const cpu0 = cluster.stores.map((s) => cpuSeconds(s.process.pid!));
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = cluster.stores.map((s) => cpuSeconds(s.process.pid!));
    const wakes1 = await Promise.all(cluster.stores.map((s) => cluster.status(s.id)));
    printTable(
      cluster.stores.map((s, i) => ({
        store: s.id,
        'idle regions': idleRegions,
        hibernating: quiescent[i] ?? 0,
        'CPU % (of one core)': (((cpu1[i]! - cpu0[i]!) / elapsed) * 100).toFixed(2),
        'over seconds': idleSeconds,
        'regions woken, by cause': wakeDelta(wakes0[i]?.wakeCauses, wakes1[i]?.wakeCauses),
      })),
    );
  } finally {
    await cluster.stop();
  }
}

/** The wake-ups counted between two /status reads, "cause: n" by decreasing count. */
function wakeDelta(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
): string {
  const rows = Object.entries(after ?? {})
    .map(([cause, n]) => [cause, n - (before?.[cause] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return rows.length === 0 ? 'none' : rows.map(([c, n]) => `${c}: ${n}`).join(', ');
}

async function main(): Promise<void> {
  printConditions('Store benchmark', {
    ...machineConditions(),
    cluster:
      '3 store processes on one machine, loopback gRPC, LMDB with fsync per batch, 3 replicas',
    client: 'one process, @atoll/client raw put (one call per write) over the batched Kv stream',
    keys: `16-byte keys spread over ${KEY_SPACE.toLocaleString()} keys`,
    values: `${valueBytes} bytes`,
    durationPerRow: `${seconds} s`,
    regions: regionCounts.join(', '),
    concurrency: concurrencies.join(', '),
  });
  const only = arg('only', '');
  if (only !== 'idle') await writeSweep();
  if (idleRegions > 0 && only !== 'writes') {
    printConditions('Idle regions', {
      regionsPerStore: idleRegions,
      hibernation: 'on (default)',
      measuredFor: `${idleSeconds} s`,
    });
    await idleCpu();
  }
}

await main();
