/**
 * The benchmark harness's errors: one catalog with stable codes (docs/errors.md lists them).
 * They describe a run that cannot be set up as asked; a failing operation inside a run is not
 * an error of the harness but a counted result (errors by code in the report).
 */

/** Stable codes of the harness's errors. */
export const BenchErrorCode = {
  /** An option is invalid or options contradict each other; nothing was started. */
  InvalidArgument: 'BENCH_ERR_INVALID_ARGUMENT',
  /** The workload needs something this build does not have yet (transactions). */
  Unsupported: 'BENCH_ERR_UNSUPPORTED',
  /** `--target host:port,...` needs the placement driver to find regions (not there yet). */
  TargetNeedsPd: 'BENCH_ERR_TARGET_NEEDS_PD',
  /** A cluster (Atoll or etcd) did not start or did not become ready in time. */
  ClusterStart: 'BENCH_ERR_CLUSTER_START',
  /** The load generator failed (a worker crashed): the row's numbers would be wrong. */
  Worker: 'BENCH_ERR_WORKER',
} as const;

/** One of BenchErrorCode's values. */
export type BenchErrorCode = (typeof BenchErrorCode)[keyof typeof BenchErrorCode];

/** An error of the harness itself, with a stable code. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Shorthand for the most common one. */
export function invalidArgument(message: string): BenchError {
  return new BenchError(BenchErrorCode.InvalidArgument, message);
}
