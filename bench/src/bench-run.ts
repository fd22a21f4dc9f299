/**
 * One benchmark run: plans the rows (workloads x concurrency per region count, etcd rows
 * right after their Atoll twins), starts the clusters, loads data for YCSB rows, runs every
 * row through the worker pool, and writes the report (JSON, markdown, SVG) to a new folder
 * under the results folder. The numbers are whatever they are: nothing here asserts them.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@atoll/store/testing';
import { Piscina } from 'piscina';
import { AtollStaticTarget } from './atoll-static-target.js';
import type { ClusterTarget, ConditionValue } from './cluster-target.js';
import {
  fileSystemOf,
  loadAverage,
  machineConditions,
  osRelease,
  packageVersion,
} from './conditions.js';
import { type ProfileSummary, summarizeProfileFile } from './cpu-profile.js';
import { describeDiskProbe, probeDisk } from './disk-probe.js';
import { BenchError, BenchErrorCode } from './errors.js';
import { EtcdTarget, findEtcd } from './etcd-target.js';
import { KeyFormat } from './key-space.js';
import { LiveLine } from './live-line.js';
import type { LoadResult, LoadTask } from './load-worker.js';
import { type BenchOptions, CLUSTER_WARMUP_CONCURRENCY } from './options.js';
import {
  bestAndWorst,
  checkTargets,
  REPORT_FORMAT,
  type Report,
  renderMarkdown,
  withRatios,
} from './report.js';
import { type RowResult, type RowSpec, runRow } from './row-runner.js';
import { StaticFileTarget } from './static-file-target.js';
import { renderChart } from './svg-chart.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

/** bench/ (this file is bench/{src,dist}/bench-run.*); workers always run the built JS. */
const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The piscina worker's file (built JS, also when the harness itself runs from sources in tests). */
export const workerFile = join(benchRoot, 'dist', 'load-worker.js');

/** What a run leaves: the report, its folder and its markdown. */
export interface BenchRun {
  readonly report: Report;
  /** The folder holding report.json, report.md and chart.svg. */
  readonly dir: string;
  readonly markdown: string;
}

function atollVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return git.status === 0 ? `${pkg.version} (commit ${git.stdout.trim()})` : pkg.version;
}

/** Where @atoll/client lives, to read the versions of its own dependencies. */
function clientUrl(): string {
  try {
    return import.meta.resolve('@atoll/client');
  } catch {
    return import.meta.url;
  }
}

