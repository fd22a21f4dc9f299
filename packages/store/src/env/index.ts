/**
 * @atoll/store/env: the store's network adapters, for the store server, tests, benchmarks and
 * the simulator: the gRPC and in-process Raft transports, the Kv service adapter and its small
 * client, gRPC server start/stop, channel options, TLS credentials and the transport's limits.
 */

export { crc32 } from './crc32.js';
export {
  GrpcKvClient,
  type GrpcKvClientOptions,
  type GrpcKvClientStats,
  KV_CLIENT_PENDING_MAX,
  KV_CONNECT_TIMEOUT_MS,
  KV_REQUEST_BATCH_MAX,
} from './grpc-kv-client.js';
export {
  createKvService,
  KV_RESPONSE_BATCH_MAX,
  KV_STREAM_INFLIGHT_MAX,
  type KvServiceImpl,
  type KvServiceOptions,
} from './grpc-kv-server.js';
export {
  grpcChannelOptions,
  grpcServerOptions,
  SERVER_CONCURRENT_CALLS_MAX,
} from './grpc-options.js';
export {
  type RunningGrpcServer,
  SERVER_STOP_DEADLINE_MS,
  startGrpcServer,
  startLoopbackGrpcServer,
} from './grpc-server.js';
export type { SnapshotSendHooks } from './grpc-snapshot-sender.js';
export { GrpcRaftTransport, type GrpcTransportOptions, type LinkStats } from './grpc-transport.js';
export {
  createStoreTransportService,
  type StoreTransportServiceImpl,
  type TransportServiceOptions,
} from './grpc-transport-service.js';
export type { KvHandler, KvRequest, KvResponse } from './kv-handler.js';
export {
  type EnvelopeFilter,
  type MemoryHubOptions,
  type MemoryLinkStats,
  MemoryTransportHub,
  type Schedule,
} from './memory-transport.js';
export { ByteRateLimiter, type LimiterClock } from './rate-limiter.js';
export { envelopeBytes } from './send-queue.js';
export { loadTls, type TlsCredentials, type TlsFiles } from './tls.js';
export type { RaftEnvelope, RaftTransport, TransportHandlers } from './transport.js';
export * from './transport-limits.js';
