/**
 * The load generator's worker thread (run by piscina). A task makes its own driver (its own
 * client and connections), runs its share of the virtual clients in a closed loop (each waits
 * for its answer before the next operation) and posts one tick per second on the task's
 * MessagePort: operations, errors by code and a latency histogram of that second. It returns
 * the totals of the measured window. A `load` task fills part of the key space instead.
 *
 * Not the main thread: no report, no cluster, no console output here.
 */

import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import type { Connection } from './cluster-target.js';
import { createDriver, type Driver, errorCode } from './drivers.js';
import { Histogram, type HistogramSnapshot } from './histogram.js';
import {
  type KeyChooser,
  type KeyDistribution,
  KeyFormat,
  keyChooser,
  seededRandom,
} from './key-space.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

/** Keys per request while loading: under etcd's default limit of 128 operations per txn. */
export const LOAD_BATCH_KEYS = 100;
/** Load requests in flight per worker: enough to keep 3 stores busy, few enough to not time out. */
export const LOAD_CONCURRENCY = 16;
/** Tries to draw a key not yet in a batch before taking the next free index instead. */
const DISTINCT_DRAWS_MAX = 8;

/** A worker's share of one row. */
export interface RunTask {
  readonly kind: 'run';
  readonly workerIndex: number;
  readonly connection: Connection;
  readonly workload: WorkloadName;
  readonly distribution: KeyDistribution;
  readonly zipfTheta: number;
  readonly keySpace: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly batchSize: number;
  /** Virtual clients of this worker. */
  readonly concurrency: number;
  /** Epoch milliseconds at which every worker starts (warm-up first). */
  readonly startAtMs: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly port: MessagePort;
}

/** A worker's share of loading the key space. */
export interface LoadTask {
  readonly kind: 'load';
  readonly connection: Connection;
  readonly keySpace: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  /** Indexes [from, to) of the key space. */
  readonly from: number;
  readonly to: number;
  readonly seed: number;
  readonly timeoutMs: number;
}

/** One second of one worker, posted on the task's port. */
export interface Tick {
  readonly workerIndex: number;
  /** Seconds since startAtMs: 0..warmupS-1 are warm-up. */
  readonly second: number;
  readonly ops: number;
  readonly writes: number;
  readonly reads: number;
  readonly errors: Record<string, number>;
  /** Latency in microseconds of the operations that succeeded in this second. */
  readonly histogram: HistogramSnapshot;
}

/** A worker's totals over the measured window. */
export interface RunResult {
  readonly ops: number;
  readonly writes: number;
  readonly reads: number;
  readonly errors: Record<string, number>;
  /** Latency in microseconds over the measured window. */
  readonly histogram: HistogramSnapshot;
  /** Share of the measured window this thread's event loop was busy (1 = saturated). */
  readonly eventLoopUtilization: number;
}

/** Keys a load task wrote, and failed batches by code. */
export interface LoadResult {
  readonly keys: number;
  readonly errors: Record<string, number>;
}

class Counters {
  ops = 0;
  writes = 0;
  reads = 0;
  errors: Record<string, number> = {};
  readonly histogram = new Histogram();

  error(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
}

function randomValue(bytes: number, random: () => number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** `size` distinct keys (etcd refuses a txn writing one key twice). */
function distinctBatch(size: number, chooser: KeyChooser, keySpace: number): number[] {
  const seen = new Set<number>();
  while (seen.size < size) {
    let i = chooser.next();
    for (let d = 0; seen.has(i) && d < DISTINCT_DRAWS_MAX; d++) i = chooser.next();
    while (seen.has(i)) i = (i + 1) % keySpace;
    seen.add(i);
  }
  return [...seen];
}

const sleepUntil = (perfMs: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, perfMs - performance.now())));

