/**
 * Replica repair benchmark (issue #5, "Measured, not asserted"): how long a PD-run cluster
 * takes from a store's death to every region being back at full strength. Per region count:
 * 1 PD and 4 stores as real processes (loopback gRPC, LMDB with fsync), pre-split into N
 * regions with `atoll ctl split`, a few keys written per region, placement left to settle;
 * then SIGKILL the store holding the most replicas and measure
 *   (a) death -> PD acts on it (its first replica-repair operator, from the PD's log),
 *   (b) death -> every region has `maxReplicas` voters, no learner, none on the dead store,
 *   (c) = (b) - (a), and regions repaired per second over (c);
 * and afterwards read every key back through the client.
 * Not a throughput benchmark: no client load runs during the repair.
 *
 *   pnpm bench:repair [--regions 1,16,64,256] [--max-store-down-ms 10000] [--json] ...
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AtollClient, connect } from '@atoll/client';
import { PD_DEFAULTS, type PdConfigInput } from '@atoll/pd';
import { SCHEDULE_INTERVAL_MS } from '@atoll/pd/server';
import type { RegionAndLeader } from '@atoll/pd-client';
import { PD_WORKER_DEFAULTS, STORE_DEFAULTS } from '@atoll/store';
import { Command } from 'commander';
import {
  fileSystemOf,
  loadAverage,
  machineConditions,
  osRelease,
  printConditions,
  printTable,
} from './conditions.js';
import { intList, positiveInt } from './options.js';
import {
  type LaunchedStore,
  launchPdCluster,
  learnerCount,
  type PdCluster,
  voterStores,
} from './pd-cluster-launcher.js';
import { RepairOperatorLog, type RepairOperatorSummary } from './repair-operator-log.js';
import { until } from './static-cluster-launcher.js';

/** Stores: one more than the replicas, so every lost replica has somewhere to go. */
const STORES = 4;
/** How often the bench asks PD for every region during the repair: the figures' resolution. */
const POLL_MS = 200;
/** Placement counts as settled after this long with no operator running. */
const SETTLE_QUIET_MS = 5_000;
/** Key-value pairs per batchPut / batchGet call when loading and verifying. */
const BATCH_KEYS = 500;

interface Flags {
  regions: number[];
  keysPerRegion: number;
  valueBytes: number;
  maxStoreDownMs: number;
  storeDisconnectMs?: number;
  repairLimit: number;
  storeOperatorLimit: number;
  settleTimeoutS: number;
  repairTimeoutS: number;
  json?: boolean;
}

function parseFlags(): Flags {
  const program = new Command('bench:repair')
    .description(
      'replica repair: time from a store death to every region back at full strength, for N regions (1 PD + 4 store processes); every condition printed',
    )
    .option('--regions <list>', 'region counts, one fresh cluster each', intList, [1, 16, 64, 256])
    .option('--keys-per-region <n>', 'keys written into every region', positiveInt, 10)
    .option('--value-bytes <n>', 'bytes per value', positiveInt, 100)
    .option(
      '--max-store-down-ms <n>',
      `PD maxStoreDownTimeMs: silence before a store is down (production default ${PD_DEFAULTS.maxStoreDownTimeMs})`,
      positiveInt,
      10_000,
    )
    .option(
      '--store-disconnect-ms <n>',
      `PD storeDisconnectMs (default: the smaller of ${PD_DEFAULTS.storeDisconnectMs} and --max-store-down-ms, as \`atoll pd\` does)`,
      positiveInt,
    )
    .option(
      '--repair-limit <n>',
      'PD schedulerLimits["replica-repair"]: repair operators running at once',
      positiveInt,
      PD_DEFAULTS.schedulerLimits['replica-repair'],
    )
    .option(
      '--store-operator-limit <n>',
      'PD storeOperatorLimit: operators adding or removing a peer on one store at once',
      positiveInt,
      PD_DEFAULTS.storeOperatorLimit,
    )
    .option(
      '--settle-timeout-s <s>',
      'most seconds to wait for placement to settle',
      positiveInt,
      900,
    )
    .option(
      '--repair-timeout-s <s>',
      'most seconds to wait for the repair after the store is declared down',
      positiveInt,
      600,
    )
    .option('--json', 'print conditions and rows as JSON instead of markdown')
    .showHelpAfterError();
  program.parse(process.argv);
  return program.opts<Flags>();
}

