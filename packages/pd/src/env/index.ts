/**
 * @atoll/pd/server: a PD member as a server (the wiring of the deterministic core to its
 * Raft-replicated metadata region, gRPC, timers and a status port). See README.md, "Wiring".
 */

export {
  CLUSTER_ID_FILE,
  DEFAULT_CLUSTER_TOKEN,
  deriveClusterId,
  loadOrRecordClusterId,
} from './cluster-id.js';
export { HEARTBEAT_STREAMS_MAX } from './heartbeat-streams.js';
export {
  checkMembers,
  formatInitialCluster,
  PD_MEMBERS_MAX,
  type PdMember,
  parseInitialCluster,
} from './initial-cluster.js';
export { CLOCK_RATE_BOUND, leaseMs, PdLeadership } from './pd-leadership.js';
export { PdMetrics } from './pd-metrics.js';
export {
  membersOf,
  type PdServerOptions,
  pdRegion,
  type RunningPd,
  SCHEDULE_INTERVAL_MS,
  splitHostPort,
  startPdServer,
  TSO_TICK_MS,
} from './pd-server.js';
export type { PdServerLogger } from './pd-service-context.js';
export { TSO_STREAM_PENDING_MAX } from './pd-stream-handlers.js';
export { MetaWriteError, PD_REGION_ID, RegionMetaStorage } from './region-meta-storage.js';
