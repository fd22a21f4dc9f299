/**
 * The report of a run: conditions, one row per (system, workload, regions, concurrency), the
 * ratio Atoll/etcd per row, the issue's targets (reported, never asserted), profile summaries,
 * and its rendering as markdown. The same object is written as JSON.
 */

import type { ConditionValue } from './cluster-target.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { RowResult } from './row-runner.js';
import type { StoreStats } from './store-metrics.js';

/** Version of the JSON layout, bumped when a field changes meaning. */
export const REPORT_FORMAT = 1;
/**
 * A worker whose event loop is this busy cannot send faster: its row measured the generator
 * as much as the cluster, and the report says so.
 */
export const GENERATOR_BOUND_BUSY = 0.9;

/** A row as reported: the result plus its etcd ratio and profiles. */
export interface ReportRow extends RowResult {
  /** (writes + reads)/s of this Atoll row over the etcd row with the same workload and concurrency. */
  readonly ratioVsEtcd: number | undefined;
  /** Index of that etcd row. */
  readonly etcdRow: number | undefined;
  /** CPU profiles of the stores during this row (with --profile). */
  readonly profiles: readonly ProfileSummary[];
}

/** One of the issue's targets and what this run measured for it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: the run has no row for it. */
  readonly met: boolean | undefined;
}

/** The whole report, written as report.json. */
export interface Report {
  readonly format: number;
  readonly title: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly conditions: Record<string, ConditionValue>;
  readonly notes: readonly string[];
  readonly rows: readonly ReportRow[];
  readonly targets: readonly TargetCheck[];
  /** Row indexes of the best and worst Atoll rows by keys/s (for the profile summaries). */
  readonly bestRow: number | undefined;
  readonly worstRow: number | undefined;
  readonly files: Record<string, string>;
}

/** Keys per second of a row: keys written plus keys read. */
export const keysPerSec = (r: RowResult) => r.writesPerSec + r.readsPerSec;

