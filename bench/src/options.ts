/**
 * The harness's options, shared by `pnpm bench` (main.ts) and `atoll bench` (the CLI): one
 * commander definition, typed parsing with one clear error per bad value, defaults with the
 * reason for each, and the checks across options.
 */

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '@atoll/store/testing';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BenchError, BenchErrorCode, invalidArgument } from './errors.js';
import { type KeyDistribution, ZIPF_THETA_DEFAULT } from './key-space.js';
import { isSupported, WORKLOAD_NAMES, type WorkloadName } from './workloads.js';

/** The command's one-line description. */
export const BENCH_DESCRIPTION =
  'benchmark: writes/s and latency of Atoll (optionally side by side with etcd), every condition printed';

/** The sweep the issue asks for: from one client to far more than one store can serve. */
export const CONCURRENCY_DEFAULT = [1, 16, 64, 256, 1024];
/**
 * 1,000,000 keys: large enough that uniform writes almost never collide on a key, small
 * enough that a YCSB load phase finishes in seconds. Explicit, never 1 by accident.
 */
export const KEY_SPACE_DEFAULT = 1_000_000;
/** Puts per batch: a round number below etcd's default limit of 128 operations per txn. */
export const BATCH_SIZE_DEFAULT = 100;
/** Seconds measured per row: long enough for a stable p99 at a few thousand ops/s. */
export const DURATION_S_DEFAULT = 10;
/** Seconds run before measuring: connections, region caches and JIT warm up. */
export const WARMUP_S_DEFAULT = 2;
/**
 * Seconds of unmeasured puts at CLUSTER_WARMUP_CONCURRENCY right after a cluster starts. A
 * Node.js store runs its code interpreted until V8 has seen it often: at concurrency 1 (100-200
 * writes/s) a row's own warm-up is far too short for that, and measured a cold process
 * (p50 8-9 ms against 4.8 ms once warm, same build and machine).
 */
export const CLUSTER_WARMUP_S_DEFAULT = 5;
/** Virtual clients of the cluster warm-up. */
export const CLUSTER_WARMUP_CONCURRENCY = 64;
/**
 * Load-generating threads: one per core, at most 4. More threads than cores only steal CPU
 * from the stores on the same machine; each thread's busy share is reported.
 */
export const WORKERS_DEFAULT = Math.max(1, Math.min(4, availableParallelism()));
/** Per-operation deadline, retries included: the client library's default. */
export const TIMEOUT_MS_DEFAULT = 10_000;
/** Most virtual clients in one row: bounds memory of the generator and open requests. */
export const CONCURRENCY_MAX = 65_536;

/** A cluster the harness does not start (--target). */
export type TargetSpec = { readonly kind: 'static-file'; readonly path: string };

/** Every option of a run, checked. */
export interface BenchOptions {
  readonly workloads: readonly WorkloadName[];
  readonly concurrency: readonly number[];
  readonly regions: readonly number[];
  readonly keySpace: number;
  /** Undefined: each workload's own default (uniform for puts, zipfian for YCSB). */
  readonly keyDistribution: KeyDistribution | undefined;
  readonly zipfTheta: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly batchSize: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Seconds of unmeasured puts after each cluster starts (0: none). */
  readonly clusterWarmupS: number;
  readonly workers: number;
  readonly timeoutMs: number;
  readonly stores: number;
  readonly vs: 'etcd' | undefined;
  readonly etcdBin: string | undefined;
  readonly target: TargetSpec | undefined;
  readonly profile: boolean;
  /** Stores log batches ahead of LMDB (their default); false: started with --no-wal. */
  readonly wal: boolean;
  /** A folder under which each store's write-ahead log goes (e.g. another disk). */
  readonly walRoot?: string;
  /** Stores' --raft-link (undefined: the store's default). */
  readonly raftLink: 'socket' | 'grpc' | undefined;
  /** How the load generator reaches the stores (default socket). */
  readonly clientLink: 'socket' | 'grpc';
  readonly out: string;
  readonly seed: number;
  readonly live: boolean;
  readonly label: string | undefined;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** "1,16,64": positive integers, in the order given, duplicates dropped. */
export function intList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === ''))
    throw new InvalidArgumentError('expected a comma-separated list of positive integers');
  return [...new Set(parts.map(positiveInt))];
}

