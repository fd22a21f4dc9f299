/**
 * @atoll/client: range-key operations on an Atoll cluster.
 *
 * @example
 * import { connect } from '@atoll/client';
 * const client = await connect({ pd: ['127.0.0.1:2379'] });
 * await client.put('hello', 'world');
 * console.log((await client.get('hello'))?.toString());
 * await client.close();
 */

export { type Bytes, toBytes } from './bytes.js';
export { AtollClient, type ClientPorts, createClient, DEFAULT_TIMEOUT_MS } from './client.js';
export { type ConnectOptions, connect } from './connect.js';
export { AtollError, ClientErrorCode, isAtollError } from './errors.js';
export { GrpcKvSender } from './grpc-kv-sender.js';
export { GrpcUnaryKvSender } from './grpc-unary-sender.js';
export * as keys from './keys.js';
export { type PdRegionSource, pdLocator } from './pd-locator.js';
export {
  type ClientEnv,
  type KvRequest,
  type KvResponse,
  type KvSender,
  type RegionInfo,
  type RegionLocator,
  type RegionPeerInfo,
  SendError,
  SendFailure,
} from './ports.js';
export type { CallOptions, CasResult, KeyValue, ScanOptions } from './raw-client.js';
export { RegionCache } from './region-cache.js';
export { regionFromProto } from './region-call.js';
export {
  SILENCE_TIMEOUT_MS,
  SocketKvSender,
  type SocketKvTimeouts,
} from './socket-kv-sender.js';
export { staticLocator } from './static-locator.js';
export { REQUEST_RETRY_WINDOW_MS } from './write-intent.js';
