/**
 * What the client-facing KV server adapter (grpc-kv-server.ts) calls into: the store's
 * request handling, independent of gRPC.
 */

import type { atoll } from '@atoll/proto';

export type KvRequest = atoll.kv.IKvRequest;
export type KvResponse = atoll.kv.IKvResponse;

export interface KvHandler {
  /**
   * Handles one request; the promise resolves with its response (which may carry a region
   * error or an error). Requests from one stream may be handled concurrently and answered
   * out of order; the response carries the request's id.
   */
  handle(request: KvRequest): Promise<KvResponse>;
}