/** "put,ycsb-a": known workload names, duplicates dropped. */
export function workloadList(value: string): WorkloadName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names)
    if (!(WORKLOAD_NAMES as readonly string[]).includes(n))
      throw new InvalidArgumentError(`unknown workload "${n}" (${WORKLOAD_NAMES.join(', ')})`);
  return [...new Set(names as WorkloadName[])];
}

function theta(value: string): number {
  const t = Number(value);
  if (!(t > 0 && t < 1)) throw new InvalidArgumentError('expected a number in (0, 1)');
  return t;
}

/** Adds every bench option to a command (the CLI's `atoll bench` and `pnpm bench`). */
export function addBenchOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--workload <list>', `workloads, comma-separated: ${WORKLOAD_NAMES.join(', ')}`)
        .argParser(workloadList)
        .default(['put', 'batch-put'], 'put,batch-put'),
    )
    .addOption(
      new Option('--concurrency <list>', 'virtual clients, a sweep')
        .argParser(intList)
        .default(CONCURRENCY_DEFAULT, CONCURRENCY_DEFAULT.join(',')),
    )
    .addOption(
      new Option('--regions <list>', 'regions the key space is pre-split into, a sweep')
        .argParser(intList)
        .default([1], '1'),
    )
    .option('--key-space <n>', 'distinct keys operations pick from', positiveInt, KEY_SPACE_DEFAULT)
    .addOption(
      new Option(
        '--keys <distribution>',
        'key distribution (default: uniform for puts, zipfian for YCSB)',
      ).choices(['uniform', 'zipfian']),
    )
    .option('--zipf-theta <x>', 'zipfian skew', theta, ZIPF_THETA_DEFAULT)
    .option('--key-bytes <n>', 'key size in bytes', positiveInt, 16)
    .option('--value-bytes <n>', 'value size in bytes', positiveInt, 128)
    .option('--batch-size <n>', 'keys per batched write', positiveInt, BATCH_SIZE_DEFAULT)
    .option('--duration <s>', 'seconds measured per row', positiveInt, DURATION_S_DEFAULT)
    .option(
      '--warmup <s>',
      'seconds run before measuring, per row',
      nonNegativeInt,
      WARMUP_S_DEFAULT,
    )
    .option(
      '--cluster-warmup <s>',
      `seconds of unmeasured puts (concurrency ${CLUSTER_WARMUP_CONCURRENCY}) after each cluster starts, so that rows measure warm processes`,
      nonNegativeInt,
      CLUSTER_WARMUP_S_DEFAULT,
    )
    .option('--workers <n>', 'load-generating worker threads', positiveInt, WORKERS_DEFAULT)
    .option('--timeout-ms <n>', 'deadline per operation', positiveInt, TIMEOUT_MS_DEFAULT)
    .option(
      '--stores <n>',
      'stores to start (each region has a replica on every store)',
      positiveInt,
      3,
    )
    .addOption(new Option('--vs <system>', 'also run the same rows against').choices(['etcd']))
    .option('--etcd-bin <path>', 'the etcd binary (default: etcd on PATH)')
    .option(
      '--target <cluster.json>',
      'bench a running cluster described by a static cluster file instead of starting one',
    )
    .option('--profile', 'record a CPU profile of each store for each row (node --cpu-prof)', false)
    .option(
      '--no-wal',
      "start the stores with --no-wal (no write-ahead log: each write waits for LMDB's sync)",
    )
    .option(
      '--wal-root <dir>',
      "put each store's write-ahead log under this folder (--wal-dir), e.g. on a disk of its " +
        'own; default: in the data folders',
    )
    .addOption(
      new Option(
        '--raft-link <kind>',
        "what carries Raft traffic between the stores (atoll store --raft-link; default the store's: socket)",
      ).choices(['socket', 'grpc']),
    )
    .addOption(
      new Option(
        '--client-link <kind>',
        "how the load generator's clients reach the stores: framed TCP sockets or gRPC streams",
      )
        .choices(['socket', 'grpc'])
        .default('socket'),
    )
    .addOption(
      new Option('--out <dir>', 'results folder (a new folder per run inside)').default(
        join(repoRoot, 'bench', 'results'),
        'bench/results',
      ),
    )
    .option('--seed <n>', 'seed of the key generators', nonNegativeInt, 1)
    .option('--no-live', 'no live progress line')
    .option('--label <text>', 'a note printed with the conditions');
}