async function run(task: RunTask): Promise<RunResult> {
  const workload = WORKLOADS[task.workload];
  const random = seededRandom(task.seed * 7919 + task.workerIndex);
  const chooser = keyChooser(task.distribution, task.keySpace, random, task.zipfTheta);
  const keys = new KeyFormat(task.keySpace, task.keyBytes);
  const value = randomValue(task.valueBytes, random);
  const driver = createDriver(task.connection, task.timeoutMs);
  // Times on this thread's monotonic clock; epoch time only to agree with other threads.
  const startAt = performance.now() + (task.startAtMs - Date.now());
  const measureAt = startAt + task.warmupS * 1000;
  const endAt = measureAt + task.durationS * 1000;
  const total = new Counters();
  let second = new Counters();
  let elu0 = performance.eventLoopUtilization();
  let elu = 0;

  const operation = async (): Promise<'read' | 'write'> => {
    if (random() < workload.readFraction) {
      await driver.get(keys.key(chooser.next()));
      return 'read';
    }
    if (workload.batched) {
      const batch = distinctBatch(task.batchSize, chooser, task.keySpace);
      await driver.batchPut(batch.map((i) => [keys.key(i), value] as const));
      return 'write';
    }
    await driver.put(keys.key(chooser.next()), value);
    return 'write';
  };
  const writesPerOp = workload.batched ? task.batchSize : 1;

  const virtualClient = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const t0 = performance.now();
      let kind: 'read' | 'write' | undefined;
      let code: string | undefined;
      try {
        kind = await operation();
      } catch (e) {
        code = errorCode(e);
        // A failure can come back without any I/O; yield so timers (the ticker) still run.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const t1 = performance.now();
      if (t1 >= endAt) return; // finished after the window: drained, not counted
      const into = t1 >= measureAt ? [second, total] : [second];
      for (const c of into) {
        if (code !== undefined) c.error(code);
        else {
          c.ops++;
          if (kind === 'read') c.reads++;
          else c.writes += writesPerOp;
          c.histogram.record((t1 - t0) * 1000);
        }
      }
    }
  };

  const ticker = async (): Promise<void> => {
    const seconds = task.warmupS + task.durationS;
    for (let s = 0; s < seconds; s++) {
      await sleepUntil(startAt + (s + 1) * 1000);
      const c = second;
      second = new Counters();
      const tick: Tick = {
        workerIndex: task.workerIndex,
        second: s,
        ops: c.ops,
        writes: c.writes,
        reads: c.reads,
        errors: c.errors,
        histogram: c.histogram.snapshot(),
      };
      task.port.postMessage(tick);
      if (s === task.warmupS - 1) elu0 = performance.eventLoopUtilization();
      if (s === seconds - 1) elu = performance.eventLoopUtilization(elu0).utilization;
    }
  };

  try {
    await sleepUntil(startAt);
    if (task.warmupS === 0) elu0 = performance.eventLoopUtilization();
    await Promise.all([
      ticker(),
      ...Array.from({ length: task.concurrency }, () => virtualClient()),
    ]);
  } finally {
    task.port.close();
    await driver.close();
  }
  return {
    ops: total.ops,
    writes: total.writes,
    reads: total.reads,
    errors: total.errors,
    histogram: total.histogram.snapshot(),
    eventLoopUtilization: elu,
  };
}

async function load(task: LoadTask): Promise<LoadResult> {
  const keys = new KeyFormat(task.keySpace, task.keyBytes);
  const value = randomValue(task.valueBytes, seededRandom(task.seed));
  const driver: Driver = createDriver(task.connection, task.timeoutMs);
  const errors: Record<string, number> = {};
  let next = task.from;
  let written = 0;
  const loader = async () => {
    while (next < task.to) {
      const from = next;
      const to = Math.min(task.to, from + LOAD_BATCH_KEYS);
      next = to;
      const pairs = [];
      for (let i = from; i < to; i++) pairs.push([keys.key(i), value] as const);
      try {
        await driver.batchPut(pairs);
        written += to - from;
      } catch (e) {
        const code = errorCode(e);
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, loader));
  } finally {
    await driver.close();
  }
  return { keys: written, errors };
}

/** piscina's entry point. */
export default function work(task: RunTask | LoadTask): Promise<RunResult | LoadResult> {
  return task.kind === 'run' ? run(task) : load(task);
}
