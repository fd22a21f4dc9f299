/**
 * Starts a PD-run cluster as real processes for benchmarks: one `atoll pd` and several
 * `atoll store` processes over loopback gRPC, data in a temp folder, free ports, cleanup on
 * stop. Pre-splits regions with `atoll ctl split`, as an operator would. Not a test fixture
 * (no assertions) and not a multi-member PD: the PD's own replication is not what is measured.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PdConfigInput } from '@atoll/pd';
import { PdClient, type RegionAndLeader } from '@atoll/pd-client';
import { AtollProcess, cliPath, freePort, killAll } from '@atoll/store/testing';

const run = promisify(execFile);

/** Concurrent `atoll ctl split` processes: each is a Node start-up (~0.6 s of CPU). */
const SPLIT_CONCURRENCY = 3;
/**
 * Attempts per split key: a split right after its parent's may meet PD's not yet updated
 * view of the region (stale epoch) or a new region without a leader yet; both pass in
 * a second or two.
 */
const SPLIT_ATTEMPTS = 40;
/** Pause between attempts at one split. */
const SPLIT_RETRY_MS = 250;
/** A process that ignores SIGTERM this long gets SIGKILL. */
const STOP_GRACE_MS = 10_000;
/** Regions scanned at most at once (the bench's clusters are far smaller). */
export const SCAN_LIMIT = 100_000;

/** One started process and its ports. */
export interface LaunchedProcess {
  readonly process: AtollProcess;
  readonly address: string;
  readonly statusPort: number;
}

/** A started store: its id (assigned by PD) and process. */
export interface LaunchedStore extends LaunchedProcess {
  readonly id: number;
}

/** What the bench reads of the PD's /status. */
export interface PdStatus {
  readonly regions?: number;
  readonly operators?: { readonly running: number };
}

/** A started PD cluster. */
export interface PdCluster {
  /** The temp folder holding the PD config file and every data folder. */
  readonly dir: string;
  readonly pd: LaunchedProcess;
  readonly stores: readonly LaunchedStore[];
  /** A PD client for region scans (the bench's own; closed by stop()). */
  readonly pdClient: PdClient;
  /** Every region with its leader as PD last heard, in key order. */
  regions(): Promise<RegionAndLeader[]>;
  /** The PD's /status. */
  pdStatus(): Promise<PdStatus>;
  /** Splits at every key (sorted, none empty) with `atoll ctl split`. */
  splitAt(keys: readonly string[]): Promise<void>;
  /** Stops every process that still runs and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** Store ids of a region's voters (role 1 is a learner). */
export function voterStores(r: RegionAndLeader): number[] {
  return (r.region.peers ?? []).filter((p) => p.role !== 1).map((p) => Number(p.storeId));
}

/** How many learners a region has. */
export function learnerCount(r: RegionAndLeader): number {
  return (r.region.peers ?? []).filter((p) => p.role === 1).length;
}

/**
 * Starts the PD, then one store (which bootstraps the cluster), then the others at once.
 * Whatever started is stopped again if a later step fails.
 */
export async function launchPdCluster(opts: {
  stores: number;
  pdConfig: PdConfigInput;
}): Promise<PdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-repair-bench-'));
  const started: AtollProcess[] = [];
  let pdClient: PdClient | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await pdClient?.close().catch(() => undefined);
    await Promise.all(started.map(stopGracefully));
    killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pd = await startPd(dir, opts.pdConfig);
    started.push(pd.process);
    const startStore = async (i: number): Promise<LaunchedStore> => {
      const s = await newStore(dir, pd.address, i);
      started.push(s.process);
      const ready = await s.process.start('store ready', 60_000);
      return { ...s, id: Number(ready.storeId) };
    };
    const first = await startStore(1);
    const rest = await Promise.all(
      Array.from({ length: opts.stores - 1 }, (_, i) => startStore(i + 2)),
    );
    pdClient = await PdClient.connect({ endpoints: [pd.address], timeoutMs: 30_000 });
    const client = pdClient;
    return {
      dir,
      pd,
      stores: [first, ...rest],
      pdClient: client,
      regions: () => client.scanRegions(new Uint8Array(), new Uint8Array(), SCAN_LIMIT),
      pdStatus: async () =>
        (await (await fetch(`http://127.0.0.1:${pd.statusPort}/status`)).json()) as PdStatus,
      splitAt: (keys) => splitAll(pd.address, client, keys),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function startPd(dir: string, pdConfig: PdConfigInput): Promise<LaunchedProcess> {
  const address = `127.0.0.1:${await freePort()}`;
  const statusPort = await freePort();
  const config = join(dir, 'pd.json');
  writeFileSync(config, JSON.stringify({ pdConfig }));
  const process = new AtollProcess('pd', [
    'pd',
    '--id',
    '1',
    '--listen',
    address,
    '--status',
    `127.0.0.1:${statusPort}`,
    '--data-dir',
    join(dir, 'pd'),
    '--config',
    config,
    '--log-level',
    'info',
  ]);
  await process.start('pd ready');
  return { process, address, statusPort };
}

async function newStore(dir: string, pdAddress: string, i: number): Promise<LaunchedProcess> {
  const address = `127.0.0.1:${await freePort()}`;
  const statusPort = await freePort();
  const process = new AtollProcess(`store-${i}`, [
    'store',
    '--pd',
    pdAddress,
    '--listen',
    address,
    '--status',
    `127.0.0.1:${statusPort}`,
    '--data-dir',
    join(dir, `store-${i}`),
    '--log-level',
    'info',
  ]);
  return { process, address, statusPort };
}

async function stopGracefully(p: AtollProcess): Promise<void> {
  const timer = setTimeout(() => void p.stop('SIGKILL'), STOP_GRACE_MS);
  await p.stop('SIGTERM');
  clearTimeout(timer);
}

/**
 * Splits by bisection: the middle key first, then each half's middle in parallel (the two
 * halves are different regions by then), at most SPLIT_CONCURRENCY processes at a time.
 */
async function splitAll(pdAddress: string, pd: PdClient, keys: readonly string[]): Promise<void> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async (key: string) => {
    while (running >= SPLIT_CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      await splitOne(pdAddress, pd, key);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  const bisect = async (lo: number, hi: number): Promise<void> => {
    if (lo >= hi) return;
    const mid = Math.floor((lo + hi) / 2);
    await limited(keys[mid]!);
    await Promise.all([bisect(lo, mid), bisect(mid + 1, hi)]);
  };
  await bisect(0, keys.length);
}

/** One split, retried; done once PD shows a region starting at the key (a retry after a
 * split that did happen but answered late must not split again). */
async function splitOne(pdAddress: string, pd: PdClient, key: string): Promise<void> {
  const splitKey = Buffer.from(key);
  let last = '';
  for (let attempt = 0; attempt < SPLIT_ATTEMPTS; attempt++) {
    try {
      if (attempt > 0) {
        const { region } = await pd.getRegion(splitKey);
        if (Buffer.compare(Buffer.from(region.startKey ?? []), splitKey) === 0) return;
      }
      await run(process.execPath, [cliPath, 'ctl', 'split', key, '--pd', pdAddress], {
        timeout: 30_000,
      });
      return;
    } catch (e) {
      last = String((e as { stderr?: string }).stderr || (e as Error).message).trim();
      await new Promise((r) => setTimeout(r, SPLIT_RETRY_MS));
    }
  }
  throw new Error(`atoll ctl split ${key} failed ${SPLIT_ATTEMPTS} times; last: ${last}`);
}
