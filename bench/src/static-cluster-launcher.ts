/**
 * Starts a store cluster as real processes (the `atoll store` command) with statically
 * placed regions, for benchmarks: temp folder, free loopback ports, cleanup on stop.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AtollClient,
  createClient,
  GrpcKvSender,
  type RegionInfo,
  staticLocator,
} from '@atoll/client';
import { evenRegions, type RegionMeta } from '@atoll/store';
import { AtollProcess, freePort } from '@atoll/store/testing';

export interface LaunchedCluster {
  readonly stores: { id: number; process: AtollProcess; grpcPort: number; statusPort: number }[];
  readonly regions: RegionMeta[];
  client(): AtollClient;
  status(
    storeId: number,
  ): Promise<{ regionCount: number; leaderCount: number; quiescentCount: number }>;
  stop(): Promise<void>;
}

export async function launchStaticCluster(opts: {
  stores: number;
  regions: number;
  tickMs?: number;
}): Promise<LaunchedCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-'));
  const ids = Array.from({ length: opts.stores }, (_, i) => i + 1);
  const ports = [];
  for (const id of ids)
    ports.push({ id, grpcPort: await freePort(), statusPort: await freePort() });
  const regions = evenRegions(opts.regions, ids, 'k');
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const clusterFile = join(dir, 'cluster.json');
  writeFileSync(
    clusterFile,
    JSON.stringify({
      clusterId: 1,
      stores: ports.map((p) => ({ id: p.id, address: `127.0.0.1:${p.grpcPort}` })),
      regions: regions.map((r) => ({
        id: r.id,
        startKey: hex(r.startKey),
        endKey: hex(r.endKey),
        peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId })),
      })),
    }),
  );
  const stores = ports.map((p) => ({
    ...p,
    process: new AtollProcess(`store-${p.id}`, [
      'store',
      '--store-id',
      String(p.id),
      '--cluster',
      clusterFile,
      '--listen',
      `127.0.0.1:${p.grpcPort}`,
      '--status',
      `127.0.0.1:${p.statusPort}`,
      '--data-dir',
      join(dir, `store-${p.id}`),
      '--log-level',
      'info',
      ...(opts.tickMs ? ['--tick-ms', String(opts.tickMs)] : []),
    ]),
  }));
  await Promise.all(stores.map((s) => s.process.start('store ready', 600_000)));
  const addresses = new Map(ports.map((p) => [p.id, `127.0.0.1:${p.grpcPort}`]));
  const infos: RegionInfo[] = regions.map((r) => ({
    id: r.id,
    startKey: Buffer.from(r.startKey),
    endKey: Buffer.from(r.endKey),
    epoch: r.epoch,
    peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: false })),
  }));
  return {
    stores,
    regions,
    client: () =>
      createClient({
        locator: staticLocator(infos, addresses),
        sender: new GrpcKvSender(),
        timeoutMs: 30_000,
      }),
    status: async (id) => {
      const s = stores.find((x) => x.id === id)!;
      return (await (await fetch(`http://127.0.0.1:${s.statusPort}/status`)).json()) as {
        regionCount: number;
        leaderCount: number;
        quiescentCount: number;
      };
    },
    stop: async () => {
      // SIGTERM first (a graceful stop, and --cpu-prof profiles get written), then SIGKILL.
      await Promise.all(
        stores.map(async (s) => {
          const timer = setTimeout(() => void s.process.stop('SIGKILL'), 10_000);
          await s.process.stop('SIGTERM');
          clearTimeout(timer);
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `done` or the deadline. */
export async function until(
  done: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