/** The PD settings every cluster of the run gets. */
function pdConfigOf(f: Flags): PdConfigInput {
  return {
    maxStoreDownTimeMs: f.maxStoreDownMs,
    storeDisconnectMs:
      f.storeDisconnectMs ?? Math.min(PD_DEFAULTS.storeDisconnectMs, f.maxStoreDownMs),
    schedulerLimits: { 'replica-repair': f.repairLimit },
    storeOperatorLimit: f.storeOperatorLimit,
  };
}

function conditionsOf(f: Flags): Record<string, string | number> {
  const pd = { ...PD_DEFAULTS, ...pdConfigOf(f) };
  const tick = STORE_DEFAULTS.tickMs;
  return {
    ...machineConditions(),
    os: osRelease(),
    loadAverageAtStart: loadAverage(),
    dataFolder: `${tmpdir()} (${fileSystemOf(tmpdir())})`,
    cluster: `1 PD process, ${STORES} store processes, one machine, loopback gRPC, LMDB with fsync`,
    pdMembers: 1,
    stores: STORES,
    replicas: pd.maxReplicas,
    regions: f.regions.join(', '),
    keysPerRegion: f.keysPerRegion,
    valueBytes: f.valueBytes,
    maxStoreDownTimeMs: pd.maxStoreDownTimeMs,
    storeDisconnectMs: pd.storeDisconnectMs,
    'schedulerLimits.replica-repair': f.repairLimit,
    storeOperatorLimit: f.storeOperatorLimit,
    peerOperatorTimeoutMs: pd.peerOperatorTimeoutMs,
    patrolRegionsPerPass: pd.patrolRegionsPerPass,
    pdSchedulingPassMs: SCHEDULE_INTERVAL_MS,
    storeTickMs: tick,
    storeHeartbeatToPdMs: PD_WORKER_DEFAULTS.storeHeartbeatTicks * tick,
    regionHeartbeatMs: `${PD_WORKER_DEFAULTS.regionHeartbeatTicks * tick} (hibernating: ${PD_WORKER_DEFAULTS.quiescentRegionHeartbeatTicks * tick})`,
    hibernateAfterIdleMs: STORE_DEFAULTS.quiesceAfterTicks * tick,
    peerStoreDownAfterMs: STORE_DEFAULTS.storeDownTicks * tick,
    electionTimeoutMs: `${(STORE_DEFAULTS.raft.electionTicks ?? 0) * tick}-${2 * (STORE_DEFAULTS.raft.electionTicks ?? 0) * tick}`,
    victim: 'the store with the most voters (ties: higher id), SIGKILL, never restarted',
    placementBeforeKill: `PD's own (balance schedulers), settled: no operator running for ${SETTLE_QUIET_MS / 1000} s`,
    measuredBy: `PD's region view polled every ${POLL_MS} ms; PD learns each step from the region leader's heartbeat`,
    nodeArgs: process.env.ATOLL_NODE_ARGS ?? 'none',
  };
}

