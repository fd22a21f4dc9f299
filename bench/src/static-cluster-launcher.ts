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
  type RegionInfo,
  SocketKvSender,
  staticLocator,
} from '@atoll/client';
import { evenRegions, type RegionMeta } from '@atoll/store';
import { AtollProcess, freePort } from '@atoll/store/testing';

/** A started static cluster: its stores, regions, a client, status and stop. */
/** What the bench reads of a store's /status. */
export interface StoreStatus {
  readonly regionCount: number;
  readonly leaderCount: number;
  readonly quiescentCount: number;
  /** Why hibernating regions were woken, counted since the store started. */
  readonly wakeCauses?: Record<string, number>;
}

export interface LaunchedCluster {
  /** The temp folder holding the cluster file and every store's data folder. */
  readonly dir: string;
  readonly stores: {
    id: number;
    process: AtollProcess;
    grpcPort: number;
    statusPort: number;
    /** Epoch ms at which stop() saw the process exit (aligns a --cpu-prof profile's end). */
    exitedAtMs?: number;
  }[];
  readonly regions: RegionMeta[];
  client(): AtollClient;
  status(storeId: number): Promise<StoreStatus>;
  stop(): Promise<void>;
}

/**
 * Launches tried before giving up when a port picked free was taken before a store bound it
 * (the cluster file names every port up front, so the race cannot be closed, only retried).
 */
const LAUNCH_ATTEMPTS_MAX = 3;

/** Options of launchStaticCluster. */
export interface StaticClusterOptions {
  stores: number;
  regions: number;
  tickMs?: number;
  /**
   * Start keys of the regions (the first must be empty), to place region boundaries where a
   * benchmark's keys fall; default: evenRegions() over `k000000`..`k999999`.
   */
  regionStarts?: readonly Uint8Array[];
  /** Flags for node itself in each store process (e.g. --cpu-prof); `{id}` = the store id. */
  nodeArgs?: readonly string[];
  /** More flags for `atoll store` (e.g. --no-wal). */
  storeArgs?: readonly string[];
  /**
   * A folder (e.g. on another disk) under which each store's write-ahead log goes (its
   * --wal-dir, in a fresh subfolder removed at stop); default: in the data folders.
   */
  walRoot?: string;
}

/**
 * Starts store processes with regions placed by hand and waits until each says it is ready;
 * starts over on fresh ports when one was taken meanwhile.
 */
export async function launchStaticCluster(opts: StaticClusterOptions): Promise<LaunchedCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(opts);
    } catch (e) {
      if (attempt >= LAUNCH_ATTEMPTS_MAX || !/EADDRINUSE/.test(String(e))) throw e;
    }
  }
}

async function launchOnce(opts: StaticClusterOptions): Promise<LaunchedCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-'));
  const walDir = opts.walRoot ? mkdtempSync(join(opts.walRoot, 'atoll-bench-wal-')) : undefined;
  const removeAll = () => {
    rmSync(dir, { recursive: true, force: true });
    if (walDir) rmSync(walDir, { recursive: true, force: true });
  };
  const ids = Array.from({ length: opts.stores }, (_, i) => i + 1);
  const ports = [];
  for (const id of ids)
    ports.push({ id, grpcPort: await freePort(), statusPort: await freePort() });
  const regions = opts.regionStarts
    ? placedRegions(opts.regionStarts, ids)
    : evenRegions(opts.regions, ids, 'k');
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
  const stores: LaunchedCluster['stores'] = ports.map((p) => ({
    ...p,
    process: new AtollProcess(
      `store-${p.id}`,
      [
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
        ...(opts.storeArgs ?? []),
        ...(walDir ? ['--wal-dir', join(walDir, `store-${p.id}`)] : []),
      ],
      opts.nodeArgs ? opts.nodeArgs.map((a) => a.replaceAll('{id}', String(p.id))) : undefined,
    ),
  }));
  try {
    await Promise.all(stores.map((s) => s.process.start('store ready', 600_000)));
  } catch (e) {
    // Stop the stores that did start: nothing may outlive a failed launch.
    await Promise.all(stores.map((s) => s.process.stop('SIGKILL')));
    removeAll();
    throw e;
  }
  const addresses = new Map(ports.map((p) => [p.id, `127.0.0.1:${p.grpcPort}`]));
  const infos: RegionInfo[] = regions.map((r) => ({
    id: r.id,
    startKey: Buffer.from(r.startKey),
    endKey: Buffer.from(r.endKey),
    epoch: r.epoch,
    peers: r.peers.map((p) => ({ id: p.id, storeId: p.storeId, learner: false })),
  }));
  return {
    dir,
    stores,
    regions,
    client: () =>
      createClient({
        locator: staticLocator(infos, addresses),
        sender: new SocketKvSender(),
        timeoutMs: 30_000,
      }),
    status: async (id) => {
      const s = stores.find((x) => x.id === id)!;
      return (await (await fetch(`http://127.0.0.1:${s.statusPort}/status`)).json()) as StoreStatus;
    },
    stop: async () => {
      // SIGTERM first (a graceful stop, and --cpu-prof profiles get written), then SIGKILL.
      await Promise.all(
        stores.map(async (s) => {
          const timer = setTimeout(() => void s.process.stop('SIGKILL'), 10_000);
          await s.process.stop('SIGTERM');
          s.exitedAtMs = Date.now();
          clearTimeout(timer);
        }),
      );
      removeAll();
    },
  };
}

/** Regions starting at the given keys (sorted, first empty), each with a peer on every store. */
export function placedRegions(
  starts: readonly Uint8Array[],
  storeIds: readonly number[],
): RegionMeta[] {
  return starts.map((startKey, i) => ({
    id: i + 1,
    startKey,
    endKey: starts[i + 1] ?? new Uint8Array(),
    epoch: { confVer: 1, version: 1 },
    peers: storeIds.map((s) => ({ id: (i + 1) * 1000 + s, storeId: s, isLearner: false })),
  }));
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