function runFolder(out: string, startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  let dir = join(out, stamp);
  for (let i = 2; existsSync(dir); i++) dir = join(out, `${stamp}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Fills the whole key space (YCSB rows read it) through the worker pool. */
async function loadKeySpace(
  pool: Piscina,
  target: ClusterTarget,
  opts: BenchOptions,
  live: LiveLine,
): Promise<string> {
  const t0 = Date.now();
  live.say(`loading ${opts.keySpace.toLocaleString('en-US')} keys into ${target.name}...`);
  const per = Math.ceil(opts.keySpace / opts.workers);
  const tasks: LoadTask[] = Array.from({ length: opts.workers }, (_, i) => ({
    kind: 'load',
    connection: target.connection(),
    keySpace: opts.keySpace,
    keyBytes: opts.keyBytes,
    valueBytes: opts.valueBytes,
    from: Math.min(opts.keySpace, i * per),
    to: Math.min(opts.keySpace, (i + 1) * per),
    seed: opts.seed,
    timeoutMs: opts.timeoutMs,
  }));
  const results = (await Promise.all(tasks.map((t) => pool.run(t)))) as LoadResult[];
  const keys = results.reduce((a, r) => a + r.keys, 0);
  const failed = results.flatMap((r) => Object.entries(r.errors).map(([c, n]) => `${c} x${n}`));
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  return `${target.name}: loaded ${keys.toLocaleString('en-US')} keys in ${s} s before the YCSB rows${failed.length ? ` (failed batches: ${failed.join(', ')})` : ''}`;
}

/** Runs every row the options ask for and writes the report; stops everything it started. */
export async function runBench(
  opts: BenchOptions,
  live: LiveLine = new LiveLine(opts.live),
): Promise<BenchRun> {
  if (!existsSync(workerFile))
    throw new BenchError(BenchErrorCode.Worker, `${workerFile} is missing: run pnpm build first`);
  const startedAt = new Date();
  const runStartMs = startedAt.getTime();
  const loadAtStart = loadAverage();
  const dir = runFolder(opts.out, startedAt);
  const keys = new KeyFormat(opts.keySpace, opts.keyBytes);
  const version = atollVersion();
  const notes: string[] = [];
  const rows: RowResult[] = [];
  const profiles = new Map<number, ProfileSummary[]>();
  const targetConditions: Record<string, ConditionValue> = {};
  const needsLoad = opts.workloads.some((w) => WORKLOADS[w].needsLoad);
  // Where the stores' data folders go (static-cluster-launcher.ts), before anything runs.
  live.say('probing the disk...');
  const disk = `${describeDiskProbe(probeDisk(tmpdir()))}; ${fileSystemOf(tmpdir())} at ${tmpdir()}`;

  let etcd: EtcdTarget | undefined;
  if (opts.vs === 'etcd') {
    const bin = findEtcd(opts.etcdBin);
    if (bin) etcd = new EtcdTarget(bin, opts.batchSize);
    else {
      const msg =
        'etcd rows skipped: no etcd binary found' +
        (opts.etcdBin ? ` at ${opts.etcdBin}` : ' on PATH') +
        " (install one, e.g. Debian's etcd-server package, or pass --etcd-bin)";
      notes.push(msg);
      live.say(msg);
    }
  }

  const pool = new Piscina({
    filename: workerFile,
    minThreads: opts.workers,
    maxThreads: opts.workers,
    // Workers wait for tasks on their event loop, not blocked in Atomics.wait.
    atomics: 'disabled',
  });
  const started: ClusterTarget[] = [];
  const start = async (t: ClusterTarget) => {
    live.say(`starting ${t.name}...`);
    await t.start();
    started.push(t);
    Object.assign(targetConditions, t.conditions());
    if (needsLoad) notes.push(await loadKeySpace(pool, t, opts, live));
    await warmUp(t);
  };
  // A store that died mid-run makes every later row measure something else: say so.
  const noteFailures = (t: ClusterTarget) => {
    for (const f of t.failures?.() ?? []) {
      if (notes.includes(f)) continue;
      notes.push(f);
      live.say(f);
    }
  };
  // Unmeasured puts, so that the first rows do not measure processes V8 has not optimized.
  const warmUp = async (t: ClusterTarget) => {
    if (opts.clusterWarmupS === 0) return;
    const c = t.connection();
    const spec: RowSpec = {
      index: 0,
      system: c.system,
      workload: 'put',
      distribution: 'uniform',
      regions: c.system === 'atoll' ? c.regions.length : undefined,
      concurrency: CLUSTER_WARMUP_CONCURRENCY,
    };
    live.say(`warming ${t.name} up (${opts.clusterWarmupS} s of puts, not measured)...`);
    const warmOpts = { ...opts, warmupS: 0, durationS: opts.clusterWarmupS };
    await runRow(pool, t, spec, warmOpts, live, runStartMs);
  };
  const stop = async (t: ClusterTarget) => {
    const i = started.indexOf(t);
    if (i >= 0) started.splice(i, 1);
    await t.stop();
  };

  const regionsOf = (t: ClusterTarget) => {
    const c = t.connection();
    return c.system === 'atoll' ? c.regions.length : undefined;
  };
  let index = 0;
  const spec = (
    system: 'atoll' | 'etcd',
    workload: WorkloadName,
    concurrency: number,
    regions: number | undefined,
  ): RowSpec => ({
    index: ++index,
    system,
    workload,
    distribution: opts.keyDistribution ?? WORKLOADS[workload].defaultDistribution,
    regions,
    concurrency,
  });

  if (opts.profile && opts.target)
    notes.push('--profile has no effect with --target: the harness did not start those stores');
  try {
    if (etcd) await start(etcd);
    const regionCounts: (number | undefined)[] = opts.target ? [undefined] : [...opts.regions];
    for (const [ri, regions] of regionCounts.entries()) {
      const makeAtoll = (profileDir?: string): ClusterTarget =>
        opts.target
          ? new StaticFileTarget(opts.target.path, version)
          : new AtollStaticTarget({
              stores: opts.stores,
              regions: regions!,
              keys,
              version,
              wal: opts.wal,
              ...(opts.walRoot ? { walRoot: opts.walRoot } : {}),
              ...(opts.raftLink ? { raftLink: opts.raftLink } : {}),
              clientLink: opts.clientLink,
              ...(profileDir ? { profileDir } : {}),
            });
      // Without profiles one cluster serves every row of a region count; with profiles each
      // row gets a fresh cluster, so that each profile covers one row.
      const perRow = opts.profile && !opts.target;
      const shared = perRow ? undefined : makeAtoll();
      if (shared) await start(shared);
      for (const workload of opts.workloads) {
        for (const concurrency of opts.concurrency) {
          const target = shared ?? makeAtoll(join(dir, 'profiles', `row-${index + 1}`));
          if (!shared) await start(target);
          const row = await runRow(
            pool,
            target,
            spec('atoll', workload, concurrency, regionsOf(target)),
            opts,
            live,
            runStartMs,
          );
          rows.push(row);
          noteFailures(target);
          if (!shared) {
            await stop(target);
            const window = (exitedAtMs: number | undefined) =>
              exitedAtMs
                ? { fromMs: row.measuredFromMs, toMs: row.measuredToMs, exitedAtMs }
                : undefined;
            profiles.set(
              row.index,
              target.profiles().map((p) => summarizeProfileFile(p.path, window(p.exitedAtMs))),
            );
          }
          if (etcd && ri === 0) {
            const twin = spec('etcd', workload, concurrency, undefined);
            rows.push(await runRow(pool, etcd, twin, opts, live, runStartMs));
          }
        }
      }
      if (shared) await stop(shared);
    }
  } finally {
    for (const t of [...started].reverse()) await t.stop().catch(() => {});
    await pool.destroy();
  }

  const report = buildReport({
    disk,
    opts,
    rows,
    profiles,
    notes,
    targetConditions,
    loadAtStart,
    startedAt,
    version,
    dataFs: fileSystemOf(opts.out),
    dir,
  });
  const markdown = renderMarkdown(report);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown);
  writeFileSync(join(dir, 'chart.svg'), renderChart(report.rows, report.title));
  return { report, dir, markdown };
}

function buildReport(a: {
  disk: string;
  opts: BenchOptions;
  rows: RowResult[];
  profiles: Map<number, ProfileSummary[]>;
  notes: string[];
  targetConditions: Record<string, ConditionValue>;
  loadAtStart: string;
  startedAt: Date;
  version: string;
  dataFs: string;
  dir: string;
}): Report {
  const { opts } = a;
  const rows = withRatios(a.rows, a.profiles);
  const [bestRow, worstRow] = bestAndWorst(rows);
  const from = import.meta.url;
  const m = machineConditions();
  const distributions = [...new Set(rows.map((r) => r.distribution))];
  const conditions: Record<string, ConditionValue> = {
    ...(opts.label ? { label: opts.label } : {}),
    machine: `${m.machine}, ${m.cores} cores, ${m.memoryGiB} GiB, ${osRelease()}`,
    cores: cpus().length,
    'load average (1/5/15 min)':
      `at start ${a.loadAtStart}, at end ${loadAverage()} (counts this run's own stores, ` +
      "members and generator too; each row's 1-minute load is in the table)",
    disk: a.disk,
    node: process.version,
    versions:
      `atoll ${a.version}, piscina ${packageVersion('piscina', from)}, ` +
      `etcd3 ${packageVersion('etcd3', from)}, lmdb ${packageVersion('lmdb', from)}, ` +
      `@grpc/grpc-js ${packageVersion('@grpc/grpc-js', clientUrl())} (Atoll client)`,
    ...a.targetConditions,
    workloads: opts.workloads.map((w) => `${w} (${WORKLOADS[w].description})`).join('; '),
    'key space': `${opts.keySpace.toLocaleString('en-US')} keys`,
    'key size': `${opts.keyBytes} bytes`,
    'value size': `${opts.valueBytes} bytes (random, one value per worker thread)`,
    'key distribution': distributions
      .map((d) => (d === 'zipfian' ? `zipfian (theta ${opts.zipfTheta}, scrambled as YCSB)` : d))
      .join(', '),
    concurrency: `${opts.concurrency.join(', ')} virtual clients (closed loop: each waits for its answer)`,
    'regions (pre-split)': opts.target
      ? 'as the cluster file places them'
      : `${opts.regions.join(', ')}${opts.regions.length > 1 ? ' (a sweep; per row in the table)' : ''}`,
    'load generator': `${opts.workers} worker threads (piscina), each with its own client; a row uses min(workers, concurrency)`,
    connections:
      'per row: worker threads x stores (Atoll, one gRPC stream each) or x members (etcd)',
    'batch size': `${opts.batchSize} keys per batched write (Atoll batchPut, atomic per region; etcd one txn)`,
    duration: `${opts.durationS} s measured per row`,
    'warm-up': `${opts.warmupS} s per row, not measured`,
    'cluster warm-up':
      opts.clusterWarmupS > 0
        ? `${opts.clusterWarmupS} s of uniform puts at concurrency ${CLUSTER_WARMUP_CONCURRENCY} after each cluster started (before the first row and after any key-space load), not measured`
        : 'none',
    'timeout per operation': `${opts.timeoutMs} ms`,
    seed: opts.seed,
    'row order':
      'rows run one after another; with --vs etcd each etcd row runs right after its Atoll twin, ' +
      'and both clusters stay up for the whole run (idle Atoll regions hibernate)',
    profile: opts.profile ? 'node --cpu-prof in every store, a fresh cluster per row' : 'off',
    'results folder': `${a.dir} (${a.dataFs})`,
  };
  const title = `Atoll benchmark${opts.label ? `: ${opts.label}` : ''}`;
  return {
    format: REPORT_FORMAT,
    title,
    startedAt: a.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    conditions,
    notes: a.notes,
    rows,
    targets: checkTargets(rows, opts.valueBytes),
    bestRow,
    worstRow,
    files: {
      json: join(a.dir, 'report.json'),
      markdown: join(a.dir, 'report.md'),
      chart: join(a.dir, 'chart.svg'),
      ...(opts.profile ? { profiles: join(a.dir, 'profiles') } : {}),
    },
  };
}
