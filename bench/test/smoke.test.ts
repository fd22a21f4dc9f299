/**
 * One short real run (3 store processes, worker threads, tiny rows) that checks the shape of
 * the report and its files, never its speed. Does not need etcd: it asks for etcd from a
 * binary that does not exist and checks the run says it skipped those rows.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAll } from '@atoll/store/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../src/bench-run.js';
import { LiveLine } from '../src/live-line.js';
import { parseBenchArgs } from '../src/options.js';
import type { Report } from '../src/report.js';

const out = mkdtempSync(join(tmpdir(), 'atoll-bench-smoke-'));
afterAll(() => {
  killAll();
  rmSync(out, { recursive: true, force: true });
});

describe('bench smoke run', () => {
  it('runs tiny rows and writes a report of the right shape', async () => {
    const opts = parseBenchArgs([
      '--workload',
      'batch-put,ycsb-b',
      '--concurrency',
      '4',
      '--duration',
      '1',
      '--warmup',
      '1',
      '--cluster-warmup',
      '1',
      '--key-space',
      '2000',
      '--batch-size',
      '10',
      '--workers',
      '2',
      '--vs',
      'etcd',
      '--etcd-bin',
      join(out, 'no-etcd-here'),
      '--no-live',
      '--out',
      out,
    ]);
    const quiet = new LiveLine(false, {
      write: () => true,
      isTTY: false,
    } as unknown as NodeJS.WriteStream);
    const { report, dir, markdown } = await runBench(opts, quiet);

    expect(report.rows.map((r) => [r.system, r.workload, r.concurrency])).toEqual([
      ['atoll', 'batch-put', 4],
      ['atoll', 'ycsb-b', 4],
    ]);
    for (const r of report.rows) {
      expect(r.ops).toBeGreaterThan(0);
      expect(r.workers).toBe(2);
      expect(r.connections).toBe(6);
      expect(r.latencyMs.p50).toBeGreaterThan(0);
      expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
      expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
      expect(r.cpu.processes.map((p) => p.name)).toEqual(['store-1', 'store-2', 'store-3']);
      expect(r.cpu.workerBusy).toHaveLength(2);
      expect(r.series.filter((p) => p.warmup)).toHaveLength(1);
      expect(r.series.filter((p) => !p.warmup)).toHaveLength(1);
      expect(r.ratioVsEtcd).toBeUndefined();
      expect(r.storeStats.map((s) => s.name)).toEqual(['store-1', 'store-2', 'store-3']);
      expect(r.storeStats.some((s) => s.batchCommitsPerSec > 0)).toBe(true);
    }
    expect(report.rows[0]!.writes).toBe(report.rows[0]!.ops * 10);
    expect(report.rows[0]!.distribution).toBe('uniform');
    // YCSB B: 95% reads of the loaded keys, 5% single-key puts.
    expect(report.rows[1]!.reads).toBeGreaterThan(0);
    expect(report.rows[1]!.reads + report.rows[1]!.writes).toBe(report.rows[1]!.ops);
    expect(report.rows[1]!.distribution).toBe('zipfian');
    expect(report.notes.some((n) => n.startsWith('etcd rows skipped'))).toBe(true);
    expect(report.notes.some((n) => /loaded 2,000 keys/.test(n))).toBe(true);
    for (const k of [
      'cores',
      'load average (1/5/15 min)',
      'key space',
      'value size',
      'concurrency',
      'batch size',
      'atoll durability',
      'atoll replicas',
      'atoll regions',
      'regions (pre-split)',
      'duration',
      'warm-up',
      'cluster warm-up',
      'disk',
      'versions',
    ])
      expect(report.conditions, k).toHaveProperty([k]);
    expect(report.conditions['cluster warm-up']).toMatch(/^1 s of uniform puts at concurrency 64/);

    for (const f of ['report.json', 'report.md', 'chart.svg'])
      expect(existsSync(join(dir, f))).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    expect(json.rows).toHaveLength(2);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe(markdown);
    expect(readFileSync(join(dir, 'chart.svg'), 'utf8').startsWith('<svg')).toBe(true);
  });
});
