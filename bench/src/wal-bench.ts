/**
 * The write-ahead log alone (packages/storage WriteAheadLog, not yet wired into the store):
 * how fast a durable append is on this machine. Rows: one appender waiting for each append;
 * many appenders at once (group commit: one write + one fdatasync per batch); and three logs
 * in three folders at once, each with one appender, as three stores on one disk would be.
 * Compare with the LMDB commit times in docs/benchmarks.md ("what bounds a commit").
 *
 *   pnpm bench:wal [--seconds 5] [--payload-bytes 128] [--appenders 64]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WAL_SEGMENT_BYTES_DEFAULT, WriteAheadLog } from '@atoll/storage';
import { Command } from 'commander';
import {
  fileSystemOf,
  loadAverage,
  machineConditions,
  osRelease,
  printConditions,
  printTable,
} from './conditions.js';
import { positiveInt } from './options.js';

interface Flags {
  seconds: number;
  payloadBytes: number;
  appenders: number;
}

function parseFlags(): Flags {
  return new Command('bench:wal')
    .description('durable appends per second and their latency, write-ahead log alone')
    .option('--seconds <n>', 'seconds per row', positiveInt, 5)
    .option('--payload-bytes <n>', 'bytes per record', positiveInt, 128)
    .option('--appenders <n>', 'concurrent appenders in the group-commit row', positiveInt, 64)
    .showHelpAfterError()
    .parse(process.argv)
    .opts<Flags>();
}

/** Runs `appenders` loops on each log for `seconds`; returns appends/s and latency quantiles. */
async function row(
  logs: number,
  appenders: number,
  f: Flags,
): Promise<Record<string, string | number>> {
  const dirs = Array.from({ length: logs }, () => mkdtempSync(join(tmpdir(), 'atoll-wal-bench-')));
  try {
    const wals = await Promise.all(dirs.map((d) => WriteAheadLog.open(d)));
    const payload = new Uint8Array(f.payloadBytes).fill(120);
    const latencies: number[] = [];
    const end = performance.now() + f.seconds * 1000;
    const loop = async (wal: WriteAheadLog) => {
      while (performance.now() < end) {
        const t = performance.now();
        await wal.append(payload);
        latencies.push(performance.now() - t);
      }
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(wals.flatMap((w) => Array.from({ length: appenders }, () => loop(w))));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await Promise.all(wals.map((w) => w.close()));
    latencies.sort((a, b) => a - b);
    const q = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    return {
      logs,
      'appenders per log': appenders,
      'appends/s (all logs)': Math.round(latencies.length / elapsed),
      'p50 ms': q(0.5).toFixed(2),
      'p99 ms': q(0.99).toFixed(2),
      'max ms': latencies[latencies.length - 1]!.toFixed(2),
      'CPU % of one core': ((100 * (cpu.user + cpu.system)) / 1e6 / elapsed).toFixed(0),
    };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

const f = parseFlags();
printConditions('Write-ahead log', {
  ...machineConditions(),
  os: osRelease(),
  loadAverageAtStart: loadAverage(),
  dataFolder: `${tmpdir()} (${fileSystemOf(tmpdir())})`,
  durability: 'each append resolves after write + fdatasync of a preallocated segment',
  segmentBytes: WAL_SEGMENT_BYTES_DEFAULT,
  payloadBytes: f.payloadBytes,
  secondsPerRow: f.seconds,
  process: 'one Node process (three logs share its event loop and libuv thread pool)',
});
const rows = [];
for (const [logs, appenders] of [
  [1, 1],
  [1, f.appenders],
  [3, 1],
  [3, f.appenders],
] as const) {
  console.error(`${logs} log(s), ${appenders} appender(s) each...`);
  rows.push(await row(logs, appenders, f));
}
printTable(rows);
