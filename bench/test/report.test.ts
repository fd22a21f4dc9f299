/** The report: ratios, targets, markdown, chart and profile summaries, from made-up rows. */

import { describe, expect, it } from 'vitest';
import { type CpuProfile, summarizeProfile } from '../src/cpu-profile.js';
import {
  bestAndWorst,
  checkTargets,
  REPORT_FORMAT,
  type Report,
  renderMarkdown,
  withRatios,
} from '../src/report.js';
import type { RowResult } from '../src/row-runner.js';
import { parsePrometheus, storeStatsBetween } from '../src/store-metrics.js';
import { niceTicks, renderChart } from '../src/svg-chart.js';

function row(over: Partial<RowResult> & Pick<RowResult, 'index' | 'system'>): RowResult {
  const ops = over.ops ?? 1000;
  return {
    workload: 'put',
    distribution: 'uniform',
    regions: over.system === 'atoll' ? 1 : undefined,
    concurrency: 256,
    mode: 'put',
    workers: 2,
    connections: 6,
    durationS: 10,
    warmupS: 2,
    measuredFromMs: 1_000,
    measuredToMs: 11_000,
    ops,
    writes: ops,
    reads: 0,
    opsPerSec: ops / 10,
    writesPerSec: ops / 10,
    readsPerSec: 0,
    latencyMs: { p50: 1.5, p90: 3, p99: 9.25, max: 40, mean: 2 },
    errors: {},
    errorCount: 0,
    cpu: {
      processes: [
        { name: 'store-1', percent: 80 },
        { name: 'store-2', percent: undefined },
      ],
      generatorPercent: 35,
      workerBusy: [0.5, 0.25],
    },
    load1: 1.25,
    storeStats: [],
    series: [
      { t: 1, warmup: true, opsPerSec: 90, writesPerSec: 90, errors: 0, p50Ms: 1, p99Ms: 5 },
      { t: 2, warmup: false, opsPerSec: 100, writesPerSec: 100, errors: 0, p50Ms: 1.5, p99Ms: 9 },
    ],
    ...over,
  };
}

const rows = [
  row({
    index: 1,
    system: 'atoll',
    ops: 250_000,
    errors: { CLIENT_ERR_TIMEOUT: 3 },
    errorCount: 3,
  }),
  row({ index: 2, system: 'etcd', ops: 20_000 }),
  row({ index: 3, system: 'atoll', workload: 'batch-put', mode: 'batch x100', ops: 1000 }),
  row({ index: 4, system: 'etcd', workload: 'batch-put', mode: 'txn x100', ops: 2000 }),
  row({
    index: 5,
    system: 'atoll',
    concurrency: 1,
    ops: 5000,
    storeStats: [
      {
        name: 'store-1',
        proposalsPerSec: 500,
        writeMs: 1.25,
        batchCommitsPerSec: 900,
        batchCommitMs: 0.5,
        entriesPerBatch: 1.1,
        appliedPerBatch: 0.6,
      },
      {
        name: 'store-2',
        proposalsPerSec: 0,
        writeMs: undefined,
        batchCommitsPerSec: 800,
        batchCommitMs: 0.75,
        entriesPerBatch: 1,
        appliedPerBatch: 0.5,
      },
    ],
  }),
];

function report(): Report {
  const withR = withRatios(rows);
  const [bestRow, worstRow] = bestAndWorst(withR);
  return {
    format: REPORT_FORMAT,
    title: 'Atoll benchmark: test',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    conditions: { cores: 2, 'value size': '128 bytes', 'atoll durability': 'fsync' },
    notes: ['etcd rows skipped: none found'],
    rows: withR,
    targets: checkTargets(withR, 128),
    bestRow,
    worstRow,
    files: { json: '/x/report.json' },
  };
}

