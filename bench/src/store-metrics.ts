/**
 * What the stores say about themselves during a row, from their Prometheus endpoint
 * (/metrics on the status port): writes proposed, the store-side write latency (proposal to
 * applied and durable), how often a loop batch commits and how long a commit (one
 * transaction, one fsync) takes. Read at the edges of the measured window, so the client's
 * latency can be split into time inside the store and time outside it.
 */

/** Counters and histogram sums/counts read from each store (labels summed away). */
export const STORE_METRIC_NAMES = [
  'atoll_store_proposals_total',
  'atoll_store_write_seconds_sum',
  'atoll_store_write_seconds_count',
  'atoll_store_batch_commit_seconds_sum',
  'atoll_store_batch_commit_seconds_count',
  'atoll_store_batch_log_entries_sum',
  'atoll_store_batch_applied_entries_sum',
] as const;

/** Values by metric name, for one process. */
export type MetricValues = ReadonlyMap<string, number>;

/** Sums the samples of the wanted metrics in a Prometheus text exposition. */
export function parsePrometheus(
  text: string,
  wanted: readonly string[] = STORE_METRIC_NAMES,
): Map<string, number> {
  const want = new Set(wanted);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !want.has(m[1]!)) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}

/** One store over a row's measured window. */
export interface StoreStats {
  readonly name: string;
  readonly proposalsPerSec: number;
  /** Mean time from proposal to applied and durable, inside the leader's store. */
  readonly writeMs: number | undefined;
  readonly batchCommitsPerSec: number;
  /** Mean time to commit one loop batch (one LMDB transaction, one fsync). */
  readonly batchCommitMs: number | undefined;
  /** Mean log entries appended per batch commit. */
  readonly entriesPerBatch: number | undefined;
  /** Mean entries applied per batch commit. */
  readonly appliedPerBatch: number | undefined;
}

/** Stats of one store between two readings `seconds` apart. */
export function storeStatsBetween(
  name: string,
  a: MetricValues,
  b: MetricValues,
  seconds: number,
): StoreStats {
  const d = (k: (typeof STORE_METRIC_NAMES)[number]) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const ratio = (x: number, y: number) => (y > 0 ? x / y : undefined);
  const commits = d('atoll_store_batch_commit_seconds_count');
  const s = Math.max(1e-3, seconds);
  const ms = (v: number | undefined) => (v === undefined ? undefined : v * 1000);
  return {
    name,
    proposalsPerSec: d('atoll_store_proposals_total') / s,
    writeMs: ms(ratio(d('atoll_store_write_seconds_sum'), d('atoll_store_write_seconds_count'))),
    batchCommitsPerSec: commits / s,
    batchCommitMs: ms(ratio(d('atoll_store_batch_commit_seconds_sum'), commits)),
    entriesPerBatch: ratio(d('atoll_store_batch_log_entries_sum'), commits),
    appliedPerBatch: ratio(d('atoll_store_batch_applied_entries_sum'), commits),
  };
}
