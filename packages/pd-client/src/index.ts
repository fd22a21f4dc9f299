/**
 * @atoll/pd-client: the placement driver client used by stores and the client library. It
 * follows the PD leader, batches timestamp requests on one stream, and carries region
 * heartbeats and the scheduling commands PD pushes back. See README.md.
 */

export { Backoff } from './backoff.js';
export {
  fromWireError,
  isPdClientError,
  PdClientError,
  PdClientErrorCode,
} from './errors.js';
export type { HeartbeatStats, RegionCommandHandler } from './heartbeat-stream.js';
export * from './limits.js';
export {
  PdClient,
  type PdClientOptions,
  type PdClientStats,
  type RegionAndLeader,
} from './pd-client.js';
export type { Timestamp, TsoStats } from './tso-batcher.js';
