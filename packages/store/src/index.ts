/**
 * @atoll/store: the store node. A Store hosts many region peers over injected storage,
 * transport and environment; env/ holds the production adapters.
 */

export { AdminService } from './admin-service.js';
export { SPLIT_INIT_INDEX } from './apply.js';
export { EngineStoreStorage } from './engine-storage.js';
export { type DataDirLock, lockDataDir } from './env/data-dir-lock.js';
export type { KvHandler, KvRequest, KvResponse } from './env/kv-handler.js';
export { nodeEnv } from './env/node-env.js';
export { type StatusServer, startStatusServer, storeStatus } from './env/status-server.js';
export { loadTls, type TlsCredentials, type TlsFiles } from './env/tls.js';
export type { RaftEnvelope, RaftTransport, TransportHandlers } from './env/transport.js';
export { isStoreError, StoreError, StoreErrorCode } from './errors.js';
export { KvService } from './kv-service.js';
export * from './limits.js';
export { StoreMetrics } from './metrics.js';
export { PD_WORKER_DEFAULTS, type PdPort, PdWorker, type PdWorkerOptions } from './pd-worker.js';
export {
  compareBytes,
  type Epoch,
  fromProtoRegion,
  keyInRegion,
  type PeerMeta,
  type RegionMeta,
  toProtoRegion,
} from './region.js';
export {
  evenRegions,
  parseStaticCluster,
  type StaticCluster,
  type StaticStore,
} from './static-cluster.js';
export type {
  KeyValue,
  RegionLog,
  RegionState,
  ScanOptions,
  StoreBatch,
  StoreStorage,
} from './storage-port.js';
export { type RequestRoute, Store, type StoreDeps } from './store.js';
export {
  nodeFlagsFor,
  STORE_DEFAULTS,
  STORE_NODE_FLAGS,
  type StoreConfig,
} from './store-config.js';
export type { StoreEnv } from './store-env.js';