describe('report', () => {
  it('pairs each Atoll row with the etcd row of the same workload and concurrency', () => {
    const r = withRatios(rows);
    expect(r[0]!.ratioVsEtcd).toBeCloseTo(12.5);
    expect(r[0]!.etcdRow).toBe(2);
    expect(r[2]!.ratioVsEtcd).toBeCloseTo(0.5);
    expect(r[4]!.ratioVsEtcd).toBeUndefined(); // no etcd row at concurrency 1
    expect(r[1]!.ratioVsEtcd).toBeUndefined(); // etcd rows have no ratio
  });

  it('reports the targets without asserting them', () => {
    const t = checkTargets(withRatios(rows), 128);
    expect(t.map((x) => x.met)).toEqual([true, true, false, true]);
    expect(t[0]!.measured).toContain('25,000 writes/s');
    const none = checkTargets(withRatios([rows[4]!]), 1024);
    expect(none.map((x) => x.met)).toEqual([undefined, undefined, undefined, true]);
  });

  it('finds the best and worst Atoll rows', () => {
    expect(bestAndWorst(rows)).toEqual([1, 3]);
  });

  it('renders markdown with every section, condition and row', () => {
    const md = renderMarkdown(report());
    for (const h of [
      '## Conditions',
      '## Results',
      '## Errors by code',
      '## Targets',
      '## Where the time goes',
      '## Files',
    ])
      expect(md).toContain(h);
    expect(md).toContain('| atoll durability | fsync |');
    expect(md).toContain('> etcd rows skipped');
    expect(md).toContain('| 1 | CLIENT_ERR_TIMEOUT | 3 |');
    expect(md).toContain('12.50x');
    expect(md).toContain('80/?'); // CPU per process, unknown shown as '?'
    expect(md).toContain('## Inside the stores');
    expect(md).toContain(
      '| 5 | put | 1 | 1.50 | 1.25/- | 500/0 | 900/800 | 0.50/0.75 | 1.1/1.0 | 0.6/0.5 |',
    );
    const tableRows = md.split('\n').filter((l) => /^\| \d+ \| (atoll|etcd) \|/.test(l));
    expect(tableRows).toHaveLength(5);
  });

  it('survives a JSON round trip unchanged', () => {
    const r = report();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('draws an SVG with a line per row and a legend', () => {
    const svg = renderChart(withRatios(rows), 'A <title> & more');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('A &lt;title&gt; &amp; more');
    expect(svg).not.toContain('NaN');
    expect((svg.match(/<polyline/g) ?? []).length).toBeGreaterThanOrEqual(rows.length);
    expect(svg).toContain('#5 atoll put c=1 r=1');
    expect(renderChart([], 'empty')).toContain('no data');
  });

  it('picks round axis ticks', () => {
    expect(niceTicks(23_000)).toEqual([0, 5000, 10_000, 15_000, 20_000, 25_000]);
    expect(niceTicks(0)).toEqual([0]);
  });
});

describe('store metrics', () => {
  it('sums the wanted samples of a Prometheus exposition over labels', () => {
    const text = [
      '# HELP atoll_store_proposals_total Client writes proposed to Raft',
      '# TYPE atoll_store_proposals_total counter',
      'atoll_store_proposals_total{store="1"} 120',
      'atoll_store_write_seconds_bucket{le="0.005",store="1"} 3',
      'atoll_store_write_seconds_sum{store="1"} 0.5',
      'atoll_store_write_seconds_count{store="1"} 100',
      'atoll_store_batch_commit_seconds_count{store="1",kind="a"} 10',
      'atoll_store_batch_commit_seconds_count{store="1",kind="b"} 5',
      'other_metric 7',
    ].join('\n');
    const m = parsePrometheus(text);
    expect(m.get('atoll_store_proposals_total')).toBe(120);
    expect(m.get('atoll_store_batch_commit_seconds_count')).toBe(15);
    expect(m.has('atoll_store_write_seconds_bucket')).toBe(false);
    expect(m.has('other_metric')).toBe(false);
  });

  it('turns two readings into rates and means', () => {
    const a = new Map([
      ['atoll_store_proposals_total', 100],
      ['atoll_store_write_seconds_sum', 1],
      ['atoll_store_write_seconds_count', 100],
    ]);
    const b = new Map([
      ['atoll_store_proposals_total', 300],
      ['atoll_store_write_seconds_sum', 1.4],
      ['atoll_store_write_seconds_count', 300],
    ]);
    const s = storeStatsBetween('store-1', a, b, 2);
    expect(s.proposalsPerSec).toBe(100);
    expect(s.writeMs).toBeCloseTo(2);
    expect(s.batchCommitMs).toBeUndefined();
    expect(s.batchCommitsPerSec).toBe(0);
  });
});

describe('CPU profile summary', () => {
  it('splits busy time by area and function, idle apart', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 8000,
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('step', 'file:///repo/packages/raft/dist/raft.js') },
        {
          id: 4,
          callFrame: frame(
            'write',
            'file:///repo/node_modules/.pnpm/@grpc+grpc-js@1.14.7/node_modules/@grpc/grpc-js/build/src/x.js',
          ),
        },
        { id: 5, callFrame: frame('(garbage collector)', '') },
      ],
      samples: [2, 2, 3, 3, 3, 4, 5, 2],
      timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    };
    const s = summarizeProfile(profile, '/tmp/store-1.cpuprofile');
    expect(s.file).toBe('store-1.cpuprofile');
    expect(s.sampledMs).toBe(7);
    // samples 0 and 1 are idle (2 ms), the last sample has no following delta
    expect(s.idlePercent).toBeCloseTo((2 / 7) * 100);
    expect(s.areas[0]).toEqual({ area: 'atoll raft', percent: 60 });
    expect(s.areas.map((a) => a.area)).toContain('gRPC (grpc-js)');
    expect(s.top[0]).toMatchObject({ fn: 'step', where: 'packages/raft/dist/raft.js:10' });
    expect(s.top[1]!.where).toBe('@grpc/grpc-js/build/src/x.js:10');
    expect(s.windowed).toBe(false);

    // The process exited at epoch 10,000 ms, where the profile ends (8 ms on its own clock):
    // the window [9,994, 9,997) ms is profile time [2,000, 5,000) us, samples 2..4 (raft).
    const w = summarizeProfile(profile, 'p', { fromMs: 9_994, toMs: 9_997, exitedAtMs: 10_000 });
    expect(w.windowed).toBe(true);
    expect(w.sampledMs).toBe(3);
    expect(w.areas).toEqual([{ area: 'atoll raft', percent: 100 }]);
  });
});
