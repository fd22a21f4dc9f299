/** Argument handling of `pnpm bench` / `atoll bench`: defaults, parsing, typed errors. */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BenchError, BenchErrorCode } from '../src/errors.js';
import {
  BATCH_SIZE_DEFAULT,
  CLUSTER_WARMUP_S_DEFAULT,
  CONCURRENCY_DEFAULT,
  intList,
  KEY_SPACE_DEFAULT,
  parseBenchArgs,
} from '../src/options.js';

const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof BenchError ? e.code : `not a BenchError: ${e}`;
  }
  return undefined;
}

describe('bench options', () => {
  it('has the defaults the issue asks for, with an explicit key space', () => {
    const o = parseBenchArgs([]);
    expect(o.workloads).toEqual(['put', 'batch-put']);
    expect(o.concurrency).toEqual(CONCURRENCY_DEFAULT);
    expect(CONCURRENCY_DEFAULT).toEqual([1, 16, 64, 256, 1024]);
    expect(o.regions).toEqual([1]);
    expect(o.keySpace).toBe(KEY_SPACE_DEFAULT);
    expect(o.keySpace).toBeGreaterThan(1);
    expect(o.valueBytes).toBe(128);
    expect(o.keyBytes).toBe(16);
    expect(o.batchSize).toBe(BATCH_SIZE_DEFAULT);
    expect(o.keyDistribution).toBeUndefined();
    expect(o.vs).toBeUndefined();
    expect(o.profile).toBe(false);
    expect(o.live).toBe(true);
    expect(o.stores).toBe(3);
    expect(o.clusterWarmupS).toBe(CLUSTER_WARMUP_S_DEFAULT);
    expect(parseBenchArgs(['--cluster-warmup', '0']).clusterWarmupS).toBe(0);
  });

  it('places write-ahead logs under --wal-root, refusing a missing folder or --no-wal', () => {
    expect(parseBenchArgs([]).walRoot).toBeUndefined();
    expect(parseBenchArgs(['--wal-root', dir]).walRoot).toBe(dir);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const args of [
      ['--wal-root', join(dir, 'missing')],
      ['--wal-root', file],
      ['--wal-root', dir, '--no-wal'],
    ]) {
      expect(
        codeOf(() => parseBenchArgs(args)),
        args.join(' '),
      ).toBe(BenchErrorCode.InvalidArgument);
    }
  });

  it('parses lists, numbers and switches', () => {
    const o = parseBenchArgs([
      '--workload',
      'ycsb-a,put',
      '--concurrency',
      '4, 8,8',
      '--regions',
      '1,16',
      '--key-space',
      '5000',
      '--keys',
      'zipfian',
      '--value-bytes',
      '1024',
      '--duration',
      '3',
      '--warmup',
      '0',
      '--vs',
      'etcd',
      '--profile',
      '--no-live',
      '--out',
      dir,
    ]);
    expect(o.workloads).toEqual(['ycsb-a', 'put']);
    expect(o.concurrency).toEqual([4, 8]);
    expect(o.regions).toEqual([1, 16]);
    expect(o.keySpace).toBe(5000);
    expect(o.keyDistribution).toBe('zipfian');
    expect(o.valueBytes).toBe(1024);
    expect(o.durationS).toBe(3);
    expect(o.warmupS).toBe(0);
    expect(o.vs).toBe('etcd');
    expect(o.profile).toBe(true);
    expect(o.live).toBe(false);
    expect(o.out).toBe(dir);
  });

  it('refuses bad values with one typed error each', () => {
    const bad = [
      ['--concurrency', '0'],
      ['--concurrency', '1,,2'],
      ['--concurrency', 'many'],
      ['--workload', 'scan'],
      ['--keys', 'normal'],
      ['--vs', 'redis'],
      ['--duration', '1.5'],
      ['--zipf-theta', '1'],
      ['--key-space', '8', '--regions', '16'],
      ['--key-space', '10', '--batch-size', '100'],
      ['--no-such-flag'],
    ];
    for (const args of bad)
      expect(
        codeOf(() => parseBenchArgs(args)),
        args.join(' '),
      ).toBe(BenchErrorCode.InvalidArgument);
  });

  it('says transactions are not there yet', () => {
    expect(codeOf(() => parseBenchArgs(['--workload', 'txn']))).toBe(BenchErrorCode.Unsupported);
  });

  it('takes a static cluster file as target; addresses need the placement driver', () => {
    const file = join(dir, 'cluster.json');
    writeFileSync(file, '{}');
    expect(parseBenchArgs(['--target', file]).target).toEqual({ kind: 'static-file', path: file });
    expect(codeOf(() => parseBenchArgs(['--target', '127.0.0.1:20160,127.0.0.1:20161']))).toBe(
      BenchErrorCode.TargetNeedsPd,
    );
    expect(codeOf(() => parseBenchArgs(['--target', join(dir, 'missing.json')]))).toBe(
      BenchErrorCode.InvalidArgument,
    );
    expect(codeOf(() => parseBenchArgs(['--target', file, '--regions', '4']))).toBe(
      BenchErrorCode.InvalidArgument,
    );
  });

  it('intList drops duplicates and keeps order', () => {
    expect(intList('256,1,256')).toEqual([256, 1]);
  });
});
