/**
 * Runs one row: one workload at one concurrency against one cluster, spread over the worker
 * threads; collects each second's ticks for the live line and the time series, samples the
 * CPU of the cluster's processes and of the generator at the edges of the measured window,
 * and merges the workers' totals.
 */

import { loadavg } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { ClusterTarget } from './cluster-target.js';
import { BenchError, BenchErrorCode } from './errors.js';
import { Histogram } from './histogram.js';
import type { KeyDistribution } from './key-space.js';
import type { LiveLine } from './live-line.js';
import type { RunResult, RunTask, Tick } from './load-worker.js';
import type { BenchOptions } from './options.js';
import { type CpuSample, cpuBetween, type ProcessCpu, sampleCpu } from './process-cpu.js';
import { type StoreStats, storeStatsBetween } from './store-metrics.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

/** Time given to workers to receive their task and build a client before the start. */
const START_LEAD_MS = 300;
const US_PER_MS = 1000;
/** How long ticks still in flight on the ports may take once every worker has returned. */
const TICKS_GRACE_MS = 2_000;

/** What a row runs. */
export interface RowSpec {
  /** 1-based position in the run. */
  readonly index: number;
  readonly system: 'atoll' | 'etcd';
  readonly workload: WorkloadName;
  readonly distribution: KeyDistribution;
  /** Atoll's region count (undefined for etcd, which has one key range). */
  readonly regions: number | undefined;
  readonly concurrency: number;
}