/** The flags as commander parses them (before the checks across options). */
export interface BenchFlags {
  workload: WorkloadName[];
  concurrency: number[];
  regions: number[];
  keySpace: number;
  keys?: KeyDistribution;
  zipfTheta: number;
  keyBytes: number;
  valueBytes: number;
  batchSize: number;
  duration: number;
  warmup: number;
  clusterWarmup: number;
  workers: number;
  timeoutMs: number;
  stores: number;
  vs?: 'etcd';
  etcdBin?: string;
  target?: string;
  profile: boolean;
  wal: boolean;
  walRoot?: string;
  raftLink?: 'socket' | 'grpc';
  clientLink: 'socket' | 'grpc';
  out: string;
  seed: number;
  live: boolean;
  label?: string;
}

/** Checks across options and turns commander's flags into BenchOptions. */
export function toBenchOptions(flags: BenchFlags): BenchOptions {
  for (const w of flags.workload)
    if (!isSupported(w))
      throw new BenchError(
        BenchErrorCode.Unsupported,
        `workload "${w}" needs transactions, which this build does not have yet`,
      );
  const maxRegions = Math.max(...flags.regions);
  if (flags.keySpace < maxRegions)
    throw invalidArgument(
      `a key space of ${flags.keySpace} cannot be split into ${maxRegions} regions`,
    );
  if (flags.concurrency.some((c) => c > CONCURRENCY_MAX))
    throw invalidArgument(`concurrency is at most ${CONCURRENCY_MAX}`);
  if (flags.batchSize > flags.keySpace)
    throw invalidArgument('a batch cannot hold more distinct keys than the key space');
  if (flags.walRoot !== undefined && !flags.wal)
    throw invalidArgument('--wal-root places write-ahead logs: it cannot go with --no-wal');
  if (
    flags.walRoot !== undefined &&
    !statSync(flags.walRoot, { throwIfNoEntry: false })?.isDirectory()
  )
    throw invalidArgument(`--wal-root ${flags.walRoot} is not a folder`);
  return {
    workloads: flags.workload,
    concurrency: flags.concurrency,
    regions: flags.regions,
    keySpace: flags.keySpace,
    keyDistribution: flags.keys,
    zipfTheta: flags.zipfTheta,
    keyBytes: flags.keyBytes,
    valueBytes: flags.valueBytes,
    batchSize: flags.batchSize,
    durationS: flags.duration,
    warmupS: flags.warmup,
    clusterWarmupS: flags.clusterWarmup,
    workers: flags.workers,
    timeoutMs: flags.timeoutMs,
    stores: flags.stores,
    vs: flags.vs,
    etcdBin: flags.etcdBin,
    target: flags.target === undefined ? undefined : parseTarget(flags.target, flags.regions),
    profile: flags.profile,
    wal: flags.wal,
    ...(flags.walRoot !== undefined ? { walRoot: resolve(flags.walRoot) } : {}),
    raftLink: flags.raftLink,
    clientLink: flags.clientLink,
    out: resolve(flags.out),
    seed: flags.seed,
    live: flags.live,
    label: flags.label,
  };
}

/**
 * `--target`: a static cluster file works today. A list of store addresses would need the
 * placement driver to learn where regions are; until it exists that is a typed error.
 */
export function parseTarget(value: string, regions: readonly number[]): TargetSpec {
  if (/^[^/\s]+:\d+(,[^/\s]+:\d+)*$/.test(value) && !existsSync(value))
    throw new BenchError(
      BenchErrorCode.TargetNeedsPd,
      'a target given as host:port addresses needs the placement driver to find regions ' +
        '(not there yet); pass a static cluster file (the one `atoll store --cluster` reads)',
    );
  if (!existsSync(value)) throw invalidArgument(`--target: no such file ${value}`);
  if (regions.length > 1 || regions[0] !== 1)
    throw invalidArgument('--regions does not apply to --target: the cluster file places regions');
  return { kind: 'static-file', path: resolve(value) };
}

/** Parses command-line arguments (after the command name) into options; for tests and main. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const cmd = addBenchOptions(new Command('bench'))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw invalidArgument(e.message.replace(/^error: /, ''));
    throw e;
  }
  return toBenchOptions(cmd.opts<BenchFlags>());
}