/** One row's figures (seconds unless named otherwise). */
interface Row {
  regions: number;
  toRepair: number;
  keys: number;
  victim: number;
  victimLeaders: number;
  downDeclaredS: number | undefined;
  leadersBackS: number | undefined;
  repairedAfterDeathS: number | undefined;
  repairAfterDownS: number | undefined;
  regionsPerS: number | undefined;
  regionRepairP50S: number | undefined;
  regionRepairMaxS: number | undefined;
  operators: RepairOperatorSummary;
  newReplicasPerStore: string;
  keysReadBack: number;
  keysLost: number;
  stalled: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pad = (i: number) => String(i).padStart(6, '0');
/** Region i holds keys `r/<i>/...`; region 0 also holds everything below `r/000001`. */
const splitKeyOf = (i: number) => `r/${pad(i)}`;
const keyOf = (region: number, j: number) => `${splitKeyOf(region)}/${String(j).padStart(4, '0')}`;
/** A value that names its key, so a value read back under the wrong key shows. */
function expectedValue(key: string, bytes: number): Buffer {
  return Buffer.from(`${key}=`.padEnd(bytes, 'x').slice(0, bytes));
}

/** The cluster with N regions, every one on `replicas` voters, keys written, placement settled. */
async function prepare(
  cluster: PdCluster,
  client: AtollClient,
  n: number,
  f: Flags,
  replicas: number,
): Promise<string[]> {
  await until(
    async () => {
      const list = await cluster.regions();
      return list.length === 1 && voterStores(list[0]!).length === replicas;
    },
    120_000,
    `region 1 on ${replicas} voters`,
  );
  log(`regions ${n}: splitting with atoll ctl split...`);
  await cluster.splitAt(Array.from({ length: n - 1 }, (_, i) => splitKeyOf(i + 1)));
  await until(async () => (await cluster.regions()).length === n, 120_000, `${n} regions in PD`);
  const keys: string[] = [];
  for (let r = 0; r < n; r++) for (let j = 0; j < f.keysPerRegion; j++) keys.push(keyOf(r, j));
  log(`regions ${n}: writing ${keys.length} keys...`);
  for (let i = 0; i < keys.length; i += BATCH_KEYS) {
    const pairs = keys
      .slice(i, i + BATCH_KEYS)
      .map((k) => [k, expectedValue(k, f.valueBytes)] as const);
    await client.batchPut(pairs);
  }
  log(`regions ${n}: waiting for placement to settle...`);
  await settle(cluster, n, replicas, f.settleTimeoutS * 1000);
  return keys;
}

/** Waits until every region is complete and no operator has run for SETTLE_QUIET_MS. */
async function settle(cluster: PdCluster, n: number, replicas: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  for (;;) {
    const list = await cluster.regions();
    const status = await cluster.pdStatus();
    const complete =
      list.length === n &&
      list.every((r) => r.leader && voterStores(r).length === replicas && learnerCount(r) === 0);
    if (complete && status.operators?.running === 0) quietSince ??= Date.now();
    else quietSince = undefined;
    if (quietSince !== undefined && Date.now() - quietSince >= SETTLE_QUIET_MS) return;
    if (Date.now() > deadline)
      throw new Error(`placement did not settle within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** The store with the most voters (ties: the higher id). */
function pickVictim(stores: readonly LaunchedStore[], list: RegionAndLeader[]): LaunchedStore {
  const count = (id: number) => list.filter((r) => voterStores(r).includes(id)).length;
  return [...stores].sort((a, b) => count(b.id) - count(a.id) || b.id - a.id)[0]!;
}

/** Every voter off the dead store, `replicas` of them, no learner, a leader. */
function isRepaired(r: RegionAndLeader, victim: number, replicas: number): boolean {
  const voters = voterStores(r);
  return (
    voters.length === replicas &&
    !voters.includes(victim) &&
    learnerCount(r) === 0 &&
    r.leader !== undefined &&
    Number(r.leader.storeId) !== victim
  );
}

interface Timeline {
  killedAtMs: number;
  leadersBackAtMs: number | undefined;
  repairedAtMs: Map<number, number>;
  doneAtMs: number | undefined;
  operators: RepairOperatorSummary;
  after: RegionAndLeader[];
}

/** Kills the victim and polls until every region is repaired or the time is up. */
async function killAndWatch(
  cluster: PdCluster,
  victim: LaunchedStore,
  replicas: number,
  f: Flags,
): Promise<Timeline> {
  const killedAtMs = Date.now();
  await victim.process.stop('SIGKILL');
  const ops = new RepairOperatorLog(cluster.pd.process, killedAtMs);
  const repairedAtMs = new Map<number, number>();
  let leadersBackAtMs: number | undefined;
  let after: RegionAndLeader[] = [];
  const deadline = killedAtMs + f.maxStoreDownMs + f.repairTimeoutS * 1000;
  let lastLog = 0;
  for (;;) {
    after = await cluster.regions();
    const now = Date.now();
    ops.poll();
    let done = after.length > 0;
    let led = true;
    for (const r of after) {
      if (isRepaired(r, victim.id, replicas)) {
        if (!repairedAtMs.has(Number(r.region.id))) repairedAtMs.set(Number(r.region.id), now);
      } else done = false;
      if (!r.leader || Number(r.leader.storeId) === victim.id) led = false;
    }
    if (led) leadersBackAtMs ??= now;
    if (done)
      return {
        killedAtMs,
        leadersBackAtMs,
        repairedAtMs,
        doneAtMs: now,
        operators: ops.summary(),
        after,
      };
    if (now - lastLog >= 5_000) {
      lastLog = now;
      const s = ops.summary();
      const exited = cluster.stores.filter((s) => s !== victim && !s.process.running);
      if (exited.length > 0) log(`  stores exited: ${exited.map((s) => s.id).join(', ')}`);
      log(
        `  ${((now - killedAtMs) / 1000).toFixed(1)} s after death: ${after.filter((r) => isRepaired(r, victim.id, replicas)).length}/${after.length} regions whole, repair operators created ${s.created}, ended ${Object.values(s.ended).reduce((a, b) => a + b, 0)}`,
      );
    }
    if (now > deadline) {
      reportStall(cluster, after, victim.id, replicas, ops);
      return {
        killedAtMs,
        leadersBackAtMs,
        repairedAtMs,
        doneAtMs: undefined,
        operators: ops.summary(),
        after,
      };
    }
    await sleep(POLL_MS);
  }
}

function reportStall(
  cluster: PdCluster,
  list: RegionAndLeader[],
  victim: number,
  replicas: number,
  ops: RepairOperatorLog,
): void {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-repair-bench-logs-'));
  for (const p of [cluster.pd, ...cluster.stores]) {
    writeFileSync(join(dir, `${p.process.name}.log`), `${p.process.lines.join('\n')}\n`);
  }
  log(`STALLED: the processes' last log lines are in ${dir}`);
  const stuck = list.filter((r) => !isRepaired(r, victim, replicas));
  log(`STALLED: ${stuck.length} regions not repaired; the first few:`);
  for (const r of stuck.slice(0, 10)) {
    const peers = (r.region.peers ?? [])
      .map((p) => `${p.storeId}${p.role === 1 ? 'L' : ''}`)
      .join(',');
    log(`  region ${r.region.id}: stores ${peers}, leader on ${r.leader?.storeId ?? 'none'}`);
  }
  log(
    `  regions with a repair operator still running: ${ops.runningRegions().slice(0, 20).join(', ')}`,
  );
}

/** Reads every key back; counts those missing or different. */
async function verify(client: AtollClient, keys: string[], valueBytes: number) {
  let ok = 0;
  let lost = 0;
  for (let i = 0; i < keys.length; i += BATCH_KEYS) {
    const chunk = keys.slice(i, i + BATCH_KEYS);
    let values: (Buffer | undefined)[];
    try {
      values = await client.batchGet(chunk);
    } catch (e) {
      log(`  reading keys ${chunk[0]}..: ${e instanceof Error ? e.message : String(e)}`);
      lost += chunk.length;
      continue;
    }
    chunk.forEach((k, j) => {
      if (values[j]?.equals(expectedValue(k, valueBytes))) ok++;
      else lost++;
    });
  }
  return { ok, lost };
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function percentile(sorted: number[], p: number): number | undefined {
  return sorted.length === 0
    ? undefined
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** New voters per surviving store: which stores took the lost replicas. */
function newReplicas(before: RegionAndLeader[], after: RegionAndLeader[]): string {
  const was = new Map(before.map((r) => [Number(r.region.id), voterStores(r)]));
  const gained = new Map<number, number>();
  for (const r of after) {
    for (const s of voterStores(r)) {
      if (!(was.get(Number(r.region.id)) ?? []).includes(s))
        gained.set(s, (gained.get(s) ?? 0) + 1);
    }
  }
  return [...gained.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
}

let current: PdCluster | undefined;

async function runRow(n: number, f: Flags): Promise<Row> {
  const pdConfig = pdConfigOf(f);
  const replicas = pdConfig.maxReplicas ?? PD_DEFAULTS.maxReplicas;
  log(`regions ${n}: starting 1 PD and ${STORES} stores...`);
  const cluster = await launchPdCluster({ stores: STORES, pdConfig });
  current = cluster;
  let client: AtollClient | undefined;
  try {
    client = await connect({ pd: [cluster.pd.address], timeoutMs: 30_000 });
    const keys = await prepare(cluster, client, n, f, replicas);
    const before = await cluster.regions();
    const victim = pickVictim(cluster.stores, before);
    const toRepair = new Set(
      before.filter((r) => voterStores(r).includes(victim.id)).map((r) => Number(r.region.id)),
    );
    const victimLeaders = before.filter((r) => Number(r.leader?.storeId) === victim.id).length;
    log(
      `regions ${n}: SIGKILL store ${victim.id} (${toRepair.size} voters, ${victimLeaders} leaders)`,
    );
    const t = await killAndWatch(cluster, victim, replicas, f);
    const down = t.operators.firstCreatedAtMs;
    const perRegion = [...toRepair]
      .map((id) => t.repairedAtMs.get(id))
      .filter((x): x is number => x !== undefined && down !== undefined)
      .map((x) => x - down!)
      .sort((a, b) => a - b);
    log(`regions ${n}: reading ${keys.length} keys back...`);
    const read = await verify(client, keys, f.valueBytes);
    const repairMs = t.doneAtMs !== undefined && down !== undefined ? t.doneAtMs - down : undefined;
    return {
      regions: n,
      toRepair: toRepair.size,
      keys: keys.length,
      victim: victim.id,
      victimLeaders,
      downDeclaredS: seconds(down === undefined ? undefined : down - t.killedAtMs),
      leadersBackS: seconds(
        t.leadersBackAtMs === undefined ? undefined : t.leadersBackAtMs - t.killedAtMs,
      ),
      repairedAfterDeathS: seconds(
        t.doneAtMs === undefined ? undefined : t.doneAtMs - t.killedAtMs,
      ),
      repairAfterDownS: seconds(repairMs),
      regionsPerS: repairMs ? toRepair.size / (repairMs / 1000) : undefined,
      regionRepairP50S: seconds(percentile(perRegion, 0.5)),
      regionRepairMaxS: seconds(perRegion[perRegion.length - 1]),
      operators: t.operators,
      newReplicasPerStore: newReplicas(before, t.after),
      keysReadBack: read.ok,
      keysLost: read.lost,
      stalled: t.doneAtMs === undefined,
    };
  } finally {
    await client?.close();
    await cluster.stop();
    current = undefined;
  }
}

function tableRow(r: Row): Record<string, string | number> {
  const fmt = (s: number | undefined, digits = 1) => (s === undefined ? '-' : s.toFixed(digits));
  const e = r.operators.ended;
  return {
    regions: r.regions,
    'to repair': r.toRepair,
    'down declared s (a)': fmt(r.downDeclaredS),
    'leaders back s': fmt(r.leadersBackS),
    'repaired after death s (b)': r.stalled ? 'stalled' : fmt(r.repairedAfterDeathS),
    'repair after down s (c)': r.stalled ? 'stalled' : fmt(r.repairAfterDownS),
    'regions/s': fmt(r.regionsPerS, 2),
    'per region p50 / max s': `${fmt(r.regionRepairP50S)} / ${fmt(r.regionRepairMaxS)}`,
    'repair ops (ok/cancel/timeout)': `${r.operators.created} (${e.success ?? 0}/${e.cancelled ?? 0}/${e.timeout ?? 0})`,
    'peak ops at once': r.operators.peakRunning,
    'new replicas per store': r.newReplicasPerStore,
    'keys read back': `${r.keysReadBack}/${r.keys}`,
  };
}

function log(line: string): void {
  console.error(line);
}

async function main(): Promise<void> {
  const f = parseFlags();
  const conditions = conditionsOf(f);
  if (!f.json) printConditions('Replica repair benchmark', conditions);
  const rows: Row[] = [];
  for (const n of f.regions) {
    rows.push(await runRow(n, f));
    log(JSON.stringify(tableRow(rows[rows.length - 1]!)));
  }
  if (f.json) console.log(JSON.stringify({ conditions, rows }, null, 2));
  else printTable(rows.map(tableRow));
  if (rows.some((r) => r.keysLost > 0 || r.stalled)) process.exitCode = 1;
}

// Ctrl-C: stop the cluster of the row in progress and remove its folder before leaving.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (e) {
  console.error(`bench:repair: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