/** Adds the Atoll/etcd ratio to each Atoll row that has an etcd twin. */
export function withRatios(
  rows: readonly RowResult[],
  profiles: ReadonlyMap<number, readonly ProfileSummary[]> = new Map(),
): ReportRow[] {
  return rows.map((r) => {
    const twin =
      r.system === 'atoll'
        ? rows.find(
            (e) =>
              e.system === 'etcd' && e.workload === r.workload && e.concurrency === r.concurrency,
          )
        : undefined;
    const ratio = twin && keysPerSec(twin) > 0 ? keysPerSec(r) / keysPerSec(twin) : undefined;
    return {
      ...r,
      ratioVsEtcd: ratio,
      etcdRow: twin?.index,
      profiles: profiles.get(r.index) ?? [],
    };
  });
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The issue's targets, each with what this run measured (never asserted). */
export function checkTargets(rows: readonly ReportRow[], valueBytes: number): TargetCheck[] {
  const atoll = (w: string, c: number) =>
    rows
      .filter((r) => r.system === 'atoll' && r.workload === w && r.concurrency === c)
      .sort((a, b) => keysPerSec(b) - keysPerSec(a))[0];
  const note = valueBytes === 128 ? '' : ` (values are ${valueBytes} bytes, the target says 128)`;
  const out: TargetCheck[] = [];
  const put256 = atoll('put', 256);
  out.push({
    target: 'single-key puts, 128-byte values, concurrency 256: >= 20,000 writes/s',
    measured: put256
      ? `${int(put256.writesPerSec)} writes/s (row #${put256.index})${note}`
      : 'no such row',
    met: put256 ? put256.writesPerSec >= 20_000 : undefined,
  });
  out.push({
    target: "the same row: >= 5x etcd's one-put-per-request row",
    measured:
      put256?.ratioVsEtcd !== undefined
        ? `${put256.ratioVsEtcd.toFixed(2)}x (rows #${put256.index} / #${put256.etcdRow})`
        : 'no etcd row',
    met: put256?.ratioVsEtcd !== undefined ? put256.ratioVsEtcd >= 5 : undefined,
  });
  const batchRows = rows.filter(
    (r) => r.system === 'atoll' && r.workload === 'batch-put' && r.ratioVsEtcd !== undefined,
  );
  const batch = batchRows.find((r) => r.concurrency === 256) ?? batchRows.at(-1);
  out.push({
    target: "batched puts: >= etcd's batched-transaction row",
    measured: batch
      ? `${batch.ratioVsEtcd!.toFixed(2)}x at concurrency ${batch.concurrency} (rows #${batch.index} / #${batch.etcdRow})`
      : 'no batched row with an etcd twin',
    met: batch ? batch.ratioVsEtcd! >= 1 : undefined,
  });
  const put1 = atoll('put', 1);
  out.push({
    target: 'concurrency 1: p50 latency <= 2 ms',
    measured: put1 ? `${ms(put1.latencyMs.p50)} ms (row #${put1.index})` : 'no such row',
    met: put1 ? put1.latencyMs.p50 <= 2 : undefined,
  });
  return out;
}

/** Best and worst Atoll rows by keys/s. */
export function bestAndWorst(rows: readonly RowResult[]): [number | undefined, number | undefined] {
  const atoll = rows
    .filter((r) => r.system === 'atoll')
    .sort((a, b) => keysPerSec(b) - keysPerSec(a));
  return [atoll[0]?.index, atoll.at(-1)?.index];
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function resultsTable(rows: readonly ReportRow[]): string {
  return table(
    [
      '#',
      'system',
      'workload',
      'keys',
      'regions',
      'conc.',
      'conn.',
      'ops/s',
      'writes/s',
      'reads/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'errors',
      'Atoll/etcd',
      'cluster CPU %',
      'generator CPU %',
      'workers busy %',
      'load 1m',
    ],
    rows.map((r) => [
      String(r.index),
      r.system,
      r.mode,
      r.distribution,
      r.regions === undefined ? '-' : String(r.regions),
      String(r.concurrency),
      String(r.connections),
      int(r.opsPerSec),
      int(r.writesPerSec),
      int(r.readsPerSec),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p90),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      int(r.errorCount),
      r.ratioVsEtcd === undefined ? '-' : `${r.ratioVsEtcd.toFixed(2)}x`,
      r.cpu.processes
        .map((p) => (p.percent === undefined ? '?' : p.percent.toFixed(0)))
        .join('/') || '-',
      r.cpu.generatorPercent.toFixed(0),
      r.cpu.workerBusy.map((b) => (b * 100).toFixed(0)).join('/'),
      r.load1.toFixed(2),
    ]),
  );
}

function profileSection(title: string, row: ReportRow | undefined): string[] {
  if (!row || row.profiles.length === 0) return [];
  const out = [
    `### ${title}: row #${row.index} (${row.system} ${row.mode}, concurrency ${row.concurrency}, ${int(keysPerSec(row))} keys/s)`,
    '',
  ];
  for (const p of row.profiles) {
    out.push(
      `**${p.file}**: ${(p.sampledMs / 1000).toFixed(1)} s sampled ` +
        `(${p.windowed ? 'the measured window' : 'the whole process, start-up included'}), ` +
        `idle ${p.idlePercent.toFixed(0)}%. ` +
        'Self time, % of busy time, by area: ' +
        p.areas
          .slice(0, 8)
          .map((a) => `${a.area} ${a.percent.toFixed(1)}%`)
          .join(', '),
      '',
      table(
        ['function', 'where', '% busy'],
        p.top.map((f) => [f.fn, f.where, f.percent.toFixed(1)]),
      ),
      '',
    );
  }
  return out;
}

/** The report as markdown (report.md, and what is printed at the end). */
export function renderMarkdown(report: Report): string {
  const rows = report.rows;
  const out: string[] = [
    `# ${report.title}`,
    '',
    `Started ${report.startedAt}, finished ${report.finishedAt}.`,
    '',
  ];
  for (const n of report.notes) out.push(`> ${n}`, '');
  out.push(
    '## Conditions',
    '',
    table(
      ['condition', 'value'],
      Object.entries(report.conditions).map(([k, v]) => [k, String(v)]),
    ),
    '',
  );
  out.push(
    '## Results',
    '',
    'Throughput counts operations completed in the measured window; writes/s counts keys ' +
      '(a batch of 100 is 100 writes). Latency of successful operations (HDR histogram, 3 ' +
      'significant digits). CPU is % of one core over the measured window, per process ' +
      '(cluster: stores or etcd members in order; generator: the harness process, all threads). ' +
      'Workers busy: event-loop utilization of each load thread (near 100 = the generator limits).',
    '',
    resultsTable(rows),
    '',
  );
  const busy = rows.filter((r) => r.cpu.workerBusy.some((b) => b >= GENERATOR_BOUND_BUSY));
  if (busy.length > 0)
    out.push(
      `Generator-bound rows (a worker's event loop was >= ${GENERATOR_BOUND_BUSY * 100}% busy, so ` +
        `the load generator may have set the pace, not the cluster): ${busy.map((r) => `#${r.index}`).join(', ')}. ` +
        'More --workers help only where cores are free.',
      '',
    );
  const inside = rows.filter((r) => r.storeStats.length > 0);
  if (inside.length > 0) {
    const per = (r: ReportRow, f: (s: StoreStats) => number | undefined, digits: number) =>
      r.storeStats.map((s) => f(s)?.toFixed(digits) ?? '-').join('/');
    out.push(
      '## Inside the stores',
      '',
      "From each store's /metrics over the measured window, per store in order. Store write " +
        'latency runs from proposal to applied and durable on the leader; the rest of the ' +
        "client's latency is spent outside (client, gRPC, queues). A batch commit is one LMDB " +
        'transaction with one fsync.',
      '',
      table(
        [
          '#',
          'workload',
          'conc.',
          'client p50 ms',
          'store write ms (mean)',
          'proposals/s',
          'batch commits/s',
          'commit ms (mean)',
          'entries/batch',
          'applied/batch',
        ],
        inside.map((r) => [
          String(r.index),
          r.mode,
          String(r.concurrency),
          ms(r.latencyMs.p50),
          per(r, (s) => s.writeMs, 2),
          per(r, (s) => s.proposalsPerSec, 0),
          per(r, (s) => s.batchCommitsPerSec, 0),
          per(r, (s) => s.batchCommitMs, 2),
          per(r, (s) => s.entriesPerBatch, 1),
          per(r, (s) => s.appliedPerBatch, 1),
        ]),
      ),
      '',
    );
  }
  const errorRows = rows.flatMap((r) =>
    Object.entries(r.errors).map(([code, n]) => [String(r.index), code, int(n)]),
  );
  out.push(
    '## Errors by code',
    '',
    errorRows.length ? table(['row', 'code', 'count'], errorRows) : 'None.',
    '',
  );
  out.push(
    '## Targets (measured here, reported, never asserted)',
    '',
    table(
      ['target', 'measured', 'met'],
      report.targets.map((t) => [
        t.target,
        t.measured,
        t.met === undefined ? '-' : t.met ? 'yes' : 'no',
      ]),
    ),
    '',
  );
  const byIndex = (i: number | undefined) => rows.find((r) => r.index === i);
  const prof = [
    ...profileSection('Best Atoll row', byIndex(report.bestRow)),
    ...(report.worstRow !== report.bestRow
      ? profileSection('Worst Atoll row', byIndex(report.worstRow))
      : []),
  ];
  out.push(
    '## Where the time goes',
    '',
    ...(prof.length ? prof : ['No profiles (run with --profile).', '']),
  );
  out.push('## Files', '', ...Object.entries(report.files).map(([k, v]) => `- ${k}: ${v}`), '');
  return out.join('\n');
}
