/**
 * The client-facing Kv gRPC service over a KvHandler: `Call` (one request per call) and
 * `Stream` (batches of requests on one long-lived stream). On a stream, requests are handled
 * concurrently and may complete out of order; responses that complete in the same event-loop
 * turn go back together in one KvResponseBatch, matched by id on the client.
 *
 * Bounds per stream: at most `inflightMax` requests between "taken off the wire" and
 * "response written"; above it the stream stops reading (pause) until responses drain, so a
 * fast client cannot make the store buffer without limit. Responses are written only as fast
 * as gRPC drains them. Not here: what a request does (kv-service.ts).
 */

import type { atoll } from '@atoll/proto';
import type * as grpc from '@grpc/grpc-js';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { KvHandler, KvRequest, KvResponse } from './kv-handler.js';

/**
 * Requests in progress per stream before it stops reading. Far above what one client needs to
 * saturate a store (the store loop batches every concurrent proposal per iteration; past a
 * few hundred, more concurrency only adds latency), small enough that a stream's requests
 * and pending responses stay a bounded amount of memory.
 */
export const KV_STREAM_INFLIGHT_MAX = 4_096;

/**
 * Responses per KvResponseBatch message: bounds the encode work of one write (and the
 * message size: responses are small except scans, which SCAN_LIMIT_MAX bounds).
 */
export const KV_RESPONSE_BATCH_MAX = 1_024;

/** Knobs of the service (tests lower them). */
export interface KvServiceOptions {
  readonly inflightMax?: number;
  readonly responseBatchMax?: number;
}

type StreamCall = grpc.ServerDuplexStream<atoll.kv.KvRequestBatch, atoll.kv.IKvResponseBatch>;

/**
 * What a Kv stream session needs of its connection: a gRPC `Kv/Stream` call, or a framed
 * socket dressed as one (socket-kv-service.ts). Events: 'data' (a KvRequestBatch), 'end' (the
 * client is done sending), 'error' / 'cancelled' (the client is gone), 'drain'.
 */
export interface KvStreamCall {
  on(event: 'data', listener: (batch: atoll.kv.KvRequestBatch) => void): unknown;
  on(event: 'end' | 'error' | 'cancelled', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  write(batch: atoll.kv.IKvResponseBatch): boolean;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
}

type UnaryCall = grpc.ServerUnaryCall<atoll.kv.KvRequest, atoll.kv.IKvResponse>;

/** The service implementation (a type alias so it fits grpc's implementation type). */
export type KvServiceImpl = {
  call(call: UnaryCall, callback: grpc.sendUnaryData<atoll.kv.IKvResponse>): void;
  stream(call: StreamCall): void;
};

/**
 * Creates the Kv service over `handler`.
 *
 * @example
 * server.addService(kvService, createKvService(new KvService(store)));
 */
export function createKvService(handler: KvHandler, options: KvServiceOptions = {}): KvServiceImpl {
  return {
    call(call, callback) {
      handle(handler, call.request).then((r) => callback(null, r));
    },
    stream(call) {
      serveKvStream(call, handler, options);
    },
  };
}

/** Serves one Kv stream (gRPC or socket) until the client goes. */
export function serveKvStream(
  call: KvStreamCall,
  handler: KvHandler,
  options: KvServiceOptions = {},
): void {
  new KvStreamSession(
    call,
    handler,
    options.inflightMax ?? KV_STREAM_INFLIGHT_MAX,
    options.responseBatchMax ?? KV_RESPONSE_BATCH_MAX,
  ).start();
}

/** Handles one request; a handler failure becomes an error response, never a lost request. */
function handle(handler: KvHandler, request: KvRequest): Promise<KvResponse> {
  const id = Number(request.id ?? 0);
  let pending: Promise<KvResponse>;
  try {
    pending = handler.handle(request);
  } catch (e) {
    pending = Promise.reject(e);
  }
  return pending.then(
    (r) => (r.id === undefined || r.id === null ? { ...r, id } : r),
    (e: unknown) => ({ id, error: toWireError(e) }),
  );
}

function toWireError(e: unknown): atoll.error.IError {
  const err =
    e instanceof StoreError
      ? e
      : new StoreError(StoreErrorCode.Internal, e instanceof Error ? e.message : String(e));
  return {
    code: err.code,
    message: err.message,
    retryable: err.retryable,
    detailsJson: JSON.stringify(err.details),
  };
}

/** One client stream: reading, the in-flight bound, coalesced and paced writes. */
class KvStreamSession {
  /** Requests read and not yet started (at most one batch's worth: reading pauses). */
  private waiting: KvRequest[] = [];
  private waitingHead = 0;
  /** Responses complete and not yet written. */
  private outbox: KvResponse[] = [];
  /** Invariant: inflight = started requests whose response is not yet written. */
  private inflight = 0;
  private paused = false;
  private flushScheduled = false;
  private blockedOnDrain = false;
  private clientDone = false;
  private gone = false;

  constructor(
    private readonly call: KvStreamCall,
    private readonly handler: KvHandler,
    private readonly inflightMax: number,
    private readonly responseBatchMax: number,
  ) {}

  start(): void {
    this.call.on('data', (batch: atoll.kv.KvRequestBatch) => {
      for (const r of batch.requests) this.waiting.push(r);
      this.startWaiting();
      this.updatePause();
    });
    this.call.on('end', () => {
      this.clientDone = true;
      this.maybeEnd();
    });
    // The client went away: finish quietly, drop responses still to come.
    const gone = () => {
      this.gone = true;
    };
    this.call.on('error', gone);
    this.call.on('cancelled', gone);
  }

  private startWaiting(): void {
    while (this.waitingHead < this.waiting.length && this.inflight < this.inflightMax) {
      const request = this.waiting[this.waitingHead++]!;
      this.inflight++;
      handle(this.handler, request).then((r) => this.complete(r));
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  private complete(response: KvResponse): void {
    if (this.gone) {
      this.inflight--;
      return;
    }
    this.outbox.push(response);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Everything that completes in this event-loop turn goes back in one message.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.outbox.length > 0 && !this.blockedOnDrain && !this.gone) {
      const responses = this.outbox.splice(0, this.responseBatchMax);
      this.inflight -= responses.length;
      if (!this.call.write({ responses })) {
        this.blockedOnDrain = true;
        this.call.once('drain', () => {
          this.blockedOnDrain = false;
          this.flush();
        });
      }
    }
    if (this.gone) {
      this.inflight -= this.outbox.length;
      this.outbox = [];
    }
    this.startWaiting();
    this.updatePause();
    this.maybeEnd();
  }

  private updatePause(): void {
    const over = this.inflight >= this.inflightMax || this.waitingHead < this.waiting.length;
    if (over && !this.paused) {
      this.paused = true;
      this.call.pause();
    } else if (!over && this.paused) {
      this.paused = false;
      this.call.resume();
    }
  }

  private maybeEnd(): void {
    if (
      this.clientDone &&
      !this.gone &&
      this.inflight === 0 &&
      this.waitingHead === this.waiting.length &&
      this.outbox.length === 0
    ) {
      this.gone = true;
      this.call.end();
    }
  }
}
