/**
 * @atoll/pd: the placement driver's deterministic core. Cluster metadata, schedulers and
 * operators, id allocation, the timestamp oracle; storage and time are injected. See
 * README.md for the operator model and what the wiring layer provides.
 */

export { AssertionError, assert } from './assert.js';
export type { Clock } from './clock.js';
export { ClusterMeta } from './cluster/cluster-meta.js';
export { LOAD_SCAN_BATCH, loadClusterMeta } from './cluster/cluster-meta-loader.js';
export type {
  DownPeer,
  RegionHeartbeat,
  RegionInfo,
  RegionWithLeader,
} from './cluster/region-info.js';
export { type RangeEntry, RegionTree } from './cluster/region-tree.js';
export type { StoreInfo, StoreStats } from './cluster/store-info.js';
export { PD_DEFAULTS, type PdConfig, type PdConfigInput, resolveConfig } from './config.js';
export { systemClock } from './env/system-clock.js';
export { isPdError, PdError, PdErrorCode, type PdErrorDetails } from './errors.js';
export { GcSafePoint } from './gc-safe-point.js';
export {
  FIRST_ID,
  ID_ALLOC_MAX_COUNT,
  ID_PERSIST_STEP,
  IdAllocator,
  type IdRange,
} from './id/id-allocator.js';
export { ID_POOL_TARGET, IdPool } from './id/id-pool.js';
export { type PdLogger, silentLogger } from './logger.js';
export * from './meta/index.js';
export { Operator, type OperatorSpec, type OperatorStatus } from './operator/operator.js';
export {
  OPERATOR_HISTORY_MAX,
  OperatorController,
  type OperatorStats,
  type StoreInfluence,
} from './operator/operator-controller.js';
export {
  describeStep,
  type OperatorStep,
  type RegionCommand,
  type ScheduleCommand,
} from './operator/step.js';
export {
  type OperatorsStatus,
  PlacementDriver,
  type PlacementDriverOptions,
  SCAN_REGIONS_MAX,
  type SplitIds,
} from './placement-driver.js';
export { ClusterView, type StoreHealth } from './schedule/cluster-view.js';
export {
  SCHEDULER_NAMES,
  SCHEDULER_PRIORITY,
  type SchedulerName,
} from './schedule/scheduler-names.js';
export type { MetaEntry, MetaStorage, MetaWrite } from './storage/meta-storage.js';
export { MetaWriter } from './storage/meta-writer.js';
export {
  compareTimestamps,
  LOGICAL_BITS,
  LOGICAL_PER_MS,
  MAX_PHYSICAL_MS,
  type Timestamp,
  timestampFromValue,
  timestampValue,
} from './tso/timestamp.js';
export {
  TimestampOracle,
  TSO_MAX_BATCH,
  TSO_RENEW_AHEAD_MS,
  TSO_WINDOW_MS,
  type TsoBatch,
} from './tso/tso.js';
