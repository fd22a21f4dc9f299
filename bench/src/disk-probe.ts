/**
 * A short probe of the disk the stores write to, printed with the conditions: on one machine
 * the same build's writes/s follow the disk's sync latency and its random-write bandwidth
 * (an LMDB flush writes each page a batch dirtied, a random put about one 4 KiB page).
 * Synchronous, run before any cluster starts, so that nothing else shares the disk.
 */

import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskProbe {
  /** Median time of writing one 4 KiB page and fdatasync. */
  readonly syncMs: number;
  /** 16 random 4 KiB pages per fdatasync, in MB/s. */
  readonly randomMBps: number;
  /** 16 consecutive 4 KiB pages per fdatasync, in MB/s. */
  readonly sequentialMBps: number;
}

const PAGE = 4096;
const FILE_BYTES = 32 * 1024 * 1024;
const PAGES_PER_SYNC = 16;

/** Probes the disk under `dir` for about `budgetMs` (plus writing a 32 MiB file once). */
export function probeDisk(
  dir: string,
  budgetMs = 1_500,
  random: () => number = Math.random,
): DiskProbe {
  const folder = mkdtempSync(join(dir, 'atoll-disk-probe-'));
  const fd = openSync(join(folder, 'probe'), 'w+');
  try {
    // Preallocated, so that a sync has only data to write (as LMDB's pages and the log's).
    const zeroes = Buffer.alloc(1024 * 1024);
    for (let at = 0; at < FILE_BYTES; at += zeroes.length)
      writeSync(fd, zeroes, 0, zeroes.length, at);
    fdatasyncSync(fd);
    const page = Buffer.alloc(PAGE, 0x5a);
    const pages = FILE_BYTES / PAGE;
    const part = budgetMs / 3;

    const syncs: number[] = [];
    for (const end = performance.now() + part; performance.now() < end; ) {
      const t = performance.now();
      writeSync(fd, page, 0, PAGE, Math.floor(random() * pages) * PAGE);
      fdatasyncSync(fd);
      syncs.push(performance.now() - t);
    }
    syncs.sort((a, b) => a - b);

    const rate = (offsetOf: (i: number) => number): number => {
      let written = 0;
      let n = 0;
      const start = performance.now();
      for (const end = start + part; performance.now() < end; ) {
        for (let i = 0; i < PAGES_PER_SYNC; i++) writeSync(fd, page, 0, PAGE, offsetOf(n++));
        fdatasyncSync(fd);
        written += PAGES_PER_SYNC * PAGE;
      }
      return written / ((performance.now() - start) / 1000) / 1e6;
    };
    return {
      syncMs: syncs[Math.floor(syncs.length / 2)] ?? 0,
      randomMBps: rate(() => Math.floor(random() * pages) * PAGE),
      sequentialMBps: rate((i) => (i % pages) * PAGE),
    };
  } finally {
    closeSync(fd);
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The probe as a condition line. */
export function describeDiskProbe(p: DiskProbe): string {
  return (
    `one 4 KiB page + fdatasync ${p.syncMs.toFixed(2)} ms (median); ` +
    `${PAGES_PER_SYNC} random 4 KiB pages per fdatasync ${p.randomMBps.toFixed(1)} MB/s; ` +
    `${PAGES_PER_SYNC} consecutive ${p.sequentialMBps.toFixed(1)} MB/s ` +
    '(probed before the run, nothing else running)'
  );
}
