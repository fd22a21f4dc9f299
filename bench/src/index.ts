/**
 * @atoll/bench: the benchmark harness as a library, for `atoll bench` and tests. Cluster
 * targets (ClusterTarget) are the seam where other clusters (PD-based, remote) plug in.
 */

export { AtollStaticTarget } from './atoll-static-target.js';
export { defineBenchCommand, runBenchCommand } from './bench-command.js';
export { type BenchRun, runBench } from './bench-run.js';
export type {
  ClusterTarget,
  Connection,
  MeasuredProcess,
} from './cluster-target.js';
export { BenchError, BenchErrorCode } from './errors.js';
export { EtcdTarget, findEtcd } from './etcd-target.js';
export { Histogram } from './histogram.js';
export { LiveLine } from './live-line.js';
export {
  addBenchOptions,
  BENCH_DESCRIPTION,
  type BenchFlags,
  type BenchOptions,
  parseBenchArgs,
  toBenchOptions,
} from './options.js';
export type { Report, ReportRow } from './report.js';
export { StaticFileTarget } from './static-file-target.js';
