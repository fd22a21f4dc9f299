/**
 * CPU used by processes over a window, as a percentage of one core (100 = one core busy the
 * whole time; on 2 cores the most is 200). Read from /proc, so Linux only.
 */

import { cpuSeconds } from '@atoll/store/testing';
import type { MeasuredProcess } from './cluster-target.js';

/** CPU seconds of each process at one instant. */
export interface CpuSample {
  readonly atMs: number;
  readonly seconds: ReadonlyMap<number, number>;
  /** This process (main thread and every worker thread), user + system seconds. */
  readonly generatorSeconds: number;
}

/** A process's CPU over a window. */
export interface ProcessCpu {
  readonly name: string;
  /** % of one core over the window; undefined if the process was gone. */
  readonly percent: number | undefined;
}

/** Reads the CPU seconds of the processes and of this process now. */
export function sampleCpu(processes: readonly MeasuredProcess[]): CpuSample {
  const seconds = new Map<number, number>();
  for (const p of processes) {
    try {
      seconds.set(p.pid, cpuSeconds(p.pid));
    } catch {
      // the process is gone; its CPU is reported as unknown
    }
  }
  const u = process.cpuUsage();
  return { atMs: Date.now(), seconds, generatorSeconds: (u.user + u.system) / 1e6 };
}

/** CPU % of one core of each process, and of the generator, between two samples. */
export function cpuBetween(
  processes: readonly MeasuredProcess[],
  a: CpuSample,
  b: CpuSample,
): { processes: ProcessCpu[]; generatorPercent: number } {
  const wall = Math.max(1e-3, (b.atMs - a.atMs) / 1000);
  const pct = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined ? undefined : ((y - x) / wall) * 100;
  return {
    processes: processes.map((p) => ({
      name: p.name,
      percent: pct(a.seconds.get(p.pid), b.seconds.get(p.pid)),
    })),
    generatorPercent: ((b.generatorSeconds - a.generatorSeconds) / wall) * 100,
  };
}
