/**
 * The client-facing Kv gRPC service: `Call` (one request per call) and `Stream` (batches of
 * requests on one long-lived stream; responses are coalesced into batches too and may come
 * back out of order, matched by id). A stream stops reading while too many of its requests
 * are in flight.
 */

import type { atoll } from '@atoll/proto';
import * as grpc from '@grpc/grpc-js';
import type { KvHandler } from './kv-handler.js';

/** Requests in flight per stream before it stops reading: bounds memory per client. */
export const STREAM_INFLIGHT_MAX = 8_192;

type StreamCall = grpc.ServerDuplexStream<atoll.kv.KvRequestBatch, atoll.kv.IKvResponseBatch>;

export function createKvService(handler: KvHandler) {
  return {
    call(
      call: grpc.ServerUnaryCall<atoll.kv.KvRequest, atoll.kv.IKvResponse>,
      callback: grpc.sendUnaryData<atoll.kv.IKvResponse>,
    ): void {
      handler.handle(call.request).then(
        (r) => callback(null, r),
        (e: unknown) =>
          callback({
            code: grpc.status.INTERNAL,
            details: e instanceof Error ? e.message : String(e),
          }),
      );
    },

    stream(call: StreamCall): void {
      let inflight = 0;
      let paused = false;
      let ended = false;
      let pending: atoll.kv.IKvResponse[] = [];
      let flushScheduled = false;
      const flush = () => {
        flushScheduled = false;
        if (pending.length === 0) return;
        const responses = pending;
        pending = [];
        call.write({ responses });
        if (ended && inflight === 0) call.end();
      };
      const done = (r: atoll.kv.IKvResponse) => {
        inflight--;
        pending.push(r);
        if (!flushScheduled) {
          flushScheduled = true;
          // Everything completing in this turn goes back in one message.
          setImmediate(flush);
        }
        if (paused && inflight < STREAM_INFLIGHT_MAX / 2) {
          paused = false;
          call.resume();
        }
      };
      call.on('data', (batch: atoll.kv.KvRequestBatch) => {
        for (const req of batch.requests) {
          inflight++;
          handler.handle(req).then(done, (e: unknown) =>
            done({
              id: req.id,
              error: {
                code: 'STORE_ERR_INTERNAL',
                message: e instanceof Error ? e.message : String(e),
              },
            }),
          );
        }
        if (inflight >= STREAM_INFLIGHT_MAX && !paused) {
          paused = true;
          call.pause();
        }
      });
      call.on('end', () => {
        ended = true;
        if (inflight === 0 && pending.length === 0) call.end();
      });
      call.on('error', () => {});
    },
  };
}