/** One second of a row, summed over workers. */
export interface SeriesPoint {
  /** Seconds since the run started, at the end of this second. */
  readonly t: number;
  readonly warmup: boolean;
  readonly opsPerSec: number;
  readonly writesPerSec: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencyMs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** What a row measured. */
export interface RowResult extends RowSpec {
  /** e.g. "put", "batch x100", "txn x100" (etcd). */
  readonly mode: string;
  readonly workers: number;
  /** Client connections: one per worker and store (Atoll) or per worker and member (etcd). */
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** The measured window, epoch milliseconds. */
  readonly measuredFromMs: number;
  readonly measuredToMs: number;
  readonly ops: number;
  readonly writes: number;
  readonly reads: number;
  readonly opsPerSec: number;
  /** Keys written per second (a batch of 100 counts 100). */
  readonly writesPerSec: number;
  readonly readsPerSec: number;
  readonly latencyMs: LatencyMs;
  readonly errors: Record<string, number>;
  readonly errorCount: number;
  readonly cpu: {
    readonly processes: readonly ProcessCpu[];
    /** The harness process (every worker thread and the main thread), % of one core. */
    readonly generatorPercent: number;
    /** Per worker: share of the window its event loop was busy (1 = saturated). */
    readonly workerBusy: readonly number[];
  };
  /** What each store's /metrics said over the measured window (empty for etcd). */
  readonly storeStats: readonly StoreStats[];
  /** The 1-minute load average when the row ended (the machine may be shared). */
  readonly load1: number;
  readonly series: readonly SeriesPoint[];
}

/** The row's operation as printed: the workload, or the batch and its size. */
export function modeOf(system: 'atoll' | 'etcd', workload: WorkloadName, batch: number): string {
  if (!WORKLOADS[workload].batched) return workload;
  return system === 'etcd' ? `txn x${batch}` : `batch x${batch}`;
}

/** Splits `total` virtual clients over `workers` as evenly as possible. */
export function shares(total: number, workers: number): number[] {
  const n = Math.max(1, Math.min(workers, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

function mergeErrors(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

interface SecondAccumulator {
  reported: number;
  ops: number;
  writes: number;
  errors: number;
  readonly histogram: Histogram;
}

/** Runs one row on the worker pool against a started target. */
export async function runRow(
  pool: Piscina,
  target: ClusterTarget,
  spec: RowSpec,
  opts: BenchOptions,
  live: LiveLine,
  runStartMs: number,
): Promise<RowResult> {
  const split = shares(spec.concurrency, opts.workers);
  const startAtMs = Date.now() + START_LEAD_MS;
  const seconds = new Map<number, SecondAccumulator>();
  const series: SeriesPoint[] = [];
  const totalSeconds = opts.warmupS + opts.durationS;
  const mode = modeOf(spec.system, spec.workload, opts.batchSize);
  const label = `#${spec.index} ${spec.system} ${mode} c=${spec.concurrency}${spec.regions ? ` r=${spec.regions}` : ''}`;

  // Ticks may still be queued on a port when a worker's result arrives: wait for all of them.
  let ticksLeft = split.length * totalSeconds;
  let allTicks: () => void = () => {};
  const ticksIn = new Promise<void>((resolve) => {
    allTicks = resolve;
  });
  const onTick = (tick: Tick) => {
    if (--ticksLeft === 0) allTicks();
    let acc = seconds.get(tick.second);
    if (!acc) {
      acc = { reported: 0, ops: 0, writes: 0, errors: 0, histogram: new Histogram() };
      seconds.set(tick.second, acc);
    }
    acc.reported++;
    acc.ops += tick.ops;
    acc.writes += tick.writes;
    for (const n of Object.values(tick.errors)) acc.errors += n;
    acc.histogram.add(tick.histogram);
    if (acc.reported < split.length) return;
    const warmup = tick.second < opts.warmupS;
    const point: SeriesPoint = {
      t: (startAtMs - runStartMs) / 1000 + tick.second + 1,
      warmup,
      opsPerSec: acc.ops,
      writesPerSec: acc.writes,
      errors: acc.errors,
      p50Ms: acc.histogram.valueAt(50) / US_PER_MS,
      p99Ms: acc.histogram.valueAt(99) / US_PER_MS,
    };
    series.push(point);
    seconds.delete(tick.second);
    live.update(
      `${label} ${warmup ? 'warm-up' : 'measuring'} ${tick.second + 1}/${totalSeconds}s  ` +
        `${Math.round(acc.ops).toLocaleString('en-US')} ops/s  p99 ${point.p99Ms.toFixed(2)} ms  ` +
        `errors ${acc.errors}`,
    );
  };

  // CPU at the edges of the measured window (workers time it the same way).
  const processes = target.processes();
  const measureAtMs = startAtMs + opts.warmupS * 1000;
  const endAtMs = measureAtMs + opts.durationS * 1000;
  let cpuStart: CpuSample | undefined;
  let cpuEnd: CpuSample | undefined;
  type Metrics = ReadonlyMap<string, ReadonlyMap<string, number>>;
  const noMetrics: Promise<Metrics> = Promise.resolve(new Map());
  let metricsStart = noMetrics;
  let metricsEnd = noMetrics;
  const sampleMetrics = () => target.sampleMetrics?.().catch(() => new Map()) ?? noMetrics;
  const timers = [
    setTimeout(() => {
      cpuStart = sampleCpu(processes);
      metricsStart = sampleMetrics();
    }, measureAtMs - Date.now()),
    setTimeout(() => {
      cpuEnd = sampleCpu(processes);
      metricsEnd = sampleMetrics();
    }, endAtMs - Date.now()),
  ];

  const connection = target.connection();
  const endpoints =
    connection.system === 'atoll' ? connection.stores.length : connection.endpoints.length;
  const channels = split.map(() => new MessageChannel());
  for (const ch of channels) ch.port1.on('message', onTick);
  let results: RunResult[];
  try {
    results = (await Promise.all(
      split.map((concurrency, workerIndex) => {
        const port = channels[workerIndex]!.port2;
        const task: RunTask = {
          kind: 'run',
          workerIndex,
          connection,
          workload: spec.workload,
          distribution: spec.distribution,
          zipfTheta: opts.zipfTheta,
          keySpace: opts.keySpace,
          keyBytes: opts.keyBytes,
          valueBytes: opts.valueBytes,
          batchSize: opts.batchSize,
          concurrency,
          startAtMs,
          warmupS: opts.warmupS,
          durationS: opts.durationS,
          seed: opts.seed,
          timeoutMs: opts.timeoutMs,
          port,
        };
        return pool.run(task, { transferList: [port] });
      }),
    )) as RunResult[];
    await Promise.race([ticksIn, new Promise((r) => timers.push(setTimeout(r, TICKS_GRACE_MS)))]);
  } catch (e) {
    throw new BenchError(BenchErrorCode.Worker, `a load worker failed: ${e}`, { cause: e });
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const ch of channels) ch.port1.close();
  }
  // The workers may finish a hair before the end timer fires (it was cleared above): read
  // the end now, as for the CPU below.
  if (metricsEnd === noMetrics && metricsStart !== noMetrics) metricsEnd = sampleMetrics();
  const [m0, m1] = await Promise.all([metricsStart, metricsEnd]);
  const storeStats = [...m1.keys()]
    .filter((name) => m0.has(name))
    .sort()
    .map((name) => storeStatsBetween(name, m0.get(name)!, m1.get(name)!, opts.durationS));
  cpuEnd ??= sampleCpu(processes);
  cpuStart ??= cpuEnd;
  const cpu = cpuBetween(processes, cpuStart, cpuEnd);

  const histogram = new Histogram();
  const errors: Record<string, number> = {};
  let ops = 0;
  let writes = 0;
  let reads = 0;
  for (const r of results) {
    histogram.add(r.histogram);
    mergeErrors(errors, r.errors);
    ops += r.ops;
    writes += r.writes;
    reads += r.reads;
  }
  const p = histogram.percentiles();
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  const row: RowResult = {
    ...spec,
    mode,
    workers: split.length,
    connections: split.length * endpoints,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    measuredFromMs: measureAtMs,
    measuredToMs: endAtMs,
    ops,
    writes,
    reads,
    opsPerSec: ops / opts.durationS,
    writesPerSec: writes / opts.durationS,
    readsPerSec: reads / opts.durationS,
    latencyMs: {
      p50: p.p50 / US_PER_MS,
      p90: p.p90 / US_PER_MS,
      p99: p.p99 / US_PER_MS,
      max: p.max / US_PER_MS,
      mean: p.mean / US_PER_MS,
    },
    errors,
    errorCount,
    cpu: {
      processes: cpu.processes,
      generatorPercent: cpu.generatorPercent,
      workerBusy: results.map((r) => r.eventLoopUtilization),
    },
    load1: loadavg()[0]!,
    storeStats,
    series: series.sort((a, b) => a.t - b.t),
  };
  live.done(
    `${label}: ${Math.round(row.writesPerSec + row.readsPerSec).toLocaleString('en-US')} keys/s, ` +
      `p50 ${row.latencyMs.p50.toFixed(2)} ms, p99 ${row.latencyMs.p99.toFixed(2)} ms, errors ${errorCount}`,
  );
  return row;
}
